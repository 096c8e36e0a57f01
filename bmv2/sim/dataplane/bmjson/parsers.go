package bmjson

import "encoding/json"

// Parser is an entry of "parsers".
type Parser struct {
	Name        string       `json:"name"`
	ID          int          `json:"id"`
	InitState   *string      `json:"init_state"`
	ParseStates []ParseState `json:"parse_states"`
}

// ParseState is one state of a parser.
type ParseState struct {
	Name          string       `json:"name"`
	ID            int          `json:"id"`
	ParserOps     []ParserOp   `json:"parser_ops"`
	TransitionKey []TypedValue `json:"transition_key"`
	Transitions   []Transition `json:"transitions"`
}

// ParserOp is a parser operation: extract, extract_VL, set, verify, shift,
// advance or primitive.
type ParserOp struct {
	Op         string       `json:"op"`
	Parameters []TypedValue `json:"parameters"`
}

// Transition is one case of a parse state's select. Type is "hexstr",
// "default" or "parse_vset"; old JSON files omit it and write the default
// case as the value "default".
type Transition struct {
	Type      string          `json:"type"`
	Value     json.RawMessage `json:"value"`
	Mask      *string         `json:"mask"`
	NextState *string         `json:"next_state"`
}

// Kind normalises the transition type, handling the legacy form.
func (t *Transition) Kind() string {
	var v string
	_ = json.Unmarshal(t.Value, &v)
	if t.Type == "" {
		if v == "default" {
			return "default"
		}
		return "hexstr"
	}
	if t.Type == "hexstr" && v == "default" {
		return "default"
	}
	return t.Type
}

// ValueString returns the transition value as a string ("" when null).
func (t *Transition) ValueString() string {
	var v string
	_ = json.Unmarshal(t.Value, &v)
	return v
}

// ParseVSet is an entry of "parse_vsets".
type ParseVSet struct {
	Name               string `json:"name"`
	ID                 int    `json:"id"`
	CompressedBitwidth int    `json:"compressed_bitwidth"`
	MaxSize            int    `json:"max_size"`
}

// Deparser is an entry of "deparsers".
type Deparser struct {
	Name       string      `json:"name"`
	ID         int         `json:"id"`
	Order      []string    `json:"order"`
	Primitives []Primitive `json:"primitives"`
}
