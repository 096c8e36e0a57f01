package p4rt_test

//lint:file-ignore SA1019 controller_metadata must read back byte-exact (ONOS uses it)

import (
	"testing"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/fixtures"
)

// basicTables names the onos-basic objects the table tests use.
type basicTables struct {
	t0, meterT, wcmpT           uint32
	sendToCPU, setPort, drop    uint32
	setNextHop, readMeter       uint32
	wcmpSetPort, noAction, prof uint32
}

func onosBasic(h *harness) basicTables {
	i := h.inf
	return basicTables{
		t0: i.TableByName("ingress.table0_control.table0").ID, meterT: i.TableByName("ingress.host_meter_control.host_meter_table").ID,
		wcmpT: i.TableByName("ingress.wcmp_control.wcmp_table").ID, sendToCPU: i.ActionByName("ingress.table0_control.send_to_cpu").ID,
		setPort: i.ActionByName("ingress.table0_control.set_egress_port").ID, drop: i.ActionByName("ingress.table0_control.drop").ID,
		setNextHop: i.ActionByName("ingress.table0_control.set_next_hop_id").ID, readMeter: i.ActionByName("ingress.host_meter_control.read_meter").ID,
		wcmpSetPort: i.ActionByName("ingress.wcmp_control.set_egress_port").ID, noAction: i.ActionByName("NoAction").ID,
		prof: i.ActionProfileByName("ingress.wcmp_control.wcmp_selector").ID,
	}
}

func ta(id uint32, ps ...*p4v1.Action_Param) *p4v1.TableAction {
	return &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: id, Params: ps}}}
}

// TestTableEntryErrors checks one code per malformed or refused table
// entry update, in both profiles where they agree and per profile where
// bmv2 (PI's device_mgr.cpp) and the spec differ. Sections: 9.1 "TableEntry"
// (priority rules, keyless tables, is_const), 9.1.1 "Match Format", 9.1.2
// "Action Specification", 9.1.3 "Default Entry", 9.1.7 "Direct Resources",
// 9.1.8 "Idle-timeout", 8.3 "Bytestrings", 11 "Write RPC" (NOT_FOUND,
// ALREADY_EXISTS).
func TestTableEntryErrors(t *testing.T) {
	for _, prof := range []p4rt.Profile{p4rt.ProfileBMv2, p4rt.ProfileSpec} {
		t.Run(prof.String(), func(t *testing.T) {
			h := newHarness(t, prof)
			eid := h.load(fixtures.Get(t, "onos-basic"))
			b := onosBasic(h)
			good := func() *p4v1.TableEntry {
				return &p4v1.TableEntry{TableId: b.t0, Priority: 5, Match: []*p4v1.FieldMatch{ternary(1, []byte{1}, []byte{1, 0xff})}, Action: ta(b.setPort, param(1, 2))}
			}
			h.mustWrite(eid, update(p4v1.Update_INSERT, tableEntity(good())))
			meterKey := &p4v1.TableEntry{TableId: b.meterT, Match: []*p4v1.FieldMatch{lpm(1, 24, 0xaa, 0xbb, 0xcc, 0, 0, 0)}, Action: ta(b.readMeter)}
			h.mustWrite(eid, update(p4v1.Update_INSERT, tableEntity(meterKey)))
			spec := prof == p4rt.ProfileSpec
			pick := func(bmv2, spec_ codes.Code) codes.Code {
				if spec {
					return spec_
				}
				return bmv2
			}
			mod := func(f func(*p4v1.TableEntry)) *p4v1.TableEntry { e := good(); e.Priority = 6; f(e); return e }
			for _, tc := range []struct {
				name string
				typ  p4v1.Update_Type
				e    *p4v1.TableEntry
				want codes.Code
			}{
				{"unknown table id", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.TableId = 0x02ffffff }), codes.InvalidArgument},
				{"unknown field id", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.Match[0].FieldId = 42 }), codes.InvalidArgument},
				{"field given twice", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.Match = append(e.Match, e.Match[0]) }), codes.InvalidArgument},
				{"wrong match kind", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.Match[0] = exact(1, 1) }), codes.InvalidArgument},
				{"value too wide (9-bit field)", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.Match[0] = ternary(1, []byte{2, 0}, []byte{2, 0}) }), codes.InvalidArgument},
				{"ternary mask zero (don't care)", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.Match[0] = ternary(1, []byte{0}, []byte{0}) }), codes.InvalidArgument},
				{"ternary value outside mask", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.Match[0] = ternary(1, []byte{3}, []byte{1}) }), codes.InvalidArgument},
				{"missing priority", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.Priority = 0 }), codes.InvalidArgument},
				{"time_since_last_hit in a write", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.TimeSinceLastHit = &p4v1.TableEntry_IdleTimeout{} }), codes.InvalidArgument},
				{"idle timeout without support", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.IdleTimeoutNs = 1e9 }), codes.InvalidArgument},
				{"negative idle timeout", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.IdleTimeoutNs = -1 }), codes.InvalidArgument},
				{"meter_config without a direct meter", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.MeterConfig = &p4v1.MeterConfig{Cir: 1, Pir: 2} }), codes.InvalidArgument},
				{"no action", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.Action = nil }), codes.InvalidArgument},
				{"empty table action", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.Action = &p4v1.TableAction{} }), codes.InvalidArgument},
				{"unknown action", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.Action = ta(0x01ffffff) }), codes.InvalidArgument},
				{"action of another table", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.Action = ta(b.readMeter) }), codes.InvalidArgument},
				{"missing parameter", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.Action = ta(b.setPort) }), codes.InvalidArgument},
				{"unknown parameter", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.Action = ta(b.setPort, param(9, 1)) }), codes.InvalidArgument},
				{"parameter too wide", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.Action = ta(b.setPort, param(1, 2, 0)) }), codes.InvalidArgument},
				{"member on a direct table", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.Action = memberAction(1) }), codes.InvalidArgument},
				{"existing entry", p4v1.Update_INSERT, good(), codes.AlreadyExists},
				{"existing entry, padded value", p4v1.Update_INSERT, func() *p4v1.TableEntry {
					e := good()
					e.Match[0] = ternary(1, []byte{0, 1}, []byte{1, 0xff})
					return e
				}(), codes.AlreadyExists},
				{"INSERT of the default entry", p4v1.Update_INSERT, &p4v1.TableEntry{TableId: b.meterT, IsDefaultAction: true, Action: ta(b.noAction)}, codes.InvalidArgument},
				{"DELETE of the default entry", p4v1.Update_DELETE, &p4v1.TableEntry{TableId: b.meterT, IsDefaultAction: true}, codes.InvalidArgument},
				{"default entry with a key", p4v1.Update_MODIFY, &p4v1.TableEntry{TableId: b.meterT, IsDefaultAction: true, Match: meterKey.Match}, codes.InvalidArgument},
				{"const default action", p4v1.Update_MODIFY, &p4v1.TableEntry{TableId: b.t0, IsDefaultAction: true, Action: ta(b.sendToCPU)}, codes.PermissionDenied},
				{"default action of an indirect table", p4v1.Update_MODIFY, &p4v1.TableEntry{TableId: b.wcmpT, IsDefaultAction: true, Action: ta(b.noAction)}, codes.InvalidArgument},
				{"DEFAULT_ONLY action in an entry", p4v1.Update_INSERT, &p4v1.TableEntry{TableId: b.wcmpT, Match: []*p4v1.FieldMatch{exact(1, 1)}, Action: ta(b.noAction)}, codes.InvalidArgument},
				{"direct action on an indirect table", p4v1.Update_INSERT, &p4v1.TableEntry{TableId: b.wcmpT, Match: []*p4v1.FieldMatch{exact(1, 1)}, Action: ta(b.wcmpSetPort, param(1, 1))}, codes.InvalidArgument},
				{"missing member", p4v1.Update_INSERT, &p4v1.TableEntry{TableId: b.wcmpT, Match: []*p4v1.FieldMatch{exact(1, 1)}, Action: memberAction(77)}, pick(codes.InvalidArgument, codes.NotFound)},
				{"missing group", p4v1.Update_INSERT, &p4v1.TableEntry{TableId: b.wcmpT, Match: []*p4v1.FieldMatch{exact(1, 1)}, Action: groupAction(77)}, pick(codes.InvalidArgument, codes.NotFound)},
				{"missing exact field", p4v1.Update_INSERT, &p4v1.TableEntry{TableId: b.wcmpT, Action: memberAction(1)}, codes.InvalidArgument},
				{"LPM prefix 0 (don't care)", p4v1.Update_INSERT, &p4v1.TableEntry{TableId: b.meterT, Match: []*p4v1.FieldMatch{lpm(1, 0, 0)}, Action: ta(b.readMeter)}, codes.InvalidArgument},
				{"LPM prefix beyond width", p4v1.Update_INSERT, &p4v1.TableEntry{TableId: b.meterT, Match: []*p4v1.FieldMatch{lpm(1, 49, 1)}, Action: ta(b.readMeter)}, codes.InvalidArgument},
				{"LPM bits beyond prefix", p4v1.Update_INSERT, &p4v1.TableEntry{TableId: b.meterT, Match: []*p4v1.FieldMatch{lpm(1, 8, 0xaa, 0xbb, 0, 0, 0, 1)}, Action: ta(b.readMeter)}, codes.InvalidArgument},
				{"needless priority", p4v1.Update_INSERT, &p4v1.TableEntry{TableId: b.meterT, Priority: 3, Match: []*p4v1.FieldMatch{lpm(1, 8, 0xaa, 0, 0, 0, 0, 0)}, Action: ta(b.readMeter)}, codes.InvalidArgument},
				{"MODIFY of a missing entry", p4v1.Update_MODIFY, mod(func(*p4v1.TableEntry) {}), codes.NotFound},
				{"DELETE of a missing entry", p4v1.Update_DELETE, mod(func(*p4v1.TableEntry) {}), codes.NotFound},
				{"MODIFY without action", p4v1.Update_MODIFY, func() *p4v1.TableEntry { e := good(); e.Action = nil; return e }(), pick(codes.InvalidArgument, codes.OK)},
				{"is_const in a write", p4v1.Update_MODIFY, func() *p4v1.TableEntry { e := good(); e.IsConst = true; return e }(), pick(codes.OK, codes.InvalidArgument)},
				{"empty bytestring", p4v1.Update_INSERT, mod(func(e *p4v1.TableEntry) { e.Match[0] = ternary(1, []byte{}, []byte{1}) }), pick(codes.OK, codes.InvalidArgument)},
				{"update type unset", p4v1.Update_UNSPECIFIED, good(), codes.InvalidArgument},
			} {
				if got := h.updateCode(eid, update(tc.typ, tableEntity(tc.e))); got != tc.want {
					t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
				}
			}
			// An empty bytestring is zero in bmv2, and reads back as
			// "\x00" (spec section 8.3 wants it refused).
			if !spec {
				q := &p4v1.TableEntry{TableId: b.t0, Priority: 6, Match: []*p4v1.FieldMatch{ternary(1, []byte{0}, []byte{1})}}
				got := h.mustRead(tableEntity(q))
				if len(got) != 1 || string(got[0].GetTableEntry().Match[0].GetTernary().Value) != "\x00" {
					t.Errorf("entry written with an empty value: %v", got)
				}
			}
			if c := h.updateCode(eid, update(p4v1.Update_INSERT, &p4v1.Entity{})); c != pick(codes.Unknown, codes.InvalidArgument) {
				t.Errorf("update without an entity: %v", c)
			}
		})
	}
}

// TestTableEntryLifecycle: INSERT, MODIFY (full snapshot of action,
// controller_metadata and metadata), DELETE, read back byte-exact each
// time (spec sections 8.2 and 9.1), and the default entry by MODIFY (set,
// then reset to the program's default; section 9.1.3).
func TestTableEntryLifecycle(t *testing.T) {
	for _, prof := range []p4rt.Profile{p4rt.ProfileBMv2, p4rt.ProfileSpec} {
		t.Run(prof.String(), func(t *testing.T) {
			h := newHarness(t, prof)
			eid := h.load(fixtures.Get(t, "onos-basic"))
			b := onosBasic(h)
			e := &p4v1.TableEntry{TableId: b.t0, Priority: 100, ControllerMetadata: 0xfeedface, Metadata: []byte{0, 1, 2, 0xff},
				Match:  []*p4v1.FieldMatch{ternary(3, []byte{0xaa, 0, 0, 0, 0, 1}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), ternary(4, []byte{8, 0}, []byte{0xff, 0xff})},
				Action: ta(b.setNextHop, param(1, 0x12, 0x34))}
			h.mustWrite(eid, update(p4v1.Update_INSERT, tableEntity(e)))
			readOne := func(q *p4v1.TableEntry) *p4v1.TableEntry {
				got := h.mustRead(tableEntity(q))
				if len(got) != 1 {
					t.Fatalf("read %v: %d entities", q, len(got))
				}
				return got[0].GetTableEntry()
			}
			if got := readOne(&p4v1.TableEntry{TableId: b.t0}); !proto.Equal(got, e) {
				t.Errorf("after INSERT:\n got  %v\n want %v", got, e)
			}
			m := clone(e)
			m.Action = ta(b.sendToCPU)
			m.ControllerMetadata = 7
			m.Metadata = nil
			h.mustWrite(eid, update(p4v1.Update_MODIFY, tableEntity(m)))
			if got := readOne(&p4v1.TableEntry{TableId: b.t0, Match: e.Match, Priority: e.Priority}); !proto.Equal(got, m) {
				t.Errorf("after MODIFY:\n got  %v\n want %v", got, m)
			}
			h.mustWrite(eid, update(p4v1.Update_DELETE, tableEntity(&p4v1.TableEntry{TableId: b.t0, Match: e.Match, Priority: e.Priority, Action: ta(0x01abcdef)})))
			if got := h.mustRead(tableEntity(&p4v1.TableEntry{TableId: b.t0})); len(got) != 0 {
				t.Errorf("after DELETE (with a nonsensical action, which is ignored): %v", got)
			}
			// Default entry of host_meter_table: NoAction in the program.
			def := &p4v1.TableEntry{TableId: b.meterT, IsDefaultAction: true}
			if got := readOne(def); got.GetAction().GetAction().GetActionId() != b.noAction {
				t.Errorf("program default: %v", got)
			}
			set := &p4v1.TableEntry{TableId: b.meterT, IsDefaultAction: true, Action: ta(b.readMeter), ControllerMetadata: 9}
			h.mustWrite(eid, update(p4v1.Update_MODIFY, tableEntity(set)))
			if got := readOne(def); !proto.Equal(got, set) {
				t.Errorf("default set:\n got  %v\n want %v", got, set)
			}
			h.mustWrite(eid, update(p4v1.Update_MODIFY, tableEntity(def)))
			if got := readOne(def); got.GetAction().GetAction().GetActionId() != b.noAction || got.ControllerMetadata != 0 {
				t.Errorf("default reset: %v, want NoAction without metadata", got)
			}
			// Default entries are read only when asked.
			if got := h.mustRead(tableEntity(&p4v1.TableEntry{TableId: b.meterT})); len(got) != 0 {
				t.Errorf("wildcard read returned the default entry: %v", got)
			}
		})
	}
}

// TestTableFull: RESOURCE_EXHAUSTED at the P4Info size (spec section 9.1).
func TestTableFull(t *testing.T) {
	h := newHarness(t, p4rt.ProfileBMv2)
	eid := h.load(fixtures.Get(t, "tutorials-basic"))
	tb := h.inf.TableByName("MyIngress.ipv4_lpm")
	fwd := h.inf.ActionByName("MyIngress.ipv4_forward")
	entry := func(i int) *p4v1.Update {
		return update(p4v1.Update_INSERT, tableEntity(&p4v1.TableEntry{TableId: tb.ID, Match: []*p4v1.FieldMatch{lpm(1, 32, 10, 0, byte(i>>8), byte(i))},
			Action: act(fwd, param(1, 1), param(2, 1))}))
	}
	var us []*p4v1.Update
	for i := 0; i < int(tb.Size); i++ {
		us = append(us, entry(i))
	}
	h.mustWrite(eid, us...)
	if c := h.updateCode(eid, entry(int(tb.Size))); c != codes.ResourceExhausted {
		t.Errorf("entry %d of a table of %d: %v, want RESOURCE_EXHAUSTED", tb.Size+1, tb.Size, c)
	}
	h.mustWrite(eid, update(p4v1.Update_DELETE, entry(0).Entity))
	h.mustWrite(eid, entry(int(tb.Size)))
}

// constConfig makes tutorials-basic's ipv4_lpm a const table with one
// declared entry (P4Info is_const_table, bmv2 JSON "entries").
func constConfig(t *testing.T) *p4v1.ForwardingPipelineConfig {
	return synth(t, "tutorials-basic", func(p *p4configv1.P4Info, js map[string]any) {
		p.Tables[0].IsConstTable = true
		p.Tables[0].HasInitialEntries = true
		tbl := js["pipelines"].([]any)[0].(map[string]any)["tables"].([]any)[0].(map[string]any)
		tbl["entries"] = []any{map[string]any{
			"match_key":    []any{map[string]any{"match_type": "lpm", "key": "0x0a000000", "prefix_length": 8}},
			"action_entry": map[string]any{"action_id": 2, "action_data": []any{"0x000000000001", "0x0002"}},
			"priority":     1,
		}}
	})
}

// TestConstTable: spec section 9.1.4 "Constant Tables": the declared
// entries read back (with is_const in profile spec), and writes other than
// the default action are PERMISSION_DENIED.
func TestConstTable(t *testing.T) {
	for _, prof := range []p4rt.Profile{p4rt.ProfileBMv2, p4rt.ProfileSpec} {
		t.Run(prof.String(), func(t *testing.T) {
			h := newHarness(t, prof)
			var e *p4v1.Uint128
			if prof == p4rt.ProfileSpec {
				e = eid(1)
				h.arbitrate(e)
			}
			cfg := constConfig(t)
			if c := h.setPipeline(e, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, cfg); c != codes.OK {
				t.Fatalf("load: %v", c)
			}
			h.inf = mustInfo(t, cfg)
			tb := h.inf.TableByName("MyIngress.ipv4_lpm")
			fwd := h.inf.ActionByName("MyIngress.ipv4_forward")
			want := &p4v1.TableEntry{TableId: tb.ID, Match: []*p4v1.FieldMatch{lpm(1, 8, 10, 0, 0, 0)}, Action: act(fwd, param(1, 1), param(2, 2)), IsConst: prof == p4rt.ProfileSpec}
			got := h.mustRead(tableEntity(&p4v1.TableEntry{}))
			if len(got) != 1 || !proto.Equal(got[0].GetTableEntry(), want) {
				t.Errorf("const entries:\n got  %v\n want %v", got, want)
			}
			key := &p4v1.TableEntry{TableId: tb.ID, Match: want.Match}
			other := &p4v1.TableEntry{TableId: tb.ID, Match: []*p4v1.FieldMatch{lpm(1, 8, 11, 0, 0, 0)}, Action: want.Action}
			for _, tc := range []struct {
				name string
				u    *p4v1.Update
				want codes.Code
			}{
				{"INSERT", update(p4v1.Update_INSERT, tableEntity(other)), codes.PermissionDenied},
				{"MODIFY with an action", update(p4v1.Update_MODIFY, tableEntity(&p4v1.TableEntry{TableId: tb.ID, Match: want.Match, Action: want.Action})), codes.PermissionDenied},
				{"DELETE", update(p4v1.Update_DELETE, tableEntity(key)), codes.PermissionDenied},
				{"default action", update(p4v1.Update_MODIFY, tableEntity(&p4v1.TableEntry{TableId: tb.ID, IsDefaultAction: true, Action: act(h.inf.ActionByName("NoAction"))})), codes.OK},
			} {
				if c := h.updateCode(e, tc.u); c != tc.want {
					t.Errorf("%s: %v, want %v", tc.name, c, tc.want)
				}
			}
		})
	}
}
