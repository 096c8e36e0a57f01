package entity

import p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

// Members recognises the repeated reads of an action-profile member. bmv2
// (PI) programs a member of weight w in a group as the member and w-1
// hidden copies of it, and a read of the profile's members answers each of
// them under the member's id: a member of weight 3 is read three times,
// while the group, read apart, carries the weight. Whoever copies or
// compares members takes the first read and skips the others. The zero
// value is ready to use.
type Members struct {
	seen map[[2]uint32]bool
}

// Repeated reports whether e is a member read before (by profile and
// member id); anything else is never repeated.
func (m *Members) Repeated(e *p4v1.Entity) bool {
	am := e.GetActionProfileMember()
	if am == nil {
		return false
	}
	k := [2]uint32{am.GetActionProfileId(), am.GetMemberId()}
	if m.seen[k] {
		return true
	}
	if m.seen == nil {
		m.seen = map[[2]uint32]bool{}
	}
	m.seen[k] = true
	return false
}
