package bmjson

import (
	"encoding/json"
	"fmt"
)

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
// advance or primitive. A parameter that is not a {type, value} object
// (the integer error code of an old "verify") decodes with an empty Type
// and the raw JSON as Value; RawParameters keeps every parameter as
// written.
type ParserOp struct {
	Op            string
	Parameters    []TypedValue
	RawParameters []json.RawMessage
}

// UnmarshalJSON decodes a parser operation.
func (o *ParserOp) UnmarshalJSON(b []byte) error {
	var raw struct {
		Op         string            `json:"op"`
		Parameters []json.RawMessage `json:"parameters"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	o.Op, o.RawParameters, o.Parameters = raw.Op, raw.Parameters, nil
	for _, p := range raw.Parameters {
		var tv TypedValue
		if err := json.Unmarshal(p, &tv); err != nil {
			tv = TypedValue{Value: p}
		}
		o.Parameters = append(o.Parameters, tv)
	}
	return nil
}

// Method decodes the parameter of a "primitive" operation: the primitive
// (extern method) call it makes.
func (o *ParserOp) Method() (*Primitive, error) {
	if len(o.RawParameters) != 1 {
		return nil, fmt.Errorf("parser primitive: want 1 parameter, got %d", len(o.RawParameters))
	}
	var p Primitive
	if err := json.Unmarshal(o.RawParameters[0], &p); err != nil {
		return nil, fmt.Errorf("parser primitive: %w", err)
	}
	return &p, nil
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
