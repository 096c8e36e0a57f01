package p4rt_test

//lint:file-ignore SA1019 the spec filters wildcard reads on controller_metadata

import (
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/fixtures"
)

// lpmEntry is an entry of tutorials-basic's ipv4_lpm.
func lpmEntry(h *harness, b byte) *p4v1.Entity {
	tb := h.inf.TableByName("MyIngress.ipv4_lpm")
	return tableEntity(&p4v1.TableEntry{TableId: tb.ID, Match: []*p4v1.FieldMatch{lpm(1, 24, 10, 0, b, 0)},
		Action: act(h.inf.ActionByName("MyIngress.ipv4_forward"), param(1, 1), param(2, 1))})
}

// TestBatchAtomicity: spec section 12.2 "Batch Atomicity" and 12.3 "Error
// Reporting": CONTINUE_ON_ERROR attempts every update and reports each
// (UNKNOWN with one p4.v1.Error per update, OK for the good ones);
// ROLLBACK_ON_ERROR is UNIMPLEMENTED in bmv2 and all-or-none in profile
// spec; DATAPLANE_ATOMIC is UNIMPLEMENTED.
func TestBatchAtomicity(t *testing.T) {
	for _, prof := range []p4rt.Profile{p4rt.ProfileBMv2, p4rt.ProfileSpec} {
		t.Run(prof.String(), func(t *testing.T) {
			h := newHarness(t, prof)
			eid := h.load(fixtures.Get(t, "tutorials-basic"))
			h.mustWrite(eid, update(p4v1.Update_INSERT, lpmEntry(h, 1)))
			batch := []*p4v1.Update{
				update(p4v1.Update_INSERT, lpmEntry(h, 2)),
				update(p4v1.Update_INSERT, lpmEntry(h, 1)), // exists
				update(p4v1.Update_DELETE, lpmEntry(h, 9)), // missing
				update(p4v1.Update_INSERT, lpmEntry(h, 3)),
			}
			err := h.write(eid, batch...)
			got := updateCodes(t, err, len(batch))
			want := []codes.Code{codes.OK, codes.AlreadyExists, codes.NotFound, codes.OK}
			for i := range want {
				if got[i].Code != want[i] {
					t.Errorf("CONTINUE_ON_ERROR update %d: %v, want %v", i, got[i], want[i])
				}
			}
			if n := len(h.mustRead(tableEntity(&p4v1.TableEntry{}))); n != 3 {
				t.Errorf("after CONTINUE_ON_ERROR: %d entries, want 3", n)
			}

			rb := []*p4v1.Update{
				update(p4v1.Update_INSERT, lpmEntry(h, 4)),
				update(p4v1.Update_DELETE, lpmEntry(h, 1)),
				update(p4v1.Update_INSERT, lpmEntry(h, 2)), // exists
				update(p4v1.Update_INSERT, lpmEntry(h, 5)),
			}
			_, err = h.cl.Write(ctx(t), &p4v1.WriteRequest{DeviceId: devID, ElectionId: eid, Updates: rb, Atomicity: p4v1.WriteRequest_ROLLBACK_ON_ERROR})
			if prof == p4rt.ProfileBMv2 {
				if status.Code(err) != codes.Unimplemented {
					t.Errorf("ROLLBACK_ON_ERROR: %v, want UNIMPLEMENTED", err)
				}
			} else {
				got := updateCodes(t, err, len(rb))
				want := []codes.Code{codes.Aborted, codes.Aborted, codes.AlreadyExists, codes.Aborted}
				for i := range want {
					if got[i].Code != want[i] {
						t.Errorf("ROLLBACK_ON_ERROR update %d: %v, want %v", i, got[i], want[i])
					}
				}
			}
			ents := h.mustRead(tableEntity(&p4v1.TableEntry{}))
			if len(ents) != 3 {
				t.Errorf("after a failed ROLLBACK_ON_ERROR batch: %d entries, want the 3 of before", len(ents))
			}
			if prof == p4rt.ProfileSpec {
				ok := []*p4v1.Update{update(p4v1.Update_INSERT, lpmEntry(h, 4)), update(p4v1.Update_DELETE, lpmEntry(h, 1))}
				if _, err := h.cl.Write(ctx(t), &p4v1.WriteRequest{DeviceId: devID, ElectionId: eid, Updates: ok, Atomicity: p4v1.WriteRequest_ROLLBACK_ON_ERROR}); err != nil {
					t.Errorf("good ROLLBACK_ON_ERROR batch: %v", err)
				}
			}
			_, err = h.cl.Write(ctx(t), &p4v1.WriteRequest{DeviceId: devID, ElectionId: eid, Updates: rb[:1], Atomicity: p4v1.WriteRequest_DATAPLANE_ATOMIC})
			if status.Code(err) != codes.Unimplemented {
				t.Errorf("DATAPLANE_ATOMIC: %v, want UNIMPLEMENTED", err)
			}
		})
	}
}

// TestReadBatches: spec section 13 "Read RPC". bmv2 answers in one
// message and stops at the first failing entity with its code (PI's
// read_); profile spec streams several messages and reports each failing
// entity in the details while still returning the others' entities.
func TestReadBatches(t *testing.T) {
	for _, prof := range []p4rt.Profile{p4rt.ProfileBMv2, p4rt.ProfileSpec} {
		t.Run(prof.String(), func(t *testing.T) {
			h := newHarness(t, prof, func(o *p4rt.Options) { o.ReadChunk = 100 })
			eid := h.load(fixtures.Get(t, "tutorials-basic"))
			var us []*p4v1.Update
			for i := 0; i < 250; i++ {
				us = append(us, update(p4v1.Update_INSERT, lpmEntry(h, byte(i))))
			}
			h.mustWrite(eid, us...)
			ents, msgs, err := h.read(tableEntity(&p4v1.TableEntry{}))
			if err != nil || len(ents) != 250 {
				t.Fatalf("read: %d entities, %v", len(ents), err)
			}
			wantMsgs := 1
			if prof == p4rt.ProfileSpec {
				wantMsgs = 3
			}
			if msgs != wantMsgs {
				t.Errorf("%d messages, want %d", msgs, wantMsgs)
			}
			bad := preQuery(&p4v1.PacketReplicationEngineEntry{})
			ents, _, err = h.read(tableEntity(&p4v1.TableEntry{}), bad, tableEntity(&p4v1.TableEntry{IsDefaultAction: true}))
			st := status.Convert(err)
			if prof == p4rt.ProfileBMv2 {
				if st.Code() != codes.InvalidArgument || len(ents) != 250 {
					t.Errorf("bmv2: %v with %d entities, want INVALID_ARGUMENT after the 250 entries", err, len(ents))
				}
				return
			}
			if st.Code() != codes.Unknown || len(st.Proto().GetDetails()) != 3 || len(ents) != 251 {
				t.Fatalf("spec: %v with %d entities, want UNKNOWN with 3 details and 251 entities", err, len(ents))
			}
			for i, want := range []codes.Code{codes.OK, codes.InvalidArgument, codes.OK} {
				pe := &p4v1.Error{}
				if err := st.Proto().GetDetails()[i].UnmarshalTo(pe); err != nil || codes.Code(pe.CanonicalCode) != want {
					t.Errorf("detail %d: %v, want %v", i, pe, want)
				}
			}
			// The spec's wildcard filters: priority, controller_metadata.
			cm := clone(lpmEntry(h, 1).GetTableEntry())
			cm.ControllerMetadata = 5
			h.mustWrite(eid, update(p4v1.Update_MODIFY, tableEntity(cm)))
			got := h.mustRead(tableEntity(&p4v1.TableEntry{ControllerMetadata: 5}))
			if len(got) != 1 {
				t.Errorf("controller_metadata filter: %d entries, want 1", len(got))
			}
		})
	}
}
