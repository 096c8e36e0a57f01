package bmjson

import (
	"encoding/json"
	"fmt"
)

// Action is an entry of "actions".
type Action struct {
	Name        string        `json:"name"`
	ID          int           `json:"id"`
	RuntimeData []RuntimeData `json:"runtime_data"`
	Primitives  []Primitive   `json:"primitives"`
}

// RuntimeData is one action parameter.
type RuntimeData struct {
	Name     string `json:"name"`
	Bitwidth int    `json:"bitwidth"`
}

// Primitive is one primitive call of an action (or a parser / deparser
// method call).
type Primitive struct {
	Op         string       `json:"op"`
	Parameters []TypedValue `json:"parameters"`
}

// Pipeline is an entry of "pipelines" (ingress or egress control).
type Pipeline struct {
	Name           string          `json:"name"`
	ID             int             `json:"id"`
	InitTable      *string         `json:"init_table"`
	ActionProfiles []ActionProfile `json:"action_profiles"`
	Tables         []Table         `json:"tables"`
	Conditionals   []Conditional   `json:"conditionals"`
	ActionCalls    []ActionCall    `json:"action_calls"`
}

// ActionProfile is an action profile, with a selector for action selectors.
type ActionProfile struct {
	Name     string    `json:"name"`
	ID       int       `json:"id"`
	MaxSize  int       `json:"max_size"`
	Selector *Selector `json:"selector"`
}

// Selector is the dynamic member selection of an action selector.
type Selector struct {
	Algo  string       `json:"algo"`
	Input []TypedValue `json:"input"`
}

// Table is a match-action table.
type Table struct {
	Name            string             `json:"name"`
	ID              int                `json:"id"`
	MatchType       string             `json:"match_type"`
	Type            string             `json:"type"`
	ActionProfile   string             `json:"action_profile"`
	MaxSize         *int               `json:"max_size"`
	WithCounters    bool               `json:"with_counters"`
	SupportTimeout  bool               `json:"support_timeout"`
	DirectMeters    *string            `json:"direct_meters"`
	Key             []KeyElement       `json:"key"`
	ActionIDs       []int              `json:"action_ids"`
	Actions         []string           `json:"actions"`
	NextTables      map[string]*string `json:"next_tables"`
	BaseDefaultNext *string            `json:"base_default_next"`
	DefaultEntry    *DefaultEntry      `json:"default_entry"`
	Entries         []ConstEntry       `json:"entries"`
	// HasEntries is set when the "entries" attribute is present, even empty.
	HasEntries bool `json:"-"`
}

// UnmarshalJSON decodes a table and notes whether "entries" is present.
func (t *Table) UnmarshalJSON(b []byte) error {
	type plain Table
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return err
	}
	_, p.HasEntries = probe["entries"]
	*t = Table(p)
	return nil
}

// KeyElement is one field of a table key. Target is [header, field], or a
// header name for match type "valid".
type KeyElement struct {
	MatchType string          `json:"match_type"`
	Name      string          `json:"name"`
	Target    json.RawMessage `json:"target"`
	Mask      *string         `json:"mask"`
}

// TargetField decodes Target as a field reference.
func (k *KeyElement) TargetField() (FieldRef, error) {
	var r FieldRef
	if err := r.UnmarshalJSON(k.Target); err != nil {
		return r, fmt.Errorf("key %q: %w", k.Name, err)
	}
	return r, nil
}

// TargetHeader decodes Target as a header name (match type "valid").
func (k *KeyElement) TargetHeader() (string, error) {
	var s string
	if err := json.Unmarshal(k.Target, &s); err != nil {
		return "", fmt.Errorf("key %q: target %s: want a header name", k.Name, k.Target)
	}
	return s, nil
}

// DefaultEntry is a table's "default_entry".
type DefaultEntry struct {
	ActionID         int      `json:"action_id"`
	ActionConst      bool     `json:"action_const"`
	ActionData       []string `json:"action_data"`
	ActionEntryConst bool     `json:"action_entry_const"`
}

// ConstEntry is an element of a table's "entries".
type ConstEntry struct {
	MatchKey    []ConstMatch `json:"match_key"`
	ActionEntry struct {
		ActionID   int      `json:"action_id"`
		ActionData []string `json:"action_data"`
	} `json:"action_entry"`
	Priority int `json:"priority"`
}

// ConstMatch is one field of a const entry's key.
type ConstMatch struct {
	MatchType    string          `json:"match_type"`
	Key          json.RawMessage `json:"key"`
	Mask         string          `json:"mask"`
	PrefixLength int             `json:"prefix_length"`
	Start        string          `json:"start"`
	End          string          `json:"end"`
}

// KeyString returns Key as a hex string (exact, lpm, ternary).
func (m *ConstMatch) KeyString() (string, error) {
	var s string
	if err := json.Unmarshal(m.Key, &s); err != nil {
		return "", fmt.Errorf("%s key %s: want a hex string", m.MatchType, m.Key)
	}
	return s, nil
}

// KeyBool returns Key as a boolean (valid).
func (m *ConstMatch) KeyBool() (bool, error) {
	var b bool
	if err := json.Unmarshal(m.Key, &b); err != nil {
		return false, fmt.Errorf("valid key %s: want a boolean", m.Key)
	}
	return b, nil
}

// Conditional is an if statement of a control.
type Conditional struct {
	Name       string     `json:"name"`
	ID         int        `json:"id"`
	Expression TypedValue `json:"expression"`
	TrueNext   *string    `json:"true_next"`
	FalseNext  *string    `json:"false_next"`
}

// ActionCall is a direct action call node (p4c never emits them, but the
// format has them).
type ActionCall struct {
	Name     string  `json:"name"`
	ID       int     `json:"id"`
	ActionID int     `json:"action_id"`
	NextNode *string `json:"next_node"`
}
