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

// apMember is an action profile member. handles are the bmv2 member
// handles PI created for it: one at creation, and as many more as the
// highest weight any group gives it (PI realises a weight w as w bmv2
// members, ActionProfAccessManual).
type apMember struct {
	id      uint32
	call    ActionCall
	act     *actionC
	ad      *actionData
	handles []uint32
	refs    int // groups and entries that use it
}

// apGroup is an action selector group. sel lists the bmv2 member handles
// in the group in ascending order, which is how bmv2 ranks them for
// selection (RankedSet in GroupInfo).
type apGroup struct {
	id      uint32
	members []GroupMember
	sel     []selSlot
	refs    int // entries that use it
}

// selSlot is one bmv2 member of a group.
type selSlot struct {
	handle uint32
	member *apMember
	watch  *uint32
}

// apState is the runtime state of an action profile.
type apState struct {
	mu      sync.RWMutex
	c       *apC
	members map[uint32]*apMember
	groups  map[uint32]*apGroup
	handles handleAlloc
}

// handleAlloc hands out the lowest free handle, as bmv2's HandleMgr.
type handleAlloc struct {
	used []bool
}

func (h *handleAlloc) get() uint32 {
	for i, u := range h.used {
		if !u {
			h.used[i] = true
			return uint32(i)
		}
	}
	h.used = append(h.used, true)
	return uint32(len(h.used) - 1)
}

func (h *handleAlloc) release(x uint32) {
	if int(x) < len(h.used) {
		h.used[x] = false
	}
}

// resolve returns the action a member or group binding runs for packet
// p. For a group, the selector hash picks among the active bmv2 members
// (those whose watch port is up) in handle order: index = hash modulo
// their number (GroupInfo::get_from_hash). An empty group yields no
// action.
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
	active := uint64(0)
	for _, sl := range g.sel {
		if sl.watch == nil || !p.st.ports.isDown(*sl.watch) {
			active++
		}
	}
	if active == 0 {
		return nil, nil
	}
	idx := h % active
	for _, sl := range g.sel {
		if sl.watch != nil && p.st.ports.isDown(*sl.watch) {
			continue
		}
		if idx == 0 {
			return sl.member.act, sl.member.ad
		}
		idx--
	}
	return nil, nil
}

// ensureHandles gives every member of ms enough handles for its weight
// (lock held), creating them in member id order as PI does (its updates
// are keyed by member id).
func (s *apState) ensureHandles(ms []GroupMember) {
	byID := append([]GroupMember(nil), ms...)
	sort.Slice(byID, func(i, j int) bool { return byID[i].ID < byID[j].ID })
	for _, gm := range byID {
		m := s.members[gm.ID]
		for len(m.handles) < gm.Weight {
			m.handles = append(m.handles, s.handles.get())
		}
	}
}

// purgeHandles releases the extra handles of members beyond the highest
// weight any group still gives them (lock held).
func (s *apState) purgeHandles() {
	need := map[uint32]int{}
	for _, g := range s.groups {
		for _, gm := range g.members {
			need[gm.ID] = max(need[gm.ID], gm.Weight)
		}
	}
	for _, m := range s.members {
		keep := max(1, need[m.id])
		for len(m.handles) > keep {
			s.handles.release(m.handles[len(m.handles)-1])
			m.handles = m.handles[:len(m.handles)-1]
		}
	}
}

// rebuild computes a group's selection slots (lock held).
func (s *apState) rebuild(g *apGroup) {
	g.sel = g.sel[:0]
	for _, gm := range g.members {
		m := s.members[gm.ID]
		for _, h := range m.handles[:gm.Weight] {
			g.sel = append(g.sel, selSlot{handle: h, member: m, watch: gm.WatchPort})
		}
	}
	sort.Slice(g.sel, func(i, j int) bool { return g.sel[i].handle < g.sel[j].handle })
}
