package pipelines

import (
	"strings"
	"testing"
)

// TestParseP4InfoChecks: the checks every P4Runtime server relies on
// (P4Runtime spec, "ID Allocation for P4Info Objects": ids are non-zero and
// unique across the P4Info; every object is named; a table's action_refs
// name declared actions). Extern instances are nested one level deeper and
// are checked too. The checks are p4/info's (info.New), so the messages are
// its own.
func TestParseP4InfoChecks(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string // substring of the error; "" for valid input
	}{
		{name: "empty", text: ""},
		{
			name: "table and action",
			text: `tables { preamble { id: 33554433 name: "c.t" } action_refs { id: 16777217 } }
			       actions { preamble { id: 16777217 name: "c.a" } }`,
		},
		{
			name: "zero id",
			text: `actions { preamble { name: "c.a" } }`,
			want: `action "c.a": id 0`,
		},
		{
			name: "no name",
			text: `actions { preamble { id: 16777217 } }`,
			want: "action 0x01000001: empty name",
		},
		{
			name: "duplicate id",
			text: `actions { preamble { id: 16777217 name: "c.a" } }
			       counters { preamble { id: 16777217 name: "c.n" } }`,
			want: `id 0x01000001: used by action "c.a" and counter "c.n"`,
		},
		{
			name: "duplicate id in an extern instance",
			text: `actions { preamble { id: 16777217 name: "c.a" } }
			       externs { extern_type_id: 129 extern_type_name: "X"
			                 instances { preamble { id: 16777217 name: "c.x" } } }`,
			want: `id 0x01000001: used by action "c.a" and extern "c.x"`,
		},
		{
			name: "undeclared action",
			text: `tables { preamble { id: 33554433 name: "c.t" } action_refs { id: 16777218 } }`,
			want: "table c.t: action ref 0x01000002 is no action",
		},
		{
			name: "not text format",
			text: `{"tables": []}`,
			want: "not a p4.config.v1.P4Info",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := ParseP4Info([]byte(tc.text))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("ParseP4Info: %v", err)
				}
				if info == nil {
					t.Fatal("ParseP4Info returned no P4Info")
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseP4Info accepted %s", tc.text)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}
