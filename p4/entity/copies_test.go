package entity

import (
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// TestMembersRepeated: a member read again (bmv2's hidden copies of a
// weighted member, issue 15) is repeated, the first read of each profile
// and member id is not, and other kinds never are.
func TestMembersRepeated(t *testing.T) {
	member := func(ap, id uint32) *p4v1.Entity {
		return &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{ActionProfileId: ap, MemberId: id}}}
	}
	group := &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: &p4v1.ActionProfileGroup{ActionProfileId: 1, GroupId: 1}}}
	var m Members
	for i, c := range []struct {
		e    *p4v1.Entity
		want bool
	}{
		{member(1, 1), false}, {member(1, 2), false}, {member(1, 1), true}, {member(1, 1), true},
		{member(2, 1), false}, {group, false}, {group, false}, {member(2, 1), true},
	} {
		if got := m.Repeated(c.e); got != c.want {
			t.Errorf("read %d: Repeated = %v, want %v", i, got, c.want)
		}
	}
}
