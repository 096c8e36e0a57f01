package dataplane

import (
	"fmt"
	"sort"
)

// maxCloneSession is bmv2's highest mirror session id
// (RegisterAccess::MAX_MIRROR_SESSION_ID).
const maxCloneSession = 1<<15 - 1

func checkReplicas(what string, reps []Replica) ([]Replica, error) {
	out := append([]Replica(nil), reps...)
	seen := map[Replica]bool{}
	for _, r := range out {
		if seen[r] {
			return nil, fmt.Errorf("%w: %s lists replica (port %d, instance %d) twice", ErrInvalid, what, r.Port, r.Instance)
		}
		seen[r] = true
	}
	sortReplicas(out)
	return out, nil
}

// SetMulticastGroup creates or (replace) replaces a multicast group. With
// replace false it fails with ErrExists when the group exists; with
// replace true, with ErrNotFound when it does not. Group 0 means "no
// multicast" in v1model and is refused.
func (s *Switch) SetMulticastGroup(id uint32, replicas []Replica, replace bool) error {
	return s.setMulticastGroup(id, replicas, replaceMode(replace))
}

// PutMulticastGroup creates a multicast group or replaces its replicas.
func (s *Switch) PutMulticastGroup(id uint32, replicas []Replica) error {
	return s.setMulticastGroup(id, replicas, modeUpsert)
}

func (s *Switch) setMulticastGroup(id uint32, replicas []Replica, mode writeMode) error {
	if id == 0 || id > 0xffff {
		return fmt.Errorf("%w: multicast group id %d outside 1..65535", ErrInvalid, id)
	}
	reps, err := checkReplicas(fmt.Sprintf("multicast group %d", id), replicas)
	if err != nil {
		return err
	}
	pre := &s.st.pre
	pre.mu.Lock()
	defer pre.mu.Unlock()
	_, exists := pre.groups[id]
	if err := mode.refuse(exists); err != nil {
		return fmt.Errorf("%w: multicast group %d", err, id)
	}
	pre.groups[id] = reps
	return nil
}

// DeleteMulticastGroup removes a multicast group.
func (s *Switch) DeleteMulticastGroup(id uint32) error {
	pre := &s.st.pre
	pre.mu.Lock()
	defer pre.mu.Unlock()
	return deleteID(pre.groups, id, "multicast group")
}

// MulticastGroups returns every multicast group's replicas by id.
func (s *Switch) MulticastGroups() map[uint32][]Replica {
	pre := &s.st.pre
	pre.mu.RLock()
	defer pre.mu.RUnlock()
	out := make(map[uint32][]Replica, len(pre.groups))
	for id, r := range pre.groups {
		out[id] = append([]Replica(nil), r...)
	}
	return out
}

// SetCloneSession creates or (replace) replaces a clone session. Session
// ids are 0..32767, bmv2's mirror session range.
func (s *Switch) SetCloneSession(id uint32, sess CloneSession, replace bool) error {
	return s.setCloneSession(id, sess, replaceMode(replace))
}

// PutCloneSession creates a clone session or replaces it.
func (s *Switch) PutCloneSession(id uint32, sess CloneSession) error {
	return s.setCloneSession(id, sess, modeUpsert)
}

func (s *Switch) setCloneSession(id uint32, sess CloneSession, mode writeMode) error {
	if id > maxCloneSession {
		return fmt.Errorf("%w: clone session id %d above %d", ErrInvalid, id, maxCloneSession)
	}
	reps, err := checkReplicas(fmt.Sprintf("clone session %d", id), sess.Replicas)
	if err != nil {
		return err
	}
	sess.Replicas = reps
	pre := &s.st.pre
	pre.mu.Lock()
	defer pre.mu.Unlock()
	_, exists := pre.sessions[id]
	if err := mode.refuse(exists); err != nil {
		return fmt.Errorf("%w: clone session %d", err, id)
	}
	pre.sessions[id] = sess
	return nil
}

// DeleteCloneSession removes a clone session.
func (s *Switch) DeleteCloneSession(id uint32) error {
	pre := &s.st.pre
	pre.mu.Lock()
	defer pre.mu.Unlock()
	return deleteID(pre.sessions, id, "clone session")
}

// CloneSessions returns every clone session by id.
func (s *Switch) CloneSessions() map[uint32]CloneSession {
	pre := &s.st.pre
	pre.mu.RLock()
	defer pre.mu.RUnlock()
	out := make(map[uint32]CloneSession, len(pre.sessions))
	for id, cs := range pre.sessions {
		cs.Replicas = append([]Replica(nil), cs.Replicas...)
		out[id] = cs
	}
	return out
}

func (s *Switch) valueSet(name string) (*vsetState, error) {
	i, ok := s.prog.c.vsetByName[name]
	if !ok {
		return nil, fmt.Errorf("%w: value set %q", ErrNotFound, name)
	}
	return s.st.vsets[i], nil
}

// SetValueSet replaces the members of a parser value set. Each member
// has one value per field of the select key (ValueSetInfo.FieldWidths),
// big-endian, of any length that fits the field.
func (s *Switch) SetValueSet(name string, members [][][]byte) error {
	v, err := s.valueSet(name)
	if err != nil {
		return err
	}
	widths := v.info.FieldWidths
	if v.info.MaxSize > 0 && len(members) > v.info.MaxSize {
		return fmt.Errorf("%w: value set %q holds at most %d members, got %d", ErrFull, name, v.info.MaxSize, len(members))
	}
	set := make(map[string][][]byte, len(members))
	for k, m := range members {
		if len(m) != len(widths) {
			return fmt.Errorf("%w: value set %q member %d has %d fields, the select key %d", ErrInvalid, name, k, len(m), len(widths))
		}
		var key []byte
		canon := make([][]byte, len(m))
		for i, f := range m {
			b, ok := fitBytes(f, widths[i])
			if !ok {
				return fmt.Errorf("%w: value set %q member %d field %d: %x does not fit %d bits", ErrInvalid, name, k, i, f, widths[i])
			}
			canon[i] = b
			key = append(key, b...)
		}
		set[string(key)] = canon
	}
	v.mu.Lock()
	v.members = set
	v.mu.Unlock()
	return nil
}

// ValueSetMembers returns the members of a value set (fields padded to
// their byte widths), sorted.
func (s *Switch) ValueSetMembers(name string) ([][][]byte, error) {
	v, err := s.valueSet(name)
	if err != nil {
		return nil, err
	}
	v.mu.RLock()
	keys := make([]string, 0, len(v.members))
	for k := range v.members {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([][][]byte, len(keys))
	for i, k := range keys {
		out[i] = cloneParams(v.members[k])
	}
	v.mu.RUnlock()
	return out, nil
}
