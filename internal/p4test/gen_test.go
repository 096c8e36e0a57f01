package p4test

import (
	"testing"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
)

// The generator's table entries obey P4Runtime spec 9.1.1 (match format)
// and 9.1 (priority exactly when the key has ternary/range/optional), for
// every shared pipeline; Renumber changes every id and keeps the program.
func TestGenStateIsValid(t *testing.T) {
	for _, fx := range fixtures.All(t) {
		t.Run(fx.Name, func(t *testing.T) {
			in, err := info.Load(fx.P4Info)
			if err != nil {
				t.Fatal(err)
			}
			state := NewGen(in, 1).State(20)
			kinds := map[entity.Kind]int{}
			for _, e := range state {
				kinds[entity.KindOf(e)]++
				te := e.GetTableEntry()
				if te == nil || te.IsDefaultAction {
					continue
				}
				tb := in.Table(te.TableId)
				if (te.Priority > 0) != tb.NeedsPriority {
					t.Errorf("%s: priority %d, needs %v", tb.Name, te.Priority, tb.NeedsPriority)
				}
				for _, m := range te.Match {
					f := tb.Field(m.FieldId)
					if f.IsString {
						continue
					}
					var err error
					switch f.MatchType {
					case p4configv1.MatchField_EXACT:
						err = canon.Check(m.GetExact().GetValue(), f.Width)
					case p4configv1.MatchField_LPM:
						err = canon.CheckLPM(m.GetLpm().GetValue(), m.GetLpm().GetPrefixLen(), f.Width)
					case p4configv1.MatchField_TERNARY:
						err = canon.CheckTernary(m.GetTernary().GetValue(), m.GetTernary().GetMask(), f.Width)
					case p4configv1.MatchField_RANGE:
						err = canon.CheckRange(m.GetRange().GetLow(), m.GetRange().GetHigh(), f.Width)
					case p4configv1.MatchField_OPTIONAL:
						err = canon.Check(m.GetOptional().GetValue(), f.Width)
					}
					if err != nil {
						t.Errorf("%s/%s: %v", tb.Name, f.Name, err)
					}
				}
			}
			if len(in.Tables) > 0 && kinds[entity.KindTableEntry] == 0 && fx.Name != "bmv2-loopback" && fx.Name != "bmv2-packet_io" {
				t.Errorf("no table entries generated: %v", kinds)
			}
			// Same seed, same state.
			again := NewGen(in, 1).State(20)
			if len(again) != len(state) {
				t.Fatalf("not deterministic: %d vs %d", len(again), len(state))
			}
			re, err := info.New(Renumber(in.Proto, 0x123456))
			if err != nil {
				t.Fatalf("renumbered P4Info does not index: %v", err)
			}
			for _, o := range in.Objects() {
				x, _ := re.LookupName(o.Kind(), o.Pre().Name)
				if x == nil || x.Pre().ID == o.Pre().ID {
					t.Errorf("%s %s: renumbered %v", o.Kind(), o.Pre().Name, x)
				}
			}
		})
	}
}
