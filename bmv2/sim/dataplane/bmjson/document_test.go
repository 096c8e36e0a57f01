package bmjson

import (
	"os"
	"strings"
	"testing"

	"github.com/lime-p4/lime/internal/fixtures"
)

// TestDecodeFixtures decodes every compiled public program: the bmv2 JSON
// format (docs/JSON_format.md) as p4c writes it, versions 2.7 to 2.23.
func TestDecodeFixtures(t *testing.T) {
	for _, p := range fixtures.All(t) {
		if p.JSON == "" {
			continue
		}
		t.Run(p.Name, func(t *testing.T) {
			b, err := os.ReadFile(p.JSON)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if doc.Meta.Version[0] != 2 {
				t.Errorf("version %v, want major 2", doc.Meta.Version)
			}
			if len(doc.Pipelines) != 2 || len(doc.Parsers) != 1 || len(doc.Deparsers) != 1 {
				t.Errorf("got %d pipelines, %d parsers, %d deparsers; v1model has 2, 1, 1",
					len(doc.Pipelines), len(doc.Parsers), len(doc.Deparsers))
			}
			for _, ht := range doc.HeaderTypes {
				for _, f := range ht.Fields {
					if !f.Variable && f.Width <= 0 {
						t.Errorf("header type %s field %s: width %d", ht.Name, f.Name, f.Width)
					}
				}
			}
		})
	}
}

// TestDecodeErrors checks that malformed documents are refused with a
// message naming the problem.
func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"not json", `{`, "unexpected EOF"},
		{"no version", `{"__meta__": {}}`, "missing __meta__.version"},
		{"bad field width", `{"__meta__": {"version": [2, 18]}, "header_types": [{"name": "h", "fields": [["f", "x"]]}]}`, `width "x"`},
		{"bad field tuple", `{"__meta__": {"version": [2, 18]}, "header_types": [{"name": "h", "fields": [["f"]]}]}`, "want [name, width"},
		{"wrong type", `{"__meta__": {"version": [2, 18]}, "headers": [{"name": 3}]}`, "headers.name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Decode error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestHex checks hexstr decoding as bmv2's Data and ByteContainer do it.
func TestHex(t *testing.T) {
	for _, tc := range []struct {
		in   string
		val  string
		nbyt int
	}{
		{"0x0800", "2048", 2},
		{"0x0aba03", "702979", 3},
		{"0x1", "1", 1},
		{"-0x1", "-1", 1},
		{"0xabc", "2748", 2},
	} {
		v, err := ParseHex(tc.in)
		if err != nil || v.String() != tc.val {
			t.Errorf("ParseHex(%q) = %v, %v; want %s", tc.in, v, err, tc.val)
		}
		if tc.in[0] == '-' {
			continue
		}
		b, err := HexBytes(tc.in)
		if err != nil || len(b) != tc.nbyt {
			t.Errorf("HexBytes(%q) = %x, %v; want %d bytes", tc.in, b, err, tc.nbyt)
		}
	}
	if _, err := ParseHex("0xzz"); err == nil {
		t.Error("ParseHex(0xzz) accepted")
	}
}
