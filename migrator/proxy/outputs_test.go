//lint:file-ignore SA1019 P4Runtime 1.3 targets (bmv2, ONOS) use a replica's egress_port; lime carries it

package proxy

import (
	"slices"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/pipelines"
)

// The index of outputs (issue 14, "know which entities reference which
// ports, kept up to date as writes pass") follows each kind of write the
// source answered: an INSERT or MODIFY with an action says where the entry
// sends now, a MODIFY without one leaves its action (it only adds), a
// DELETE forgets it, an update of unknown fate adds, and an entity that
// sends to several hosts (a multicast group) is under each.
func TestOutputIndexFollowsWrites(t *testing.T) {
	prog, err := pipelines.Get(pipelines.LimeL2)
	if err != nil {
		t.Fatal(err)
	}
	in, err := info.New(prog.P4Info, info.WithPortRules(info.DefaultPortRules.Merge(info.PortRules{Names: []string{pipelines.L2Forward + "/port"}})))
	if err != nil {
		t.Fatal(err)
	}
	dmac, fwd := in.TableByName(pipelines.L2DMAC), in.ActionByName(pipelines.L2Forward)
	entry := func(mac byte, port uint64, action bool) *p4v1.Entity {
		te := &p4v1.TableEntry{TableId: dmac.ID, Match: []*p4v1.FieldMatch{
			{FieldId: dmac.Fields[0].ID, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: []byte{1}}}},
			{FieldId: dmac.Fields[1].ID, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: []byte{mac}}}}}}
		if action {
			te.Action = &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: fwd.ID,
				Params: []*p4v1.Action_Param{{ParamId: fwd.Params[0].ID, Value: canon.FromUint64(port)}}}}}
		}
		return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: te}}
	}
	group := func(id uint32, ports ...uint32) *p4v1.Entity {
		var rs []*p4v1.Replica
		for _, p := range ports {
			rs = append(rs, &p4v1.Replica{PortKind: &p4v1.Replica_EgressPort{EgressPort: p}, Instance: 1})
		}
		return &p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
			Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{MulticastGroupId: id, Replicas: rs}}}}}
	}
	key := func(e *p4v1.Entity) entity.Key {
		k, err := entity.Of(e)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	a, b, g := key(entry(0xa, 0, false)), key(entry(0xb, 0, false)), key(group(5))
	x := newOutputIndex(&Ports{Hosts: []uint64{1, 2, 3}}, in, nil)
	write := func(typ p4v1.Update_Type, e *p4v1.Entity) {
		x.written([]*p4v1.Update{{Type: typ, Entity: e}}, []int{0}, nil)
	}
	want := func(step string, hosts map[uint64][]entity.Key) {
		t.Helper()
		for _, h := range []uint64{1, 2, 3} {
			if got := x.keys(h); !slices.Equal(got, hosts[h]) {
				t.Errorf("%s: host %d: %q, want %q", step, h, got, hosts[h])
			}
		}
	}
	write(p4v1.Update_INSERT, entry(0xa, 1, true))
	write(p4v1.Update_INSERT, entry(0xb, 7, true)) // not a host port
	want("insert", map[uint64][]entity.Key{1: {a}})
	write(p4v1.Update_MODIFY, entry(0xa, 2, true))
	write(p4v1.Update_MODIFY, entry(0xb, 2, true))
	want("modify", map[uint64][]entity.Key{2: {a, b}})
	write(p4v1.Update_MODIFY, entry(0xa, 0, false)) // its action stays
	want("modify without an action", map[uint64][]entity.Key{2: {a, b}})
	write(p4v1.Update_INSERT, group(5, 1, 3, 9))
	want("a group", map[uint64][]entity.Key{1: {g}, 2: {a, b}, 3: {g}})
	write(p4v1.Update_MODIFY, group(5, 3))
	write(p4v1.Update_DELETE, entry(0xb, 0, false))
	want("group modify, delete", map[uint64][]entity.Key{2: {a}, 3: {g}})
	// Unsure: it may send to host 1 now, or still to host 2.
	x.written([]*p4v1.Update{{Type: p4v1.Update_MODIFY, Entity: entry(0xa, 1, true)}}, nil,
		[]*p4v1.Update{{Type: p4v1.Update_MODIFY, Entity: entry(0xa, 1, true)}})
	want("unsure", map[uint64][]entity.Key{1: {a}, 2: {a}, 3: {g}})
	// A read adds and never removes.
	x.add(entry(0xa, 3, true))
	want("read", map[uint64][]entity.Key{1: {a}, 2: {a}, 3: {g, a}})
	write(p4v1.Update_MODIFY, entry(0xa, 3, true))
	write(p4v1.Update_DELETE, group(5))
	want("settled", map[uint64][]entity.Key{3: {a}})
	if len(x.sends) != 1 {
		t.Errorf("the reverse index holds %d entities, want 1: %v", len(x.sends), x.sends)
	}
}
