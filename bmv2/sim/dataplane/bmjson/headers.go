package bmjson

import (
	"encoding/json"
	"fmt"
)

// HeaderType is an entry of "header_types".
type HeaderType struct {
	Name   string      `json:"name"`
	ID     int         `json:"id"`
	Fields []FieldDecl `json:"fields"`
	// LengthExp computes the width of the variable-length field, if any.
	LengthExp *TypedValue `json:"length_exp"`
	// MaxLength is the maximum header size in bytes when a field is
	// variable-length.
	MaxLength int `json:"max_length"`
}

// FieldDecl is one field of a header type, decoded from the JSON tuple
// [name, width, signed?, saturating?]; a width of "*" marks a
// variable-length field.
type FieldDecl struct {
	Name       string
	Width      int
	Variable   bool
	Signed     bool
	Saturating bool
}

// UnmarshalJSON decodes the tuple form.
func (f *FieldDecl) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("field declaration %s: %w", b, err)
	}
	if len(raw) < 2 {
		return fmt.Errorf("field declaration %s: want [name, width, ...]", b)
	}
	if err := json.Unmarshal(raw[0], &f.Name); err != nil {
		return fmt.Errorf("field declaration %s: name: %w", b, err)
	}
	var star string
	if err := json.Unmarshal(raw[1], &star); err == nil {
		if star != "*" {
			return fmt.Errorf("field %q: width %q is neither a number nor \"*\"", f.Name, star)
		}
		f.Variable = true
	} else if err := json.Unmarshal(raw[1], &f.Width); err != nil {
		return fmt.Errorf("field %q: width: %w", f.Name, err)
	}
	if len(raw) > 2 {
		if err := json.Unmarshal(raw[2], &f.Signed); err != nil {
			return fmt.Errorf("field %q: signed flag: %w", f.Name, err)
		}
	}
	if len(raw) > 3 {
		if err := json.Unmarshal(raw[3], &f.Saturating); err != nil {
			return fmt.Errorf("field %q: saturating flag: %w", f.Name, err)
		}
	}
	return nil
}

// Header is an entry of "headers": one header or metadata instance.
type Header struct {
	Name       string `json:"name"`
	ID         int    `json:"id"`
	HeaderType string `json:"header_type"`
	Metadata   bool   `json:"metadata"`
}

// HeaderStack is an entry of "header_stacks".
type HeaderStack struct {
	Name       string `json:"name"`
	ID         int    `json:"id"`
	HeaderType string `json:"header_type"`
	HeaderIDs  []int  `json:"header_ids"`
}

// HeaderUnionType is an entry of "header_union_types".
type HeaderUnionType struct {
	Name    string      `json:"name"`
	ID      int         `json:"id"`
	Headers [][2]string `json:"headers"`
}

// HeaderUnion is an entry of "header_unions".
type HeaderUnion struct {
	Name      string `json:"name"`
	ID        int    `json:"id"`
	UnionType string `json:"union_type"`
	HeaderIDs []int  `json:"header_ids"`
}

// HeaderUnionStack is an entry of "header_union_stacks".
type HeaderUnionStack struct {
	Name           string `json:"name"`
	ID             int    `json:"id"`
	UnionType      string `json:"union_type"`
	HeaderUnionIDs []int  `json:"header_union_ids"`
}

// FieldRef names a field as the JSON 2-tuple [header, field].
type FieldRef struct {
	Header string
	Field  string
}

// UnmarshalJSON decodes [header, field].
func (r *FieldRef) UnmarshalJSON(b []byte) error {
	var t []string
	if err := json.Unmarshal(b, &t); err != nil || len(t) != 2 {
		return fmt.Errorf("field reference %s: want [header, field]", b)
	}
	r.Header, r.Field = t[0], t[1]
	return nil
}

// String gives "header.field".
func (r FieldRef) String() string { return r.Header + "." + r.Field }

// FieldAlias maps a name simple_switch expects (e.g.
// "intrinsic_metadata.mcast_grp") to the field that holds it.
type FieldAlias struct {
	Alias  string
	Target FieldRef
}

// UnmarshalJSON decodes ["alias", [header, field]].
func (a *FieldAlias) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || len(raw) != 2 {
		return fmt.Errorf("field alias %s: want [name, [header, field]]", b)
	}
	if err := json.Unmarshal(raw[0], &a.Alias); err != nil {
		return fmt.Errorf("field alias %s: %w", b, err)
	}
	return a.Target.UnmarshalJSON(raw[1])
}

// ErrorDecl is an entry of "errors": [name, value].
type ErrorDecl struct {
	Name  string
	Value int
}

// UnmarshalJSON decodes [name, value].
func (e *ErrorDecl) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || len(raw) != 2 {
		return fmt.Errorf("error declaration %s: want [name, value]", b)
	}
	if err := json.Unmarshal(raw[0], &e.Name); err != nil {
		return fmt.Errorf("error declaration %s: %w", b, err)
	}
	if err := json.Unmarshal(raw[1], &e.Value); err != nil {
		return fmt.Errorf("error declaration %s: %w", b, err)
	}
	return nil
}

// Enum is an entry of "enums".
type Enum struct {
	Name    string      `json:"name"`
	Entries []ErrorDecl `json:"entries"`
}

// FieldList is an entry of "field_lists" (fields kept by clone, resubmit
// and recirculate).
type FieldList struct {
	Name     string       `json:"name"`
	ID       int          `json:"id"`
	Elements []TypedValue `json:"elements"`
}

// LearnList is an entry of "learn_lists": the fields of a digest.
type LearnList struct {
	Name     string       `json:"name"`
	ID       int          `json:"id"`
	Elements []TypedValue `json:"elements"`
}

// ExternInstance is an entry of "extern_instances".
type ExternInstance struct {
	Name            string          `json:"name"`
	ID              int             `json:"id"`
	Type            string          `json:"type"`
	AttributeValues json.RawMessage `json:"attribute_values"`
}
