package dataplane

import (
	"fmt"
	"sort"
)

// MemberState is an action profile member as installed.
type MemberState struct {
	ID   uint32
	Call ActionCall
}

// GroupState is an action selector group as installed.
type GroupState struct {
	ID      uint32
	Members []GroupMember
}

func (s *Switch) profile(name string) (*apState, error) {
	i, ok := s.prog.c.apByName[name]
	if !ok {
		return nil, fmt.Errorf("%w: action profile %q", ErrNotFound, name)
	}
	return s.st.aps[i], nil
}

// memberAction checks an action call for a profile's member.
func (s *Switch) memberAction(aps *apState, call ActionCall) (*actionC, *actionData, error) {
	info := aps.c.info.Action(call.Name)
	if info == nil {
		return nil, nil, fmt.Errorf("%w: action profile %q has no action %q", ErrInvalid, aps.c.info.Name, call.Name)
	}
	ad, err := makeActionData(info, call.Params)
	if err != nil {
		return nil, nil, err
	}
	return s.prog.c.actions[info.index], ad, nil
}

// AddMember creates an action profile member.
func (s *Switch) AddMember(profile string, id uint32, call ActionCall) error {
	return s.setMember(profile, id, call, modeInsert)
}

// ModifyMember changes the action of a member.
func (s *Switch) ModifyMember(profile string, id uint32, call ActionCall) error {
	return s.setMember(profile, id, call, modeModify)
}

// PutMember creates a member or replaces its action.
func (s *Switch) PutMember(profile string, id uint32, call ActionCall) error {
	return s.setMember(profile, id, call, modeUpsert)
}

func (s *Switch) setMember(profile string, id uint32, call ActionCall, mode writeMode) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	aps, err := s.profile(profile)
	if err != nil {
		return err
	}
	act, ad, err := s.memberAction(aps, call)
	if err != nil {
		return err
	}
	aps.mu.Lock()
	defer aps.mu.Unlock()
	m := aps.members[id]
	if err := mode.refuse(m != nil); err != nil {
		return fmt.Errorf("%w: member %d of action profile %q", err, id, profile)
	}
	if m == nil {
		m = &apMember{id: id, handles: []uint32{aps.handles.get()}}
		aps.members[id] = m
	}
	m.call, m.act, m.ad = ActionCall{Name: call.Name, Params: ad.raw}, act, ad
	return nil
}

// DeleteMember removes a member; it fails with ErrInUse while a group or
// a table entry refers to it.
func (s *Switch) DeleteMember(profile string, id uint32) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	aps, err := s.profile(profile)
	if err != nil {
		return err
	}
	aps.mu.Lock()
	defer aps.mu.Unlock()
	m := aps.members[id]
	if m == nil {
		return fmt.Errorf("%w: member %d of action profile %q", ErrNotFound, id, profile)
	}
	if m.refs > 0 {
		return fmt.Errorf("%w: member %d of action profile %q is used by %d group(s) or entries", ErrInUse, id, profile, m.refs)
	}
	for _, h := range m.handles {
		aps.handles.release(h)
	}
	delete(aps.members, id)
	return nil
}

// Members lists a profile's members by id.
func (s *Switch) Members(profile string) ([]MemberState, error) {
	aps, err := s.profile(profile)
	if err != nil {
		return nil, err
	}
	aps.mu.RLock()
	defer aps.mu.RUnlock()
	out := make([]MemberState, 0, len(aps.members))
	for _, m := range aps.members {
		out = append(out, MemberState{ID: m.id, Call: ActionCall{Name: m.call.Name, Params: cloneParams(m.call.Params)}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func cloneParams(ps [][]byte) [][]byte {
	out := make([][]byte, len(ps))
	for i, p := range ps {
		out[i] = clip(p)
	}
	return out
}

// clone returns a copy of m that shares no memory with it.
func (m GroupMember) clone() GroupMember {
	if m.WatchPort != nil {
		wp := *m.WatchPort
		m.WatchPort = &wp
	}
	return m
}

// checkGroup validates group members (lock held).
func (aps *apState) checkGroup(members []GroupMember) ([]GroupMember, error) {
	name := aps.c.info.Name
	if !aps.c.info.Selector {
		return nil, fmt.Errorf("%w: action profile %q has no selector, so no groups", ErrInvalid, name)
	}
	seen := map[uint32]bool{}
	out := make([]GroupMember, len(members))
	for i, m := range members {
		if m.Weight <= 0 {
			return nil, fmt.Errorf("%w: member %d of a group of %q has weight %d (must be > 0)", ErrInvalid, m.ID, name, m.Weight)
		}
		if seen[m.ID] {
			return nil, fmt.Errorf("%w: member %d appears twice in a group of %q", ErrInvalid, m.ID, name)
		}
		seen[m.ID] = true
		if aps.members[m.ID] == nil {
			return nil, fmt.Errorf("%w: member %d of action profile %q", ErrNotFound, m.ID, name)
		}
		out[i] = m.clone()
	}
	return out, nil
}

// AddGroup creates an action selector group.
func (s *Switch) AddGroup(profile string, id uint32, members []GroupMember) error {
	return s.setGroup(profile, id, members, modeInsert)
}

// ModifyGroup replaces the members of a group.
func (s *Switch) ModifyGroup(profile string, id uint32, members []GroupMember) error {
	return s.setGroup(profile, id, members, modeModify)
}

// PutGroup creates a group or replaces its members.
func (s *Switch) PutGroup(profile string, id uint32, members []GroupMember) error {
	return s.setGroup(profile, id, members, modeUpsert)
}

func (s *Switch) setGroup(profile string, id uint32, members []GroupMember, mode writeMode) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	aps, err := s.profile(profile)
	if err != nil {
		return err
	}
	aps.mu.Lock()
	defer aps.mu.Unlock()
	g := aps.groups[id]
	if err := mode.refuse(g != nil); err != nil {
		return fmt.Errorf("%w: group %d of action profile %q", err, id, profile)
	}
	ms, err := aps.checkGroup(members)
	if err != nil {
		return err
	}
	if g == nil {
		g = &apGroup{id: id}
		aps.groups[id] = g
	}
	for _, m := range g.members {
		aps.members[m.ID].refs--
	}
	for _, m := range ms {
		aps.members[m.ID].refs++
	}
	g.members = ms
	aps.ensureHandles(ms)
	aps.rebuild(g)
	aps.purgeHandles()
	return nil
}

// DeleteGroup removes a group (its members stay); it fails with ErrInUse
// while a table entry refers to it.
func (s *Switch) DeleteGroup(profile string, id uint32) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	aps, err := s.profile(profile)
	if err != nil {
		return err
	}
	aps.mu.Lock()
	defer aps.mu.Unlock()
	g := aps.groups[id]
	if g == nil {
		return fmt.Errorf("%w: group %d of action profile %q", ErrNotFound, id, profile)
	}
	if g.refs > 0 {
		return fmt.Errorf("%w: group %d of action profile %q is used by %d entries", ErrInUse, id, profile, g.refs)
	}
	for _, m := range g.members {
		aps.members[m.ID].refs--
	}
	delete(aps.groups, id)
	aps.purgeHandles()
	return nil
}

// Groups lists a selector's groups by id, members as written.
func (s *Switch) Groups(profile string) ([]GroupState, error) {
	aps, err := s.profile(profile)
	if err != nil {
		return nil, err
	}
	aps.mu.RLock()
	defer aps.mu.RUnlock()
	out := make([]GroupState, 0, len(aps.groups))
	for _, g := range aps.groups {
		ms := make([]GroupMember, len(g.members))
		for i, m := range g.members {
			ms[i] = m.clone()
		}
		out = append(out, GroupState{ID: g.id, Members: ms})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// SetPortStatus records a port's operational status; group members
// watching a down port are left out of selection.
func (s *Switch) SetPortStatus(port uint32, up bool) {
	ps := &s.st.ports
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.down == nil {
		ps.down = map[uint32]bool{}
	}
	if up {
		delete(ps.down, port)
	} else {
		ps.down[port] = true
	}
}
