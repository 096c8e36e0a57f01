package p4rt_test

//lint:file-ignore SA1019 PRE replicas read back in the form written, deprecated egress_port included

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/migrator/snapshot"
	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/entity"
)

// unsupportedInBMv2 are the entities simple_switch_grpc answers
// UNIMPLEMENTED (PI issue 376: registers; value sets likewise).
func unsupportedInBMv2(e *p4v1.Entity) bool {
	return e.GetRegisterEntry() != nil || e.GetValueSetEntry() != nil
}

func preQuery(p *p4v1.PacketReplicationEngineEntry) *p4v1.Entity {
	return &p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: p}}
}

// sameOrder puts the repeated fields whose order the spec lets servers
// change (group members, replicas; section 8.2 "Read-Write Symmetry") in
// one order; everything else must be byte-identical.
func sameOrder(e *p4v1.Entity) *p4v1.Entity {
	e = clone(e)
	if g := e.GetActionProfileGroup(); g != nil {
		slices.SortFunc(g.Members, func(a, b *p4v1.ActionProfileGroup_Member) int { return int(a.MemberId) - int(b.MemberId) })
	}
	sortReplicas := func(rs []*p4v1.Replica) {
		slices.SortFunc(rs, func(a, b *p4v1.Replica) int {
			return strings.Compare(fmt.Sprint(a.GetInstance(), a.GetEgressPort(), a.GetPort()), fmt.Sprint(b.GetInstance(), b.GetEgressPort(), b.GetPort()))
		})
	}
	if mg := e.GetPacketReplicationEngineEntry().GetMulticastGroupEntry(); mg != nil {
		sortReplicas(mg.Replicas)
	}
	if cs := e.GetPacketReplicationEngineEntry().GetCloneSessionEntry(); cs != nil {
		sortReplicas(cs.Replicas)
	}
	return e
}

// TestWriteReadBackEveryPipeline writes a whole generated device state to
// every shared pipeline and reads each entity back: P4Runtime spec section
// 8.2 "Read-Write Symmetry" (byte-identical, canonical bytestrings per
// section 8.3 "Bytestrings"), section 12 "Write RPC" (INSERT of an existing
// entity is ALREADY_EXISTS) and, for profile bmv2, PI issue 376 (register
// and value-set writes UNIMPLEMENTED per update).
func TestWriteReadBackEveryPipeline(t *testing.T) {
	for _, p := range withJSON(t) {
		for _, prof := range []p4rt.Profile{p4rt.ProfileBMv2, p4rt.ProfileSpec} {
			t.Run(p.Name+"/"+prof.String(), func(t *testing.T) {
				h := newHarness(t, prof)
				eid := h.load(p)
				written := h.writeGenerated(eid, 7, 20)
				if len(written) == 0 {
					t.Skipf("%s has no writable P4Runtime state", p.Name)
				}
				for _, e := range written {
					got := pick(h.mustRead(entity.Query(e)), e)
					if len(got) != 1 {
						t.Fatalf("read %s: %d entities, want 1", entity.Describe(e, h.inf), len(got))
					}
					want := e
					if prof == p4rt.ProfileBMv2 {
						if mg := want.GetPacketReplicationEngineEntry().GetMulticastGroupEntry(); mg != nil && len(mg.Metadata) > 0 {
							t.Fatalf("generator wrote multicast metadata, which bmv2 does not keep")
						}
					}
					if !proto.Equal(sameOrder(got[0]), sameOrder(want)) {
						t.Errorf("read back differs:\n got  %v\n want %v", got[0], want)
					}
				}
				// An INSERT of what exists is ALREADY_EXISTS; a padded
				// encoding of an existing key too (section 8.3).
				for _, e := range written {
					if p4test.WriteType(e) != p4v1.Update_INSERT {
						continue
					}
					if c := h.updateCode(eid, update(p4v1.Update_INSERT, e)); c != codes.AlreadyExists {
						t.Errorf("re-INSERT %s: %v, want ALREADY_EXISTS", entity.Describe(e, h.inf), c)
					}
					if te := e.GetTableEntry(); te != nil && len(te.Match) > 0 {
						if padded := padFirst(te); padded != nil {
							if c := h.updateCode(eid, update(p4v1.Update_INSERT, tableEntity(padded))); c != codes.AlreadyExists {
								t.Errorf("padded re-INSERT %s: %v, want ALREADY_EXISTS", entity.Describe(e, h.inf), c)
							}
						}
					}
				}
			})
		}
	}
}

// writeGenerated writes a generated state (n entities a kind, from seed) and
// returns what the device took. Writes the profile refuses by design
// (registers and value sets in bmv2, PI issue 376; INSERT into a keyless
// table in spec, section 9.1) must fail with the right code; any other
// failure ends the test.
func (h *harness) writeGenerated(eid *p4v1.Uint128, seed uint64, n int) []*p4v1.Entity {
	t := h.t
	t.Helper()
	prof := h.dev.Profile()
	g := p4test.NewGen(h.inf, seed)
	g.ReplicaPortBytes = prof == p4rt.ProfileSpec
	state := g.State(n)
	if prof == p4rt.ProfileSpec {
		// Spec section 9.2.2.1: max_size is required when the
		// profile has a max_group_size.
		for _, e := range state {
			if grp := e.GetActionProfileGroup(); grp != nil {
				grp.MaxSize = h.inf.ActionProfile(grp.ActionProfileId).MaxGroupSize
			}
		}
	}
	var written []*p4v1.Entity
	for _, e := range state {
		err := h.write(eid, update(p4test.WriteType(e), e))
		if prof == p4rt.ProfileBMv2 && unsupportedInBMv2(e) {
			if err == nil || updateCodes(t, err, 1)[0].Code != codes.Unimplemented {
				t.Fatalf("bmv2 profile: %s: want UNIMPLEMENTED, got %v", entity.Describe(e, h.inf), err)
			}
			continue
		}
		if prof == p4rt.ProfileSpec && keylessInsert(h, e) {
			// Spec section 9.1: a keyless table takes no INSERT.
			if err == nil || updateCodes(t, err, 1)[0].Code != codes.InvalidArgument {
				t.Fatalf("spec profile: %s: want INVALID_ARGUMENT, got %v", entity.Describe(e, h.inf), err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("write %s: %v", entity.Describe(e, h.inf), updateCodes(t, err, 1))
		}
		written = append(written, e)
	}
	return written
}

// The gRPC server sends stored table entries as the bytes it keeps and
// marshals the rest as it reads (wire mode); a client must decode exactly
// what an in-process Read gives: every kind, every optional part a read can
// ask for (counter data, meter config, time since last hit), filters, and
// the errors (spec section 11 "Read RPC").
func TestWireReadEqualsInProcessRead(t *testing.T) {
	for _, p := range withJSON(t) {
		for _, prof := range []p4rt.Profile{p4rt.ProfileBMv2, p4rt.ProfileSpec} {
			t.Run(p.Name+"/"+prof.String(), func(t *testing.T) {
				h := newHarness(t, prof)
				eid := h.load(p)
				written := h.writeGenerated(eid, 3, 12)
				var queries []*p4v1.Entity
				for _, r := range snapshot.Plan(h.inf) {
					queries = append(queries, r.Filter)
				}
				for _, tb := range h.inf.Tables {
					f := snapshot.TableFilter(tb)
					if tb.IdleTimeout {
						f.TimeSinceLastHit = &p4v1.TableEntry_IdleTimeout{}
					}
					queries = append(queries, tableEntity(f), tableEntity(&p4v1.TableEntry{TableId: tb.ID, Priority: 1}))
				}
				for _, e := range written {
					queries = append(queries, entity.Query(e))
				}
				queries = append(queries, tableEntity(&p4v1.TableEntry{}))
				for _, q := range queries {
					got, _, gerr := h.read(q)
					var want []*p4v1.Entity
					werr := h.dev.Read(ctx(t), &p4v1.ReadRequest{DeviceId: devID, Entities: []*p4v1.Entity{q}}, func(r *p4v1.ReadResponse) error {
						want = append(want, r.Entities...)
						return nil
					})
					if codeOf(gerr) != codeOf(p4rt.StatusOf(werr)) {
						t.Fatalf("read %v: over gRPC %v, in process %v", q, gerr, werr)
					}
					if len(got) != len(want) {
						t.Fatalf("read %v: %d entities over gRPC, %d in process", q, len(got), len(want))
					}
					for i := range got {
						// Time goes on between the two reads.
						gi, wi := got[i].GetTableEntry().GetTimeSinceLastHit(), want[i].GetTableEntry().GetTimeSinceLastHit()
						if (gi == nil) != (wi == nil) {
							t.Fatalf("read %v: entity %d: time_since_last_hit %v over gRPC, %v in process", q, i, gi, wi)
						}
						if gi != nil {
							gi.ElapsedNs, wi.ElapsedNs = 0, 0
						}
						if !proto.Equal(got[i], want[i]) {
							t.Fatalf("read %v: entity %d differs:\n gRPC       %v\n in process %v", q, i, got[i], want[i])
						}
					}
				}
			})
		}
	}
}

// padFirst returns te with its first exact or optional value written with a
// leading zero byte (the same value), or nil.
func padFirst(te *p4v1.TableEntry) *p4v1.TableEntry {
	c := clone(te)
	for _, m := range c.Match {
		switch x := m.FieldMatchType.(type) {
		case *p4v1.FieldMatch_Exact_:
			x.Exact.Value = append([]byte{0}, canon.Canonical(x.Exact.Value)...)
			return c
		case *p4v1.FieldMatch_Optional_:
			x.Optional.Value = append([]byte{0}, canon.Canonical(x.Optional.Value)...)
			return c
		}
	}
	return nil
}

// keylessInsert reports an INSERT into a table without a key.
func keylessInsert(h *harness, e *p4v1.Entity) bool {
	te := e.GetTableEntry()
	return te != nil && !te.IsDefaultAction && len(h.inf.Table(te.TableId).Fields) == 0
}

// pick keeps the entities with e's key: a read of a table entry whose
// match is empty (all don't-care) is a wildcard read (spec section 9.1.6
// "Wildcard Reads") and returns other entries too.
func pick(got []*p4v1.Entity, e *p4v1.Entity) []*p4v1.Entity {
	k := entity.MustOf(e)
	var out []*p4v1.Entity
	for _, g := range got {
		if entity.MustOf(g) == k {
			out = append(out, g)
		}
	}
	return out
}
