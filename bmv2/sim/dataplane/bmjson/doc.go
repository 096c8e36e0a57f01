// Package bmjson decodes the bmv2 JSON format (behavioral-model
// docs/JSON_format.md, version 2.x) that p4c emits for the v1model
// architecture into plain Go values.
//
// It only mirrors the document: names, ids, widths, expressions and
// primitive calls stay as the JSON spells them, and nothing is resolved or
// checked beyond what decoding needs. The dataplane package compiles a
// Document into an executable program.
package bmjson
