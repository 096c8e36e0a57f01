package translate

import (
	"bytes"
	"errors"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
)

// P4Runtime spec sections 9.1, 9.2.1, 9.2.2 and 9.5: a DELETE is judged by
// its key alone, the other fields ignored "even if they have nonsensical
// values". Update translates such a DELETE by its key where the rest does
// not translate (an output to port 0, which the map does not cover; an
// unknown action), keeps a DELETE whole where it translates, and refuses
// an INSERT or MODIFY, or a DELETE whose key does not translate.
func TestUpdateDeleteByKey(t *testing.T) {
	basic, err := info.New(load(t, "onos-basic").Proto, info.WithPortRules(info.DefaultPortRules.Merge(info.PortRules{Names: []string{"*.set_egress_port/port"}})))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(basic, basic, WithPorts(NewPortMap(map[uint64]uint64{1: 11, 2: 12, 3: 13})))
	if err != nil {
		t.Fatal(err)
	}
	ap := basic.ActionProfileByName("ingress.wcmp_control.wcmp_selector").ID
	setPort := func(port byte) *p4v1.Action {
		return &p4v1.Action{ActionId: basic.ActionByName("ingress.wcmp_control.set_egress_port").ID,
			Params: []*p4v1.Action_Param{{ParamId: 1, Value: []byte{port}}}}
	}
	member := func(a *p4v1.Action) *p4v1.Entity {
		return &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{
			ActionProfileId: ap, MemberId: 4, Action: a}}}
	}
	tb := basic.TableByName("ingress.table0_control.table0")
	in0 := tb.FieldByName("standard_metadata.ingress_port")
	entry := func(inPort byte, a *p4v1.Action) *p4v1.Entity {
		return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: tb.ID, Priority: 5,
			Match:  []*p4v1.FieldMatch{{FieldId: in0.ID, FieldMatchType: &p4v1.FieldMatch_Ternary_{Ternary: &p4v1.FieldMatch_Ternary{Value: []byte{inPort}, Mask: []byte{1, 0xff}}}}},
			Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: a}}}}}
	}
	group := &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: &p4v1.ActionProfileGroup{ActionProfileId: ap, GroupId: 7,
		Members: []*p4v1.ActionProfileGroup_Member{{MemberId: 4, Weight: 2, WatchKind: &p4v1.ActionProfileGroup_Member_WatchPort{WatchPort: []byte{9}}}}}}}
	mcast := &p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
		Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{MulticastGroupId: 1,
			Replicas: []*p4v1.Replica{{PortKind: &p4v1.Replica_Port{Port: []byte{0}}}}}}}}}

	// Translates whole: a DELETE keeps what it carries.
	got, err := tr.Update(p4v1.Update_DELETE, member(setPort(2)))
	if err != nil || !bytes.Equal(got.GetActionProfileMember().GetAction().GetParams()[0].GetValue(), []byte{12}) {
		t.Errorf("DELETE of a member sending to port 2: %v %v, want it whole, sending to 12", got, err)
	}
	for _, c := range []struct {
		name string
		e    *p4v1.Entity
		key  *p4v1.Entity // the DELETE's translation
	}{
		{"member sending to port 0", member(setPort(0)), member(nil)},
		{"member with an unknown action", member(&p4v1.Action{ActionId: 12345}), member(nil)},
		{"entry on port 3 sending to port 0", entry(3, setPort(0)), func() *p4v1.Entity {
			k := entry(13, nil)
			k.GetTableEntry().Action = nil
			return k
		}()},
		{"group watching port 9", group, &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: &p4v1.ActionProfileGroup{ActionProfileId: ap, GroupId: 7}}}},
		{"multicast group replicating to port 0", mcast, &p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
			Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{MulticastGroupId: 1}}}}}},
	} {
		before := proto.Clone(c.e)
		got, err := tr.Update(p4v1.Update_DELETE, c.e)
		if err != nil || !proto.Equal(got, c.key) {
			t.Errorf("DELETE of %s: %v %v, want %v", c.name, got, err, c.key)
		}
		if !proto.Equal(c.e, before) {
			t.Errorf("DELETE of %s: the update was modified", c.name)
		}
		for _, typ := range []p4v1.Update_Type{p4v1.Update_INSERT, p4v1.Update_MODIFY} {
			if got, err := tr.Update(typ, c.e); err == nil {
				t.Errorf("%v of %s: %v, want refused", typ, c.name, got)
			}
		}
	}
	// The key itself does not translate: refused, saying why.
	_, err = tr.Update(p4v1.Update_DELETE, entry(4, setPort(0)))
	if !errors.Is(err, ErrUnmappedPort) {
		t.Errorf("DELETE of an entry matching port 4, which the map does not cover: %v, want %v", err, ErrUnmappedPort)
	}
}

// UpdateShared is Update, but for an entity the translation leaves as it
// is, which it gives back itself (untouched: its dry run changes nothing):
// never when the copy would differ
// (checked over generated states of every update type, through a
// translator that keeps the ids and moves one port, as the proxy's for a
// source whose host moved, and one that renumbers everything), and
// sometimes indeed (or the proxy's writes gain nothing).
func FuzzUpdateShared(f *testing.F) {
	in, trs := proxyTranslators(f)
	same, renumbered := trs[0], trs[1]
	f.Add(uint64(1), uint8(31))
	f.Add(uint64(7), uint8(12))
	f.Fuzz(func(t *testing.T, seed uint64, n uint8) {
		for i, e := range p4test.NewGen(in, seed).State(int(n%32) + 1) {
			typ := []p4v1.Update_Type{p4v1.Update_INSERT, p4v1.Update_MODIFY, p4v1.Update_DELETE}[i%3]
			for _, tr := range []*Translator{same, renumbered} {
				want, werr := tr.Update(typ, e)
				before := proto.Clone(e)
				got, gerr := tr.UpdateShared(typ, e)
				if !proto.Equal(e, before) {
					t.Fatalf("%s: UpdateShared changed the entity it was given: %v", entity.Describe(before.(*p4v1.Entity), in), e)
				}
				if (werr == nil) != (gerr == nil) {
					t.Fatalf("%s: Update: %v, UpdateShared: %v", entity.Describe(e, in), werr, gerr)
				}
				if werr != nil {
					continue
				}
				if !proto.Equal(got, want) {
					t.Fatalf("%s: UpdateShared gives %v, Update %v", entity.Describe(e, in), got, want)
				}
				if got == e {
					if !proto.Equal(want, e) {
						t.Fatalf("%s: given back as it is, but it translates to %v", entity.Describe(e, in), want)
					}
					if tr == renumbered && e.GetPacketReplicationEngineEntry() == nil { // PRE entries have no P4Info ids
						t.Fatalf("%s: given back as it is through a renumbering", entity.Describe(e, in))
					}
				}
			}
		}
	})
}

// And it does give entities back as they are: a route to a port the map
// keeps, not one to the port it moves.
func TestUpdateSharedShares(t *testing.T) {
	in, err := info.New(load(t, "tutorials-basic").Proto, info.WithPortRules(info.DefaultPortRules.Merge(info.PortRules{Names: []string{"MyIngress.ipv4_forward/port"}})))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(in, in, WithPorts(NewPortMap(map[uint64]uint64{1: 9, 2: 2})))
	if err != nil {
		t.Fatal(err)
	}
	tbl, act := in.TableByName("MyIngress.ipv4_lpm"), in.ActionByName("MyIngress.ipv4_forward")
	route := func(port byte) *p4v1.Entity {
		return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: tbl.ID,
			Match: []*p4v1.FieldMatch{{FieldId: 1, FieldMatchType: &p4v1.FieldMatch_Lpm{Lpm: &p4v1.FieldMatch_LPM{Value: []byte{10, 0, 0, port}, PrefixLen: 32}}}},
			Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: act.ID,
				Params: []*p4v1.Action_Param{{ParamId: 1, Value: []byte{8, 0, 0, 0, 0, port}}, {ParamId: 2, Value: []byte{port}}}}}}}}}
	}
	kept, moved := route(2), route(1)
	if got, err := tr.UpdateShared(p4v1.Update_INSERT, kept); err != nil || got != kept {
		t.Errorf("a route to port 2 (kept): %v, %v; want itself", got, err)
	}
	got, err := tr.UpdateShared(p4v1.Update_INSERT, moved)
	if err != nil || got == moved || got.GetTableEntry().GetAction().GetAction().GetParams()[1].GetValue()[0] != 9 {
		t.Errorf("a route to port 1 (moved to 9): %v, %v", got, err)
	}
}
