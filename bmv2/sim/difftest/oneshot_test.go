//go:build linux

package difftest

import (
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
)

// mixMessage is PI's answer to a read or write of a profile programmed in
// the other mode (ActionProfMgr::check_selector_usage).
const mixMessage = "Invalid attempt to mix action selector programming modes"

// Issue 16, point 1: a one-shot action selector (SONiC PINS's
// wcmp_group_selector, P4Runtime spec section 9.2.3 "One Shot Action
// Selector Programming"). Before any one-shot entry and after the last is
// deleted, reads of the profile's members and groups answer nothing; while
// one-shot sets are there, every such read, and a wildcard read of all
// members or groups, is INVALID_ARGUMENT with PI's message, on the
// simulator as on real bmv2; members and groups cannot be mixed in, nor
// one-shot sets into a profile that has members.
func TestOneShotSelector(t *testing.T) {
	p, in := startProgram(t, "pins-middleblock")
	tbl := in.TableByName("ingress.routing_resolution.wcmp_group_table")
	ap := in.ActionProfileByName("ingress.routing_resolution.wcmp_group_selector")
	act := in.ActionByName("set_nexthop_id")
	if tbl == nil || ap == nil || act == nil {
		t.Fatal("pins-middleblock lacks wcmp_group_table, wcmp_group_selector or set_nexthop_id")
	}
	nexthop := func(v byte) *p4v1.Action {
		return &p4v1.Action{ActionId: act.ID, Params: []*p4v1.Action_Param{{ParamId: 1, Value: []byte{v}}}}
	}
	entry := func(group byte, weights ...int32) *p4v1.Entity {
		set := &p4v1.ActionProfileActionSet{}
		for i, w := range weights {
			set.ActionProfileActions = append(set.ActionProfileActions, &p4v1.ActionProfileAction{Action: nexthop(byte(i + 1)), Weight: w})
		}
		return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: tbl.ID,
			Match:  []*p4v1.FieldMatch{{FieldId: 1, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: []byte{group}}}}},
			Action: &p4v1.TableAction{Type: &p4v1.TableAction_ActionProfileActionSet{ActionProfileActionSet: set}}}}}
	}
	member := &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{ActionProfileId: ap.ID, MemberId: 1, Action: nexthop(1)}}}
	write := func(typ p4v1.Update_Type, e *p4v1.Entity) Step {
		return Step{Op: OpWrite, Write: &p4v1.WriteRequest{DeviceId: deviceID, Updates: []*p4v1.Update{{Type: typ, Entity: e}}}}
	}
	read := func(es ...*p4v1.Entity) Step {
		return Step{Op: OpRead, Read: &p4v1.ReadRequest{DeviceId: deviceID, Entities: es}}
	}
	members := func(profile uint32) *p4v1.Entity {
		return &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{ActionProfileId: profile}}}
	}
	groups := func(profile, id uint32) *p4v1.Entity {
		return &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: &p4v1.ActionProfileGroup{ActionProfileId: profile, GroupId: id}}}
	}
	entries := &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: tbl.ID}}}
	type want struct {
		step Step
		code codes.Code
		msg  string // when set, both answer it
	}
	steps := []want{
		{step: read(members(ap.ID)), code: codes.OK},
		{step: read(groups(ap.ID, 0)), code: codes.OK},
		{step: read(groups(0, 0)), code: codes.OK},
		{step: write(p4v1.Update_INSERT, entry(1, 1, 2)), code: codes.OK},
		{step: write(p4v1.Update_INSERT, entry(2, 3)), code: codes.OK},
		{step: read(entries), code: codes.OK},
		{step: read(members(ap.ID)), code: codes.InvalidArgument, msg: mixMessage},
		{step: read(members(0)), code: codes.InvalidArgument, msg: mixMessage},
		{step: read(groups(ap.ID, 0)), code: codes.InvalidArgument, msg: mixMessage},
		{step: read(groups(ap.ID, 7)), code: codes.InvalidArgument, msg: mixMessage},
		{step: read(groups(0, 0)), code: codes.InvalidArgument, msg: mixMessage},
		{step: write(p4v1.Update_INSERT, member), code: codes.Unknown},
		{step: write(p4v1.Update_MODIFY, entry(2, 1, 1)), code: codes.OK},
		{step: write(p4v1.Update_DELETE, entry(1)), code: codes.OK},
		{step: read(groups(ap.ID, 0)), code: codes.InvalidArgument, msg: mixMessage},
		{step: write(p4v1.Update_DELETE, entry(2)), code: codes.OK},
		{step: read(members(ap.ID)), code: codes.OK},
		{step: read(groups(0, 0)), code: codes.OK},
		{step: write(p4v1.Update_INSERT, member), code: codes.OK},
		{step: write(p4v1.Update_INSERT, entry(3, 1)), code: codes.Unknown},
		{step: read(members(ap.ID)), code: codes.OK},
	}
	var session []Step
	for _, w := range steps {
		session = append(session, w.step)
	}
	check(t, p, "pins-middleblock", session)
	if t.Failed() {
		return
	}
	// The answers agree; each is the one expected, with PI's message.
	if err := p.Reset(); err != nil {
		t.Fatal(err)
	}
	for i, w := range steps {
		a, b := p.Sim.Do(w.step), p.Real.Do(w.step)
		if b.Code != w.code || a.Code != w.code {
			t.Errorf("step %d, %s: simulator %s, real bmv2 %s; want %v", i, w.step, a, b, w.code)
		}
		if w.msg != "" && (a.Msg != w.msg || b.Msg != w.msg) {
			t.Errorf("step %d: simulator says %q, real bmv2 %q; want %q", i, a.Msg, b.Msg, w.msg)
		}
		if w.code == codes.Unknown && (len(b.Updates) != 1 || b.Updates[0] != codes.InvalidArgument || len(b.UpdateMsgs) != 1 || a.UpdateMsgs[0] != b.UpdateMsgs[0]) {
			t.Errorf("step %d: simulator %s, real bmv2 %s; want one update INVALID_ARGUMENT, the same message", i, a, b)
		}
	}
}
