package bmjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Document is a whole bmv2 JSON file. Attributes bmv2 treats as optional
// decode to their zero value when absent.
type Document struct {
	Meta              Meta               `json:"__meta__"`
	HeaderTypes       []HeaderType       `json:"header_types"`
	Headers           []Header           `json:"headers"`
	HeaderStacks      []HeaderStack      `json:"header_stacks"`
	HeaderUnionTypes  []HeaderUnionType  `json:"header_union_types"`
	HeaderUnions      []HeaderUnion      `json:"header_unions"`
	HeaderUnionStacks []HeaderUnionStack `json:"header_union_stacks"`
	FieldLists        []FieldList        `json:"field_lists"`
	Errors            []ErrorDecl        `json:"errors"`
	Enums             []Enum             `json:"enums"`
	Parsers           []Parser           `json:"parsers"`
	ParseVSets        []ParseVSet        `json:"parse_vsets"`
	Deparsers         []Deparser         `json:"deparsers"`
	MeterArrays       []MeterArray       `json:"meter_arrays"`
	CounterArrays     []CounterArray     `json:"counter_arrays"`
	RegisterArrays    []RegisterArray    `json:"register_arrays"`
	Calculations      []Calculation      `json:"calculations"`
	LearnLists        []LearnList        `json:"learn_lists"`
	Actions           []Action           `json:"actions"`
	Pipelines         []Pipeline         `json:"pipelines"`
	Checksums         []Checksum         `json:"checksums"`
	ForceArith        []FieldRef         `json:"force_arith"`
	ExternInstances   []ExternInstance   `json:"extern_instances"`
	FieldAliases      []FieldAlias       `json:"field_aliases"`
	Program           string             `json:"program"`
	ConfigOptions     json.RawMessage    `json:"config_options"`
}

// Meta is the "__meta__" object: format version and compiler.
type Meta struct {
	Version  []int  `json:"version"`
	Compiler string `json:"compiler"`
}

// Decode parses a bmv2 JSON document. It fails on malformed JSON and on
// values of the wrong JSON type, naming the attribute at fault; it does not
// check cross references (the dataplane compiler does).
func Decode(data []byte) (*Document, error) {
	var doc Document
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("bmjson: attribute %q: JSON %s where %s was expected (offset %d)", te.Field, te.Value, te.Type, te.Offset)
		}
		return nil, fmt.Errorf("bmjson: %w", err)
	}
	if len(doc.Meta.Version) < 1 {
		return nil, errors.New("bmjson: missing __meta__.version")
	}
	return &doc, nil
}
