package p4rt_test

//lint:file-ignore SA1019 controller_metadata must survive a reconcile

import (
	"encoding/json"
	"testing"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/fixtures"
)

// synth derives a pipeline from a fixture in memory: mutate edits the
// P4Info and the decoded bmv2 JSON.
func synth(t *testing.T, name string, mutate func(*p4configv1.P4Info, map[string]any)) *p4v1.ForwardingPipelineConfig {
	t.Helper()
	cfg := config(t, fixtures.Get(t, name))
	var js map[string]any
	if err := json.Unmarshal(cfg.P4DeviceConfig, &js); err != nil {
		t.Fatal(err)
	}
	mutate(cfg.P4Info, js)
	b, err := json.Marshal(js)
	if err != nil {
		t.Fatal(err)
	}
	cfg.P4DeviceConfig = b
	return cfg
}

func (h *harness) setPipeline(eid *p4v1.Uint128, a p4v1.SetForwardingPipelineConfigRequest_Action, cfg *p4v1.ForwardingPipelineConfig) codes.Code {
	h.t.Helper()
	_, err := h.cl.SetForwardingPipelineConfig(ctx(h.t), &p4v1.SetForwardingPipelineConfigRequest{DeviceId: devID, ElectionId: eid, Action: a, Config: cfg})
	return status.Code(err)
}

func (h *harness) getPipeline(rt p4v1.GetForwardingPipelineConfigRequest_ResponseType) (*p4v1.ForwardingPipelineConfig, codes.Code) {
	h.t.Helper()
	r, err := h.cl.GetForwardingPipelineConfig(ctx(h.t), &p4v1.GetForwardingPipelineConfigRequest{DeviceId: devID, ResponseType: rt})
	return r.GetConfig(), status.Code(err)
}

// TestBeforePipeline checks what a device answers before any pipeline is
// set: spec sections 12 ("Write RPC": FAILED_PRECONDITION), 13 ("Read RPC":
// FAILED_PRECONDITION) and 15 ("GetForwardingPipelineConfig RPC": config
// unset), and bmv2, which answers FAILED_PRECONDITION to Get as well.
func TestBeforePipeline(t *testing.T) {
	for _, tc := range []struct {
		profile p4rt.Profile
		get     codes.Code
	}{
		{p4rt.ProfileBMv2, codes.FailedPrecondition},
		{p4rt.ProfileSpec, codes.OK},
	} {
		t.Run(tc.profile.String(), func(t *testing.T) {
			h := newHarness(t, tc.profile)
			var eid *p4v1.Uint128
			if tc.profile == p4rt.ProfileSpec {
				eid = &p4v1.Uint128{Low: 1}
				h.arbitrate(eid)
			}
			cfg, c := h.getPipeline(p4v1.GetForwardingPipelineConfigRequest_ALL)
			if c != tc.get || cfg != nil {
				t.Errorf("Get before a pipeline: %v %v, want %v and no config", c, cfg, tc.get)
			}
			if _, _, err := h.read(tableEntity(&p4v1.TableEntry{})); status.Code(err) != codes.FailedPrecondition {
				t.Errorf("Read before a pipeline: %v, want FAILED_PRECONDITION", err)
			}
			err := h.write(eid, update(p4v1.Update_INSERT, tableEntity(&p4v1.TableEntry{TableId: 1})))
			if status.Code(err) != codes.FailedPrecondition {
				t.Errorf("Write before a pipeline: %v, want FAILED_PRECONDITION", err)
			}
			if c := h.setPipeline(eid, p4v1.SetForwardingPipelineConfigRequest_VERIFY, config(t, fixtures.Get(t, "onos-basic"))); c != codes.OK {
				t.Errorf("VERIFY: %v", c)
			}
			if _, c := h.getPipeline(p4v1.GetForwardingPipelineConfigRequest_ALL); c != tc.get {
				t.Errorf("Get after VERIFY: %v, want %v (VERIFY changes nothing)", c, tc.get)
			}
		})
	}
}

// TestSetPipelineActions covers every SetForwardingPipelineConfig action
// (spec section 14) and every GetForwardingPipelineConfig response type
// (section 15).
func TestSetPipelineActions(t *testing.T) {
	basic := fixtures.Get(t, "onos-basic")
	entry := func(h *harness) *p4v1.TableEntry {
		t0 := h.inf.TableByName("ingress.table0_control.table0")
		return &p4v1.TableEntry{TableId: t0.ID, Priority: 10, ControllerMetadata: 42, Metadata: []byte("m"),
			Match:  []*p4v1.FieldMatch{{FieldId: 1, FieldMatchType: &p4v1.FieldMatch_Ternary_{Ternary: &p4v1.FieldMatch_Ternary{Value: []byte{1}, Mask: []byte{1, 0xff}}}}},
			Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: h.inf.ActionByName("ingress.table0_control.send_to_cpu").ID}}}}
	}
	for _, prof := range []p4rt.Profile{p4rt.ProfileBMv2, p4rt.ProfileSpec} {
		t.Run(prof.String(), func(t *testing.T) {
			h := newHarness(t, prof)
			eid := h.load(basic)
			cfg := config(t, basic)
			h.mustWrite(eid, update(p4v1.Update_INSERT, tableEntity(entry(h))))
			count := func() int { return len(h.mustRead(tableEntity(&p4v1.TableEntry{}))) }

			// UNSPECIFIED and a missing config are INVALID_ARGUMENT.
			if c := h.setPipeline(eid, p4v1.SetForwardingPipelineConfigRequest_UNSPECIFIED, cfg); c != codes.InvalidArgument {
				t.Errorf("UNSPECIFIED: %v", c)
			}
			if c := h.setPipeline(eid, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, nil); c != codes.InvalidArgument {
				t.Errorf("VERIFY_AND_COMMIT without config: %v", c)
			}
			// COMMIT without a saved config: NOT_FOUND.
			if c := h.setPipeline(eid, p4v1.SetForwardingPipelineConfigRequest_COMMIT, nil); c != codes.NotFound {
				t.Errorf("COMMIT without VERIFY_AND_SAVE: %v, want NOT_FOUND", c)
			}
			// RECONCILE_AND_COMMIT keeps the forwarding state; the cookie
			// changes. PI replays the cells of indirect counters (onos-basic
			// has port counters) as INSERTs, which fail: in profile bmv2
			// the push is UNKNOWN, with the new pipeline and the entries
			// replayed (DeviceMgr::pipeline_config_set).
			cfg2 := clone(cfg)
			cfg2.Cookie = &p4v1.ForwardingPipelineConfig_Cookie{Cookie: 77}
			want := codes.OK
			if prof == p4rt.ProfileBMv2 {
				want = codes.Unknown
			}
			if c := h.setPipeline(eid, p4v1.SetForwardingPipelineConfigRequest_RECONCILE_AND_COMMIT, cfg2); c != want {
				t.Fatalf("RECONCILE_AND_COMMIT: %v, want %v", c, want)
			}
			if got := h.mustRead(tableEntity(&p4v1.TableEntry{})); len(got) != 1 || !proto.Equal(got[0].GetTableEntry(), entry(h)) {
				t.Errorf("after RECONCILE_AND_COMMIT: %v, want the entry kept", got)
			}
			if got, _ := h.getPipeline(p4v1.GetForwardingPipelineConfigRequest_COOKIE_ONLY); got.GetCookie().GetCookie() != 77 {
				t.Errorf("cookie after reconcile: %v", got)
			}
			// VERIFY_AND_SAVE: reads see the new (empty) state; COMMIT
			// realises it.
			if c := h.setPipeline(eid, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_SAVE, cfg); c != codes.OK {
				t.Fatalf("VERIFY_AND_SAVE: %v", c)
			}
			if n := count(); n != 0 {
				t.Errorf("after VERIFY_AND_SAVE: %d entries, want 0", n)
			}
			h.mustWrite(eid, update(p4v1.Update_INSERT, tableEntity(entry(h))))
			commitCfg := cfg
			if prof == p4rt.ProfileSpec {
				if c := h.setPipeline(eid, p4v1.SetForwardingPipelineConfigRequest_COMMIT, cfg); c != codes.InvalidArgument {
					t.Errorf("COMMIT with a config: %v, want INVALID_ARGUMENT", c)
				}
				commitCfg = nil
			}
			if c := h.setPipeline(eid, p4v1.SetForwardingPipelineConfigRequest_COMMIT, commitCfg); c != codes.OK {
				t.Fatalf("COMMIT: %v", c)
			}
			if n := count(); n != 1 {
				t.Errorf("after COMMIT: %d entries, want the one written after SAVE", n)
			}
			// VERIFY_AND_COMMIT clears the forwarding state.
			if c := h.setPipeline(eid, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, cfg); c != codes.OK {
				t.Fatalf("VERIFY_AND_COMMIT: %v", c)
			}
			if n := count(); n != 0 {
				t.Errorf("after VERIFY_AND_COMMIT: %d entries, want 0", n)
			}
			// Response types.
			for _, rt := range []struct {
				typ                       p4v1.GetForwardingPipelineConfigRequest_ResponseType
				p4info, devconfig, cookie bool
			}{
				{p4v1.GetForwardingPipelineConfigRequest_ALL, true, true, true},
				{p4v1.GetForwardingPipelineConfigRequest_COOKIE_ONLY, false, false, true},
				{p4v1.GetForwardingPipelineConfigRequest_P4INFO_AND_COOKIE, true, false, true},
				{p4v1.GetForwardingPipelineConfigRequest_DEVICE_CONFIG_AND_COOKIE, false, true, true},
			} {
				got, c := h.getPipeline(rt.typ)
				if c != codes.OK {
					t.Fatalf("%v: %v", rt.typ, c)
				}
				if (got.GetP4Info() != nil) != rt.p4info || (len(got.GetP4DeviceConfig()) > 0) != rt.devconfig || (got.GetCookie() != nil) != rt.cookie {
					t.Errorf("%v: p4info %v devconfig %v cookie %v", rt.typ, got.GetP4Info() != nil, len(got.GetP4DeviceConfig()) > 0, got.GetCookie())
				}
				if rt.p4info && !proto.Equal(got.GetP4Info(), cfg.P4Info) {
					t.Errorf("%v: P4Info differs from the one set", rt.typ)
				}
				if rt.devconfig && string(got.GetP4DeviceConfig()) != string(cfg.P4DeviceConfig) {
					t.Errorf("%v: device config differs from the one set", rt.typ)
				}
			}
			if _, c := h.getPipeline(99); c != codes.InvalidArgument {
				t.Errorf("unknown response type: %v", c)
			}
		})
	}
}

// TestMismatchedConfig: a P4Info and bmv2 JSON of different programs are
// refused (spec section 14: "cannot be realized"; bmv2 reports a failed
// device update as UNKNOWN). PI's VERIFY checks the P4Info alone: in
// profile bmv2 it takes both.
func TestMismatchedConfig(t *testing.T) {
	mixed := config(t, fixtures.Get(t, "onos-basic"))
	mixed.P4DeviceConfig = config(t, fixtures.Get(t, "tutorials-basic")).P4DeviceConfig
	garbage := config(t, fixtures.Get(t, "onos-basic"))
	garbage.P4DeviceConfig = []byte("{not json")
	for _, tc := range []struct {
		profile p4rt.Profile
		want    codes.Code
	}{{p4rt.ProfileBMv2, codes.Unknown}, {p4rt.ProfileSpec, codes.InvalidArgument}} {
		t.Run(tc.profile.String(), func(t *testing.T) {
			h := newHarness(t, tc.profile)
			var eid *p4v1.Uint128
			if tc.profile == p4rt.ProfileSpec {
				eid = &p4v1.Uint128{Low: 1}
				h.arbitrate(eid)
			}
			for _, a := range []p4v1.SetForwardingPipelineConfigRequest_Action{p4v1.SetForwardingPipelineConfigRequest_VERIFY, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT} {
				for name, cfg := range map[string]*p4v1.ForwardingPipelineConfig{"other program": mixed, "not JSON": garbage} {
					want := tc.want
					if tc.profile == p4rt.ProfileBMv2 && a == p4v1.SetForwardingPipelineConfigRequest_VERIFY {
						want = codes.OK
					}
					if c := h.setPipeline(eid, a, cfg); c != want {
						t.Errorf("%v with %s: %v, want %v", a, name, c, want)
					}
				}
			}
		})
	}
}

// TestCapabilities: spec section 17; bmv2 reports 1.3.0.
func TestCapabilities(t *testing.T) {
	for prof, want := range map[p4rt.Profile]string{p4rt.ProfileBMv2: "1.3.0", p4rt.ProfileSpec: "1.5.0"} {
		h := newHarness(t, prof)
		r, err := h.cl.Capabilities(ctx(t), &p4v1.CapabilitiesRequest{})
		if err != nil || r.P4RuntimeApiVersion != want {
			t.Errorf("%v: %v %v, want %s", prof, r, err, want)
		}
	}
	h := newHarness(t, p4rt.ProfileSpec)
	if _, err := h.cl.Capabilities(ctx(t), &p4v1.CapabilitiesRequest{DeviceId: 9}); status.Code(err) != codes.NotFound {
		t.Errorf("spec: unknown device: %v, want NOT_FOUND", err)
	}
}

// TestRestart checks Device.Restart against what a restarted
// simple_switch_grpc answers (DESIGN.md, "Faults": a switch restarts): the
// controller's stream ends with UNAVAILABLE, the device has no pipeline
// (Get, Read and Write as before any pipeline), no primary is left (a new
// controller arbitrates with a lower election id and is primary), and the
// program set again starts empty.
func TestRestart(t *testing.T) {
	h := newHarness(t, p4rt.ProfileBMv2)
	h.load(fixtures.Get(t, "onos-basic"))
	eid := &p4v1.Uint128{Low: 5}
	s := h.arbitrate(eid)
	written := h.writeGenerated(eid, 1, 20)
	if got, _, err := h.read(tableEntity(&p4v1.TableEntry{})); err != nil || len(got) == 0 {
		t.Fatalf("before the restart: %d entries, %v", len(got), err)
	}
	if err := h.dev.Restart(); err != nil {
		t.Fatal(err)
	}
	if c := s.ended(); c != codes.Unavailable {
		t.Errorf("the controller's stream ended with %v, want UNAVAILABLE", c)
	}
	if cfg, c := h.getPipeline(p4v1.GetForwardingPipelineConfigRequest_ALL); c != codes.FailedPrecondition || cfg != nil {
		t.Errorf("Get after a restart: %v %v, want FAILED_PRECONDITION and no config", c, cfg)
	}
	if _, _, err := h.read(tableEntity(&p4v1.TableEntry{})); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("Read after a restart: %v, want FAILED_PRECONDITION", err)
	}
	// A lower election id than before is primary: only the primary may
	// set the pipeline.
	low := &p4v1.Uint128{Low: 1}
	h.arbitrate(low)
	if c := h.setPipeline(low, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, config(t, fixtures.Get(t, "onos-basic"))); c != codes.OK {
		t.Fatalf("the pipeline set again: %v", c)
	}
	for _, e := range written {
		got, _, err := h.read(e)
		if err == nil && len(got) > 0 && e.GetTableEntry() != nil && !e.GetTableEntry().GetIsDefaultAction() {
			t.Errorf("after the restart and a new pipeline, %v is still there", got[0])
		}
	}
}
