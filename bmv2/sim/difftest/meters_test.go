//go:build linux

package difftest

import (
	"slices"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
)

// Found by the differential test (seeds 7 and 8 of 100 steps, onos-basic
// and onos-fabric-full): a meter config whose peak rate is below its
// committed rate is refused by bmv2 (UNKNOWN, "Error when writing meter
// spec") after it set both rates and before it marks the meter configured:
// a cell configured before reads back with the (rate, burst) pairs
// swapped, one never configured (or reset) reads back without a config.
// The simulator answers as real bmv2, cell by cell.
func TestMeterRefusedRates(t *testing.T) {
	p, in := startProgram(t, "onos-basic")
	a, b := in.MeterByName("ingress.port_meters_ingress.ingress_port_meter"), in.MeterByName("egress.port_meters_egress.egress_port_meter")
	if a == nil || b == nil {
		t.Fatal("onos-basic lacks its port meters")
	}
	meter := func(id uint32, cir, cb, pir, pb int64) *p4v1.Update {
		var cfg *p4v1.MeterConfig
		if cir+cb+pir+pb > 0 {
			cfg = &p4v1.MeterConfig{Cir: cir, Cburst: cb, Pir: pir, Pburst: pb}
		}
		return &p4v1.Update{Type: p4v1.Update_MODIFY, Entity: &p4v1.Entity{Entity: &p4v1.Entity_MeterEntry{MeterEntry: &p4v1.MeterEntry{
			MeterId: id, Index: &p4v1.Index{Index: 2}, Config: cfg}}}}
	}
	write := func(ups ...*p4v1.Update) Step {
		return Step{Op: OpWrite, Write: &p4v1.WriteRequest{DeviceId: deviceID, Updates: ups}}
	}
	read := Step{Op: OpRead, Read: &p4v1.ReadRequest{DeviceId: deviceID, Entities: []*p4v1.Entity{{Entity: &p4v1.Entity_MeterEntry{MeterEntry: &p4v1.MeterEntry{}}}}}}
	good, bad := meter(b.ID, 100, 10, 200, 20), meter(b.ID, 690096, 36996, 533148, 90411)
	swapped := normalise(&p4v1.Entity{Entity: &p4v1.Entity_MeterEntry{MeterEntry: &p4v1.MeterEntry{MeterId: b.ID, Index: &p4v1.Index{Index: 2},
		Config: &p4v1.MeterConfig{Cir: 533148, Cburst: 90411, Pir: 690096, Pburst: 36996}}}})
	playMeterCases(t, p, swapped, bad, []meterCase{
		{"never configured", []Step{write(bad), read}, false},
		{"in a batch after a good one", []Step{write(meter(a.ID, 282951, 44456, 1089467, 52476), bad), read}, false},
		{"configured before", []Step{write(good), write(bad), read}, true},
		{"configured, then reset", []Step{write(good), write(meter(b.ID, 0, 0, 0, 0)), write(bad), read}, false},
	})
}

// The same for a direct meter (bmv2-meter's ingress.mtr on t_redirect),
// found once the differential test gave direct meters such configs too:
// "Error when writing direct meter spec"; the entry's meter reads back
// swapped if it was configured, else without a config.
func TestDirectMeterRefusedRates(t *testing.T) {
	p, in := startProgram(t, "bmv2-meter")
	tbl, act := in.TableByName("ingress.t_redirect"), in.ActionByName("ingress.port_redirect")
	if tbl == nil || act == nil {
		t.Fatal("bmv2-meter lacks t_redirect or port_redirect")
	}
	te := func() *p4v1.TableEntry {
		return &p4v1.TableEntry{TableId: tbl.ID, Match: []*p4v1.FieldMatch{{FieldId: 1,
			FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: []byte{1, 0x19}}}}}}
	}
	insert := Step{Op: OpWrite, Write: &p4v1.WriteRequest{DeviceId: deviceID, Updates: []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: &p4v1.Entity{
		Entity: &p4v1.Entity_TableEntry{TableEntry: func() *p4v1.TableEntry {
			e := te()
			e.Action = &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: act.ID}}}
			return e
		}()}}}}}}
	meter := func(cir, cb, pir, pb int64) Step {
		var cfg *p4v1.MeterConfig
		if cir+cb+pir+pb > 0 {
			cfg = &p4v1.MeterConfig{Cir: cir, Cburst: cb, Pir: pir, Pburst: pb}
		}
		return Step{Op: OpWrite, Write: &p4v1.WriteRequest{DeviceId: deviceID, Updates: []*p4v1.Update{{Type: p4v1.Update_MODIFY, Entity: &p4v1.Entity{
			Entity: &p4v1.Entity_DirectMeterEntry{DirectMeterEntry: &p4v1.DirectMeterEntry{TableEntry: te(), Config: cfg}}}}}}}
	}
	read := Step{Op: OpRead, Read: &p4v1.ReadRequest{DeviceId: deviceID, Entities: []*p4v1.Entity{{Entity: &p4v1.Entity_DirectMeterEntry{
		DirectMeterEntry: &p4v1.DirectMeterEntry{TableEntry: &p4v1.TableEntry{TableId: tbl.ID}}}}}}}
	good, bad := meter(100, 10, 200, 20), meter(861951, 25179, 477364, 76409)
	swapped := normalise(&p4v1.Entity{Entity: &p4v1.Entity_DirectMeterEntry{DirectMeterEntry: &p4v1.DirectMeterEntry{TableEntry: te(),
		Config: &p4v1.MeterConfig{Cir: 477364, Cburst: 76409, Pir: 861951, Pburst: 25179}}}})
	playMeterCases(t, p, swapped, bad.Write.Updates[0], []meterCase{
		{"never configured", []Step{insert, bad, read}, false},
		{"configured before", []Step{insert, good, bad, read}, true},
		{"configured, then reset", []Step{insert, good, meter(0, 0, 0, 0), bad, read}, false},
	})
}

// meterCase is a play of a meter's refused rates: whether the meter reads
// back swapped after its steps.
type meterCase struct {
	name       string
	steps      []Step
	configured bool
}

// playMeterCases plays each case from a fresh pipeline on both switches:
// the same answers to every step, real bmv2 refusing the write whose last
// update is bad (UNKNOWN), and reading the meter back swapped (as the
// entity swapped renders) only when the case says it was configured.
func playMeterCases(t *testing.T, p *Pair, swapped string, bad *p4v1.Update, cases []meterCase) {
	t.Helper()
	for _, c := range cases {
		if err := p.Reset(); err != nil {
			t.Fatal(err)
		}
		for i, s := range c.steps {
			sim, real := p.do(s)
			if !sim.Equal(real) {
				t.Errorf("%s, step %d, %s:\n%s", c.name, i+1, s, answers(sim, real))
			}
			if s.Op == OpWrite && s.Write.Updates[len(s.Write.Updates)-1] == bad && real.Code != codes.Unknown {
				t.Errorf("%s: real bmv2 took a peak rate below the committed one: %s", c.name, real)
			}
			if s.Op == OpRead {
				if got := slices.Contains(real.Entities, swapped); got != c.configured {
					t.Errorf("%s: real bmv2 reads the meter back swapped: %v, want %v (%s)", c.name, got, c.configured, real)
				}
			}
		}
	}
}
