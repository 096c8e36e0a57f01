package dataplane

// The Program's descriptors must line up with the P4Info the compiler
// wrote beside each bmv2 JSON, by name and position: that is how the
// P4Runtime layer maps P4Info ids onto the dataplane (P4Runtime spec §8:
// match field id k is the k-th key field, param id k the k-th action
// parameter).

import (
	"strings"
	"testing"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/p4test"
)

func TestDescriptorsMatchP4Info(t *testing.T) {
	for _, fx := range fixtures.All(t) {
		if fx.JSON == "" {
			continue
		}
		t.Run(fx.Name, func(t *testing.T) {
			cfg := p4test.Config(t, fx, 0)
			pi := cfg.GetP4Info()
			p, err := Load(cfg.GetP4DeviceConfig())
			must(t, err)
			actionName := map[uint32]string{}
			for _, a := range pi.GetActions() {
				actionName[a.GetPreamble().GetId()] = a.GetPreamble().GetName()
				da := p.Action(a.GetPreamble().GetName())
				if da == nil {
					t.Errorf("action %q missing", a.GetPreamble().GetName())
					continue
				}
				if len(da.Params) != len(a.GetParams()) {
					t.Errorf("action %q: %d params, P4Info %d", da.Name, len(da.Params), len(a.GetParams()))
					continue
				}
				for k, pp := range a.GetParams() {
					if da.Params[k].Name != pp.GetName() || da.Params[k].Bitwidth != int(pp.GetBitwidth()) {
						t.Errorf("action %q param %d: %+v, P4Info %s/%d", da.Name, k, da.Params[k], pp.GetName(), pp.GetBitwidth())
					}
				}
			}
			for _, tb := range pi.GetTables() {
				name := tb.GetPreamble().GetName()
				dt := p.Table(name)
				if dt == nil {
					t.Errorf("table %q missing", name)
					continue
				}
				if len(dt.Keys) != len(tb.GetMatchFields()) {
					t.Errorf("table %q: %d keys, P4Info %d", name, len(dt.Keys), len(tb.GetMatchFields()))
					continue
				}
				for k, mf := range tb.GetMatchFields() {
					key := dt.Keys[k]
					if key.Name != mf.GetName() || key.Bitwidth != int(mf.GetBitwidth()) {
						t.Errorf("table %q key %d: %s/%d, P4Info %s/%d", name, k, key.Name, key.Bitwidth, mf.GetName(), mf.GetBitwidth())
					}
					want := map[p4configv1.MatchField_MatchType]MatchKind{
						p4configv1.MatchField_EXACT: MatchExact, p4configv1.MatchField_LPM: MatchLPM,
						p4configv1.MatchField_TERNARY: MatchTernary, p4configv1.MatchField_RANGE: MatchRange,
						p4configv1.MatchField_OPTIONAL: MatchTernary,
					}[mf.GetMatchType()]
					if key.Match != want {
						t.Errorf("table %q key %q: %s, P4Info %s", name, key.Name, key.Match, mf.GetMatchType())
					}
				}
				for _, ar := range tb.GetActionRefs() {
					if dt.Action(actionName[ar.GetId()]) == nil {
						t.Errorf("table %q lacks action %q", name, actionName[ar.GetId()])
					}
				}
				if int64(dt.MaxSize) != tb.GetSize() && !dt.Const {
					t.Errorf("table %q: size %d, P4Info %d", name, dt.MaxSize, tb.GetSize())
				}
				if tb.GetImplementationId() != 0 && dt.ActionProfile == nil {
					t.Errorf("table %q has no action profile", name)
				}
				for _, id := range tb.GetDirectResourceIds() {
					found := false
					for _, dc := range pi.GetDirectCounters() {
						if dc.GetPreamble().GetId() == id {
							found = dt.DirectCounter != nil && dt.DirectCounter.Name == dc.GetPreamble().GetName()
						}
					}
					for _, dm := range pi.GetDirectMeters() {
						if dm.GetPreamble().GetId() == id {
							found = dt.DirectMeter != nil && dt.DirectMeter.Name == dm.GetPreamble().GetName()
						}
					}
					if !found {
						t.Errorf("table %q: direct resource %d not attached", name, id)
					}
				}
				// p4c writes no default entry for tables with an action
				// profile (JSON_format.md, note 2): P4Info alone says const.
				if tb.GetConstDefaultActionId() != 0 && !dt.DefaultActionConst && dt.ActionProfile == nil {
					t.Errorf("table %q: P4Info const default action, JSON not", name)
				}
			}
			for _, ap := range pi.GetActionProfiles() {
				d := p.ActionProfile(ap.GetPreamble().GetName())
				if d == nil || d.Selector != ap.GetWithSelector() {
					t.Errorf("action profile %q: %+v", ap.GetPreamble().GetName(), d)
				}
			}
			for _, c := range pi.GetCounters() {
				d := p.Counter(c.GetPreamble().GetName())
				if d == nil || d.Direct || int64(d.Size) != c.GetSize() {
					t.Errorf("counter %q: %+v, P4Info size %d", c.GetPreamble().GetName(), d, c.GetSize())
				}
			}
			for _, m := range pi.GetMeters() {
				d := p.Meter(m.GetPreamble().GetName())
				unit := MeterPackets
				if m.GetSpec().GetUnit() == p4configv1.MeterSpec_BYTES {
					unit = MeterBytes
				}
				if d == nil || d.Direct || int64(d.Size) != m.GetSize() || d.Unit != unit {
					t.Errorf("meter %q: %+v", m.GetPreamble().GetName(), d)
				}
			}
			for _, r := range pi.GetRegisters() {
				d := p.Register(r.GetPreamble().GetName())
				if d == nil || int64(d.Size) != int64(r.GetSize()) || d.Bitwidth != int(r.GetTypeSpec().GetBitstring().GetBit().GetBitwidth()) {
					t.Errorf("register %q: %+v", r.GetPreamble().GetName(), d)
				}
			}
			for _, dg := range pi.GetDigests() {
				d := p.Digest(dg.GetPreamble().GetName())
				if d == nil {
					t.Errorf("digest %q missing", dg.GetPreamble().GetName())
					continue
				}
				st := pi.GetTypeInfo().GetStructs()[dg.GetTypeSpec().GetStruct().GetName()]
				if st == nil || len(st.GetMembers()) != len(d.Fields) {
					t.Errorf("digest %q: %d fields", d.Name, len(d.Fields))
					continue
				}
				for k, m := range st.GetMembers() {
					if w := int(m.GetTypeSpec().GetBitstring().GetBit().GetBitwidth()); w != 0 && w != d.Fields[k].Bitwidth {
						t.Errorf("digest %q field %d: %d bits, P4Info %d", d.Name, k, d.Fields[k].Bitwidth, w)
					}
				}
			}
			for _, vs := range pi.GetValueSets() {
				if p.ValueSet(vs.GetPreamble().GetName()) == nil {
					t.Errorf("value set %q missing", vs.GetPreamble().GetName())
				}
			}
			if strings.HasPrefix(fx.Name, "bmv2-") && len(p.Tables()) == 0 {
				t.Error("no tables")
			}
		})
	}
}
