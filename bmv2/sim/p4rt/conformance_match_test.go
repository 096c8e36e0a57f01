package p4rt_test

import (
	"testing"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/fixtures"
)

// rangeConfig turns tutorials-basic's LPM key into a range key (no shared
// program has a range match).
func rangeConfig(t *testing.T) *p4v1.ForwardingPipelineConfig {
	return synth(t, "tutorials-basic", func(p *p4configv1.P4Info, js map[string]any) {
		p.Tables[0].MatchFields[0].Match = &p4configv1.MatchField_MatchType_{MatchType: p4configv1.MatchField_RANGE}
		tbl := js["pipelines"].([]any)[0].(map[string]any)["tables"].([]any)[0].(map[string]any)
		tbl["key"].([]any)[0].(map[string]any)["match_type"] = "range"
		tbl["match_type"] = "range"
	})
}

// TestRangeAndOptional: the match-format rules of spec section 9.1.1 for
// RANGE (low <= high, the full range is a don't-care to be omitted) and
// OPTIONAL (a value of the field's width; omitted is the wildcard), with a
// priority required for both (section 9.1).
func TestRangeAndOptional(t *testing.T) {
	for _, prof := range []p4rt.Profile{p4rt.ProfileBMv2, p4rt.ProfileSpec} {
		t.Run(prof.String(), func(t *testing.T) {
			h := newHarness(t, prof)
			var e *p4v1.Uint128
			if prof == p4rt.ProfileSpec {
				e = eid(1)
				h.arbitrate(e)
			}
			cfg := rangeConfig(t)
			if c := h.setPipeline(e, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, cfg); c != codes.OK {
				t.Fatalf("load: %v", c)
			}
			inf := mustInfo(t, cfg)
			tb := inf.Tables[0].ID
			drop := act(inf.ActionByName("MyIngress.drop"))
			entry := func(prio int32, m ...*p4v1.FieldMatch) *p4v1.Entity {
				return tableEntity(&p4v1.TableEntry{TableId: tb, Priority: prio, Match: m, Action: drop})
			}
			for _, tc := range []struct {
				name string
				e    *p4v1.Entity
				want codes.Code
			}{
				{"range", entry(1, rangeMatch(1, []byte{10, 0, 0, 0}, []byte{10, 0, 0, 255})), codes.OK},
				{"low above high", entry(2, rangeMatch(1, []byte{10, 0, 0, 9}, []byte{10, 0, 0, 1})), codes.InvalidArgument},
				{"full range (don't care)", entry(3, rangeMatch(1, []byte{0}, []byte{0xff, 0xff, 0xff, 0xff})), codes.InvalidArgument},
				{"bound too wide", entry(4, rangeMatch(1, []byte{0}, []byte{1, 0, 0, 0, 0})), codes.InvalidArgument},
				{"no priority", entry(0, rangeMatch(1, []byte{1}, []byte{2})), codes.InvalidArgument},
				{"omitted (wildcard) with a priority", entry(5), codes.OK},
			} {
				if c := h.updateCode(e, update(p4v1.Update_INSERT, tc.e)); c != tc.want {
					t.Errorf("%s: %v, want %v", tc.name, c, tc.want)
				}
			}
			got := h.mustRead(tableEntity(&p4v1.TableEntry{TableId: tb, Priority: 1, Match: []*p4v1.FieldMatch{rangeMatch(1, []byte{10, 0, 0, 0}, []byte{10, 0, 0, 255})}}))
			if len(got) != 1 || !proto.Equal(got[0], entry(1, rangeMatch(1, []byte{10, 0, 0, 0}, []byte{10, 0, 0, 255}))) {
				t.Errorf("range entry read back: %v", got)
			}

			o := newHarness(t, prof)
			oe := o.load(fixtures.Get(t, "bmv2-optional"))
			ot := o.inf.TableByName("ingress.opt")
			var a *p4v1.TableAction
			for _, x := range ot.Actions {
				a = act(x)
				if len(x.Params) == 0 {
					break
				}
			}
			oEntry := func(prio int32, m ...*p4v1.FieldMatch) *p4v1.Entity {
				return tableEntity(&p4v1.TableEntry{TableId: ot.ID, Priority: prio, Match: m, Action: a})
			}
			if len(a.GetAction().Params) > 0 {
				t.Skip("bmv2-optional's table has no parameterless action")
			}
			for _, tc := range []struct {
				name string
				e    *p4v1.Entity
				want codes.Code
			}{
				{"optional value", oEntry(1, optional(1, 0x12, 0x34)), codes.OK},
				{"optional too wide", oEntry(2, optional(1, 1, 0, 0)), codes.InvalidArgument},
				{"optional as exact", oEntry(3, exact(1, 1)), codes.InvalidArgument},
				{"all wildcards", oEntry(4), codes.OK},
			} {
				if c := o.updateCode(oe, update(p4v1.Update_INSERT, tc.e)); c != tc.want {
					t.Errorf("%s: %v, want %v", tc.name, c, tc.want)
				}
			}
		})
	}
}
