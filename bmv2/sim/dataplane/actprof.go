package dataplane

import (
	"sort"
	"sync"
)

// apC is a compiled action profile: its selector hash when it is an
// action selector.
type apC struct {
	info *ActionProfileInfo
	sel  *calcC
}

// apMember is an action profile member.
type apMember struct {
	id   uint32
	call ActionCall
	act  *actionC
	ad   *actionData
	seq  uint64 // creation order, which orders selection like bmv2 handles
	refs int    // groups and entries that use it
}

// apGroup is an action selector group; members are kept in member
// creation order.
type apGroup struct {
	id      uint32
	members []GroupMember
	refs    int // entries that use it
}

// apState is the runtime state of an action profile.
type apState struct {
	mu      sync.RWMutex
	c       *apC
	members map[uint32]*apMember
	groups  map[uint32]*apGroup
	seq     uint64
}

// resolve returns the action a member or group binding runs for packet
// p. For a group, the selector hash picks among the active members
// (watch port up), each counted weight times, in creation order: index =
// hash mod total weight, as PI programs bmv2 (one bmv2 member per unit of
// weight) and bmv2 selects (GroupInfo::get_from_hash). An empty group
// yields no action.
func (s *apState) resolve(p *pkt, b binding) (*actionC, *actionData) {
	var h uint64
	if b.kind == KindGroup && s.c.sel != nil {
		h = s.c.sel.output(p)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if b.kind == KindMember {
		m := s.members[b.id]
		if m == nil {
			return nil, nil
		}
		return m.act, m.ad
	}
	g := s.groups[b.id]
	if g == nil {
		return nil, nil
	}
	total := uint64(0)
	for _, gm := range g.members {
		if gm.WatchPort == nil || !p.st.ports.isDown(*gm.WatchPort) {
			total += uint64(gm.Weight)
		}
	}
	if total == 0 {
		return nil, nil
	}
	idx := h % total
	for _, gm := range g.members {
		if gm.WatchPort != nil && p.st.ports.isDown(*gm.WatchPort) {
			continue
		}
		if idx < uint64(gm.Weight) {
			m := s.members[gm.ID]
			return m.act, m.ad
		}
		idx -= uint64(gm.Weight)
	}
	return nil, nil
}

// sortGroupMembers orders a group's members by member creation.
func (s *apState) sortGroupMembers(ms []GroupMember) {
	sort.SliceStable(ms, func(i, j int) bool {
		return s.members[ms[i].ID].seq < s.members[ms[j].ID].seq
	})
}
