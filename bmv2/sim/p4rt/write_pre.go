package p4rt

//lint:file-ignore SA1019 P4Runtime 1.3 clients (bmv2, ONOS) write replicas with egress_port

import (
	"cmp"
	"slices"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"
)

// PRE id limits of PI: multicast group ids in [1, 2^15), clone session ids
// in [1, 2^15) (PI's PreMcMgr::first_reserved_group_id, kMaxCloneSessionId).
const (
	maxMulticastGroupID = 1 << 15
	maxCloneSessionID   = 1 << 15
)

// writePRE handles a PacketReplicationEngineEntry update (spec section
// "PacketReplicationEngineEntry").
func (st *state) writePRE(typ p4v1.Update_Type, pre *p4v1.PacketReplicationEngineEntry, j *journal) error {
	switch e := pre.GetType().(type) {
	case *p4v1.PacketReplicationEngineEntry_MulticastGroupEntry:
		return st.writeMulticast(typ, e.MulticastGroupEntry, j)
	case *p4v1.PacketReplicationEngineEntry_CloneSessionEntry:
		return st.writeClone(typ, e.CloneSessionEntry, j)
	}
	return errorf(ErrInvalid, "PRE entry without a multicast group or clone session")
}

// checkReplicas validates replicas and returns them in the form read back:
// profile bmv2 sorts them by (instance, port) and drops backup replicas as
// PI does; profile spec keeps them as written and refuses backups
// (optional in the spec, not supported by the data plane).
func (st *state) checkReplicas(rs []*p4v1.Replica, what string) ([]*p4v1.Replica, error) {
	type rk struct {
		port     string
		instance uint32
	}
	seen := map[rk]bool{}
	out := make([]*p4v1.Replica, 0, len(rs))
	for i, r := range rs {
		var port []byte
		switch p := r.GetPortKind().(type) {
		case *p4v1.Replica_Port:
			if len(p.Port) == 0 {
				return nil, errorf(ErrInvalid, "%s: replica %d: empty port", what, i)
			}
			if len(p.Port) > 4 {
				return nil, errorf(ErrUnimplemented, "%s: replica %d: port of %d bytes, at most 4 are supported", what, i, len(p.Port))
			}
			port = canonCopy(p.Port)
			// PI reads the port as a signed 32-bit value that must be > 0.
			if v := replicaPort(r); st.dev.profile != ProfileSpec && (v == 0 || v >= 1<<31) {
				return nil, errorf(ErrInvalid, "%s: replica %d: port must be positive", what, i)
			}
		case *p4v1.Replica_EgressPort:
			port = canonCopy([]byte{byte(p.EgressPort >> 24), byte(p.EgressPort >> 16), byte(p.EgressPort >> 8), byte(p.EgressPort)})
		default:
			return nil, errorf(ErrInvalid, "%s: replica %d has no port", what, i)
		}
		if len(r.GetBackupReplicas()) > 0 && st.dev.profile == ProfileSpec {
			return nil, errorf(ErrUnimplemented, "%s: replica %d: backup replicas are not supported", what, i)
		}
		k := rk{string(port), r.GetInstance()}
		if seen[k] {
			return nil, errorf(ErrInvalid, "%s: duplicate replica (port 0x%x, instance %d)", what, port, r.GetInstance())
		}
		seen[k] = true
		c := proto.Clone(r).(*p4v1.Replica)
		c.BackupReplicas = nil
		out = append(out, c)
	}
	if st.dev.profile != ProfileSpec {
		slices.SortStableFunc(out, func(a, b *p4v1.Replica) int {
			if a.GetInstance() != b.GetInstance() {
				if a.GetInstance() < b.GetInstance() {
					return -1
				}
				return 1
			}
			return comparePorts(a, b)
		})
	}
	return out, nil
}

func replicaPort(r *p4v1.Replica) uint64 {
	if p, ok := r.GetPortKind().(*p4v1.Replica_EgressPort); ok {
		return uint64(p.EgressPort)
	}
	var v uint64
	for _, b := range r.GetPort() {
		v = v<<8 | uint64(b)
	}
	return v
}

func comparePorts(a, b *p4v1.Replica) int { return cmp.Compare(replicaPort(a), replicaPort(b)) }

// preEntries is one kind of PRE entry (multicast groups or clone
// sessions) as the state holds it and the target stores it.
type preEntries[E any] struct {
	m   map[uint32]*E
	set func(*E) error        // stores an entry on the target
	del func(id uint32) error // deletes one from the target
}

func (st *state) multicastGroups() preEntries[p4v1.MulticastGroupEntry] {
	return preEntries[p4v1.MulticastGroupEntry]{
		m: st.mcast,
		set: func(e *p4v1.MulticastGroupEntry) error {
			return st.prog.SetMulticastGroup(e.GetMulticastGroupId(), e.GetReplicas())
		},
		del: st.prog.DeleteMulticastGroup,
	}
}

func (st *state) cloneSessions() preEntries[p4v1.CloneSessionEntry] {
	return preEntries[p4v1.CloneSessionEntry]{m: st.clones, set: st.prog.SetCloneSession, del: st.prog.DeleteCloneSession}
}

// checkMode refuses an INSERT of what exists and a MODIFY of what does not.
func checkMode(typ p4v1.Update_Type, exists bool, what string) error {
	switch {
	case typ == p4v1.Update_INSERT && exists:
		return errorf(ErrAlreadyExists, "%s exists", what)
	case typ == p4v1.Update_MODIFY && !exists:
		return errorf(ErrNotFound, "%s does not exist", what)
	}
	return nil
}

// put stores ne as entry id in place of cur (nil: none) and journals the
// undo.
func (p preEntries[E]) put(id uint32, what string, cur, ne *E, j *journal) error {
	if err := p.set(ne); err != nil {
		return targetErr(err, "%s", what)
	}
	p.m[id] = ne
	j.add(func() {
		if cur == nil {
			_ = p.del(id)
			delete(p.m, id)
			return
		}
		_ = p.set(cur)
		p.m[id] = cur
	})
	return nil
}

// remove deletes entry id, cur, and journals the undo.
func (p preEntries[E]) remove(id uint32, what string, cur *E, j *journal) error {
	if cur == nil {
		return errorf(ErrNotFound, "%s does not exist", what)
	}
	if err := p.del(id); err != nil {
		return targetErr(err, "%s: delete", what)
	}
	delete(p.m, id)
	j.add(func() {
		_ = p.set(cur)
		p.m[id] = cur
	})
	return nil
}

func (st *state) writeMulticast(typ p4v1.Update_Type, e *p4v1.MulticastGroupEntry, j *journal) error {
	id := e.GetMulticastGroupId()
	what := "multicast group " + itoa(id)
	if id == 0 {
		return errorf(ErrInvalid, "multicast group id 0 is not valid in a write")
	}
	if id >= maxMulticastGroupID {
		return errorf(ErrOutOfRange, "%s: ids must be below %d", what, maxMulticastGroupID)
	}
	groups := st.multicastGroups()
	cur := groups.m[id]
	if typ != p4v1.Update_INSERT && typ != p4v1.Update_MODIFY { // DELETE
		return groups.remove(id, what, cur, j)
	}
	if err := checkMode(typ, cur != nil, what); err != nil {
		return err
	}
	rs, err := st.checkReplicas(e.GetReplicas(), what)
	if err != nil {
		return err
	}
	ne := &p4v1.MulticastGroupEntry{MulticastGroupId: id, Replicas: rs}
	if st.dev.profile == ProfileSpec {
		ne.Metadata = append([]byte(nil), e.GetMetadata()...)
	}
	return groups.put(id, what, cur, ne, j)
}

func (st *state) writeClone(typ p4v1.Update_Type, e *p4v1.CloneSessionEntry, j *journal) error {
	id := e.GetSessionId()
	what := "clone session " + itoa(id)
	if id == 0 {
		return errorf(ErrInvalid, "clone session id 0 is not valid in a write")
	}
	bmv2 := st.dev.profile == ProfileBMv2
	if bmv2 && id >= maxCloneSessionID { // PI's validate_session_id, for every type
		return errorf(ErrInvalid, "%s: ids must be below %d", what, maxCloneSessionID)
	}
	sessions := st.cloneSessions()
	cur := sessions.m[id]
	if typ != p4v1.Update_INSERT && typ != p4v1.Update_MODIFY { // DELETE
		return sessions.remove(id, what, cur, j)
	}
	if id >= maxCloneSessionID {
		return errorf(ErrInvalid, "%s: ids must be below %d", what, maxCloneSessionID)
	}
	if err := checkMode(typ, cur != nil, what); err != nil {
		return err
	}
	rs, err := st.checkReplicas(e.GetReplicas(), what)
	if err != nil {
		return err
	}
	ne := &p4v1.CloneSessionEntry{SessionId: id, Replicas: rs, PacketLengthBytes: e.GetPacketLengthBytes(), ClassOfService: e.GetClassOfService()}
	if !bmv2 {
		if e.GetClassOfService() != 0 {
			return errorf(ErrUnimplemented, "%s: class of service is not supported", what)
		}
		return sessions.put(id, what, cur, ne, j)
	}
	// PI sets the replicas (a multicast group of its own) first, then the
	// session's configuration when it is new or changed: a class of
	// service is UNIMPLEMENTED, and bmv2 truncates no clone, so a length
	// that is not 0 as a uint16 (PI's cast) fails in the target. A MODIFY
	// keeps its new replicas even so.
	if cur != nil && ne.ClassOfService == cur.ClassOfService && ne.PacketLengthBytes == cur.PacketLengthBytes {
		return sessions.put(id, what, cur, ne, j)
	}
	var cfgErr error
	switch {
	case ne.ClassOfService != 0:
		cfgErr = exactf(ErrUnimplemented, "COS for clone sessions not supported yet")
	case uint16(ne.PacketLengthBytes) != 0:
		cfgErr = exactf(ErrUnknown, "Error when creating clone session in target")
	}
	if cfgErr == nil {
		return sessions.put(id, what, cur, ne, j)
	}
	if cur == nil {
		return cfgErr
	}
	kept := &p4v1.CloneSessionEntry{SessionId: id, Replicas: rs, PacketLengthBytes: cur.PacketLengthBytes, ClassOfService: cur.ClassOfService}
	if err := sessions.put(id, what, cur, kept, j); err != nil {
		return err
	}
	return cfgErr
}
