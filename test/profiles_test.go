//go:build linux

package test

import (
	"context"
	"errors"
	"slices"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/test/lab"
)

// Issue 15 (A and B), on real bmv2: how simple_switch_grpc answers reads of
// weighted action-profile members (PI programs a member of weight w as the
// member and w-1 hidden copies, shared by every group that holds it, and a
// wildcard read of members lists each copy under the member's id, in bmv2's
// handle order), and deleting a member or group still in use (UNKNOWN).
// Every figure below was read off the real switch.
func TestRealBMv2WeightedMembers(t *testing.T) { weightedMembers(t, lab.RealBMv2(t)) }

// The same on the simulator (bmv2 profile), which must answer the same.
func TestSimWeightedMembers(t *testing.T) { weightedMembers(t, lab.Sim{Links: lab.Memory}) }

// wcmp names onos-basic's WCMP selector and builds its entities.
type wcmp struct {
	ap, act, table uint32
}

func newWCMP(t *testing.T, in *info.Info) wcmp {
	ap := in.ActionProfileByName("ingress.wcmp_control.wcmp_selector")
	act := in.ActionByName("ingress.wcmp_control.set_egress_port")
	tb := in.TableByName("ingress.wcmp_control.wcmp_table")
	if ap == nil || act == nil || tb == nil {
		t.Fatal("onos-basic without its WCMP selector, action or table")
	}
	return wcmp{ap: ap.ID, act: act.ID, table: tb.ID}
}

func (w wcmp) member(id uint32, port byte) *p4v1.Entity {
	return &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{
		ActionProfileId: w.ap, MemberId: id,
		Action: &p4v1.Action{ActionId: w.act, Params: []*p4v1.Action_Param{{ParamId: 1, Value: []byte{port}}}}}}}
}

// group is group id with members given as member id, weight pairs.
func (w wcmp) group(id uint32, weights ...[2]uint32) *p4v1.Entity {
	g := &p4v1.ActionProfileGroup{ActionProfileId: w.ap, GroupId: id, MaxSize: maxGroupSize}
	for _, mw := range weights {
		g.Members = append(g.Members, &p4v1.ActionProfileGroup_Member{MemberId: mw[0], Weight: int32(mw[1])})
	}
	return &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: g}}
}

func (w wcmp) entry(nextHop byte, a *p4v1.TableAction) *p4v1.Entity {
	return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: w.table,
		Match:  []*p4v1.FieldMatch{{FieldId: 1, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: []byte{nextHop}}}}},
		Action: a}}}
}

// memberIDs reads members with filter and returns their ids in the order
// read.
func memberIDs(t *testing.T, ctx context.Context, c *client.Client, filter *p4v1.ActionProfileMember) []uint32 {
	t.Helper()
	got, err := c.ReadAll(ctx, &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: filter}})
	if err != nil {
		t.Fatalf("reading members %v: %v", filter, err)
	}
	var ids []uint32
	for _, e := range got {
		ids = append(ids, e.GetActionProfileMember().GetMemberId())
	}
	return ids
}

func weightedMembers(t *testing.T, b lab.Backend) {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
	defer cancel()
	s1 := b.Start(t, lab.Spec{Name: "s1", DeviceID: 1, CPUPort: 255})
	ctl := lab.NewController(t, s1, fixtures.Get(t, "onos-basic").Dir, 0xfeed, info.DefaultPortRules)
	c, w := ctl.Client, newWCMP(t, ctl.Info)
	write := func(typ p4v1.Update_Type, es ...*p4v1.Entity) {
		t.Helper()
		var ups []*p4v1.Update
		for _, e := range es {
			ups = append(ups, &p4v1.Update{Type: typ, Entity: e})
		}
		if err := c.Write(ctx, ups); err != nil {
			t.Fatalf("%v: %v", typ, err)
		}
	}
	refused := func(what string, want codes.Code, typ p4v1.Update_Type, e *p4v1.Entity) {
		t.Helper()
		err := c.Write(ctx, []*p4v1.Update{{Type: typ, Entity: e}})
		var we *client.WriteError
		if !errors.As(err, &we) || len(we.Failures) != 1 || status.Code(we.Failures[0].Err) != want {
			t.Errorf("%s: %v, want %v in the update's error", what, err, want)
		}
	}
	all := &p4v1.ActionProfileMember{}
	ofProfile := &p4v1.ActionProfileMember{ActionProfileId: w.ap}
	expect := func(step string, want ...uint32) {
		t.Helper()
		for _, f := range []*p4v1.ActionProfileMember{all, ofProfile} {
			if got := memberIDs(t, ctx, c, f); !slices.Equal(got, want) {
				t.Errorf("%s: members read with %v: %v, want %v", step, f, got, want)
			}
		}
		ids := slices.Clone(want)
		slices.Sort(ids)
		for _, id := range slices.Compact(ids) { // a member read by id: once
			if got := memberIDs(t, ctx, c, &p4v1.ActionProfileMember{ActionProfileId: w.ap, MemberId: id}); !slices.Equal(got, []uint32{id}) {
				t.Errorf("%s: member %d read by id: %v, want it once", step, id, got)
			}
		}
	}

	write(p4v1.Update_INSERT, w.member(1, 1), w.member(2, 2), w.member(3, 3))
	expect("three members", 1, 2, 3)
	write(p4v1.Update_INSERT, w.group(10, [2]uint32{1, 3}, [2]uint32{2, 1}))
	expect("group 10 holds member 1 with weight 3", 1, 2, 3, 1, 1)
	write(p4v1.Update_INSERT, w.group(11, [2]uint32{1, 2}, [2]uint32{3, 2}))
	expect("group 11 shares member 1's copies", 1, 2, 3, 1, 1, 3)
	write(p4v1.Update_MODIFY, w.group(10, [2]uint32{1, 1}, [2]uint32{2, 4}))
	expect("group 10 modified: member 1 down to group 11's weight, member 2 to 4", 1, 2, 3, 1, 3, 2, 2, 2)
	groups, err := c.ReadAll(ctx, &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: &p4v1.ActionProfileGroup{ActionProfileId: w.ap}}})
	if err != nil {
		t.Fatal(err)
	}
	wantGroups := map[uint32]*p4v1.Entity{10: w.group(10, [2]uint32{1, 1}, [2]uint32{2, 4}), 11: w.group(11, [2]uint32{1, 2}, [2]uint32{3, 2})}
	if len(groups) != len(wantGroups) {
		t.Errorf("groups: %v, want 10 and 11 with their weights as written", groups)
	}
	for _, g := range groups {
		if want := wantGroups[g.GetActionProfileGroup().GetGroupId()]; !proto.Equal(g, want) {
			t.Errorf("group read %v, want %v", g, want)
		}
	}
	write(p4v1.Update_INSERT, w.entry(1, &p4v1.TableAction{Type: &p4v1.TableAction_ActionProfileMemberId{ActionProfileMemberId: 3}}),
		w.entry(2, &p4v1.TableAction{Type: &p4v1.TableAction_ActionProfileGroupId{ActionProfileGroupId: 10}}))
	refused("deleting member 1, in two groups", codes.Unknown, p4v1.Update_DELETE, w.member(1, 0))
	refused("deleting group 10, used by an entry", codes.Unknown, p4v1.Update_DELETE, w.group(10))
	write(p4v1.Update_DELETE, w.group(11))
	expect("group 11 deleted: its copies go", 1, 2, 3, 2, 2, 2)
	refused("deleting member 3, used by an entry", codes.Unknown, p4v1.Update_DELETE, w.member(3, 0))
	write(p4v1.Update_INSERT, w.member(4, 4))
	expect("member 4 takes the lowest free handle", 1, 2, 3, 4, 2, 2, 2)
	write(p4v1.Update_MODIFY, w.member(2, 9))
	got, err := c.ReadAll(ctx, &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: ofProfile}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range got {
		if m := e.GetActionProfileMember(); m.GetMemberId() == 2 && !proto.Equal(e, w.member(2, 9)) {
			t.Errorf("member 2 modified, a copy reads %v", e)
		}
	}
	write(p4v1.Update_DELETE, w.entry(2, nil))
	write(p4v1.Update_DELETE, w.group(10))
	expect("group 10 deleted: no copies left", 1, 2, 3, 4)
	write(p4v1.Update_DELETE, w.member(1, 0), w.member(2, 0))
	expect("members 1 and 2 deleted", 3, 4)
}
