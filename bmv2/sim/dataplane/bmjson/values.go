package bmjson

import (
	"encoding/json"
	"fmt"
)

// TypedValue is the JSON object {"type": ..., "value": ...} used for
// primitive arguments, expression operands, parser operation parameters and
// list elements. Value stays raw: its shape depends on Type.
type TypedValue struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
	// Bitwidth accompanies "hexstr" elements of calculations and field lists.
	Bitwidth int `json:"bitwidth"`
}

// String returns the Value as a JSON string.
func (v *TypedValue) String() (string, error) {
	var s string
	if err := json.Unmarshal(v.Value, &s); err != nil {
		return "", fmt.Errorf("%s value %s: want a string", v.Type, v.Value)
	}
	return s, nil
}

// Int returns the Value as a JSON integer.
func (v *TypedValue) Int() (int, error) {
	var n int
	if err := json.Unmarshal(v.Value, &n); err != nil {
		return 0, fmt.Errorf("%s value %s: want an integer", v.Type, v.Value)
	}
	return n, nil
}

// Bool returns the Value as a JSON boolean.
func (v *TypedValue) Bool() (bool, error) {
	var x bool
	if err := json.Unmarshal(v.Value, &x); err != nil {
		return false, fmt.Errorf("%s value %s: want a boolean", v.Type, v.Value)
	}
	return x, nil
}

// Field returns the Value as a [header, field] reference.
func (v *TypedValue) Field() (FieldRef, error) {
	var r FieldRef
	if err := r.UnmarshalJSON(v.Value); err != nil {
		return r, fmt.Errorf("%s value: %w", v.Type, err)
	}
	return r, nil
}

// Strings returns the Value as an array of strings (e.g. a stack field
// [stack, field] or a union stack field [stack, member, field]).
func (v *TypedValue) Strings() ([]string, error) {
	var s []string
	if err := json.Unmarshal(v.Value, &s); err != nil {
		return nil, fmt.Errorf("%s value %s: want an array of strings", v.Type, v.Value)
	}
	return s, nil
}

// Ints returns the Value as an array of integers (e.g. lookahead
// [offset, width]).
func (v *TypedValue) Ints() ([]int, error) {
	var s []int
	if err := json.Unmarshal(v.Value, &s); err != nil {
		return nil, fmt.Errorf("%s value %s: want an array of integers", v.Type, v.Value)
	}
	return s, nil
}

// Expression returns the Value as an expression node. An expression-typed
// value may itself wrap another {"type": "expression"} object (as in
// primitive arguments); Expression unwraps it.
func (v *TypedValue) Expression() (*Expr, error) {
	var probe struct {
		Op    *string         `json:"op"`
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(v.Value, &probe); err != nil {
		return nil, fmt.Errorf("expression %s: %w", v.Value, err)
	}
	if probe.Op == nil {
		if probe.Type == "expression" {
			inner := TypedValue{Type: probe.Type, Value: probe.Value}
			return inner.Expression()
		}
		return nil, fmt.Errorf("expression %s: no \"op\"", v.Value)
	}
	var e Expr
	if err := json.Unmarshal(v.Value, &e); err != nil {
		return nil, fmt.Errorf("expression %s: %w", v.Value, err)
	}
	return &e, nil
}

// Inner returns the Value as a typed value of its own (the "value" of an
// "expression" argument that wraps a plain field or constant).
func (v *TypedValue) Inner() (*TypedValue, error) {
	var in TypedValue
	if err := json.Unmarshal(v.Value, &in); err != nil {
		return nil, fmt.Errorf("%s value %s: want {type, value}", v.Type, v.Value)
	}
	return &in, nil
}

// List returns the Value as an array of typed values (parameters_vector,
// field_list arguments).
func (v *TypedValue) List() ([]TypedValue, error) {
	var l []TypedValue
	if err := json.Unmarshal(v.Value, &l); err != nil {
		return nil, fmt.Errorf("%s value %s: want an array of {type, value}", v.Type, v.Value)
	}
	return l, nil
}

// IsNull reports whether the Value is absent or JSON null.
func (v *TypedValue) IsNull() bool {
	return len(v.Value) == 0 || string(v.Value) == "null"
}

// Expr is an expression node {"op", "left", "right", "cond"}. Left is nil
// for unary operators. Right is kept raw because access_field and
// access_union_header carry a plain integer there.
type Expr struct {
	Op    string          `json:"op"`
	Left  *TypedValue     `json:"left"`
	Right json.RawMessage `json:"right"`
	Cond  *TypedValue     `json:"cond"`
}

// RightValue decodes Right as a typed value (nil when null).
func (e *Expr) RightValue() (*TypedValue, error) {
	if len(e.Right) == 0 || string(e.Right) == "null" {
		return nil, nil
	}
	var tv TypedValue
	if err := json.Unmarshal(e.Right, &tv); err != nil {
		return nil, fmt.Errorf("operator %q: right operand %s: %w", e.Op, e.Right, err)
	}
	return &tv, nil
}

// RightInt decodes Right as an integer (field or member offset).
func (e *Expr) RightInt() (int, error) {
	var n int
	if err := json.Unmarshal(e.Right, &n); err != nil {
		return 0, fmt.Errorf("operator %q: right operand %s: want an integer", e.Op, e.Right)
	}
	return n, nil
}
