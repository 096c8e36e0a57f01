package p4rt

import (
	"slices"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"
)

// readableProfile refuses a member or group read of a profile programmed
// with one-shot action sets: PI reads members and groups through its
// manual-mode access, which a profile holding one-shot sets refuses
// (ActionProfMgr::manual), so such a read, or a wildcard read of every
// profile's, is INVALID_ARGUMENT on bmv2. The spec profile reads it as
// holding none.
func (st *state) readableProfile(ps *profileState) error {
	if ps.mode == modeOneShot && st.dev.profile == ProfileBMv2 {
		return exactf(ErrInvalid, mixedModesMessage)
	}
	return nil
}

// profilesFor resolves the action profiles a member or group read selects
// (id 0: all).
func (st *state) profilesFor(id uint32) ([]*profileState, error) {
	if id == 0 {
		out := make([]*profileState, 0, len(st.inf.ActionProfiles))
		for _, ap := range st.inf.ActionProfiles {
			out = append(out, st.profiles[ap.ID])
		}
		return out, nil
	}
	ap := st.inf.ActionProfile(id)
	if ap == nil {
		return nil, errorf(ErrInvalid, "unknown action profile id %d", id)
	}
	return []*profileState{st.profiles[ap.ID]}, nil
}

func sortedKeys[V any](m map[uint32]V) []uint32 {
	ks := make([]uint32, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// readMembers answers ActionProfileMember reads (spec section "Member
// Programming"): profile id 0 reads every profile, member id 0 every member
// (in profile bmv2 once per handle, as bmv2 answers: a member of weight w
// in a group is read w times).
func (st *state) readMembers(req *p4v1.ActionProfileMember, emit emitter) error {
	pss, err := st.profilesFor(req.GetActionProfileId())
	if err != nil {
		return err
	}
	for _, ps := range pss {
		if err := st.readableProfile(ps); err != nil {
			return err
		}
		one := func(id uint32) error {
			m := ps.members[id]
			if m == nil {
				return nil
			}
			return emit.entity(&p4v1.Entity{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{
				ActionProfileId: ps.ap.ID, MemberId: id, Action: proto.Clone(m.action).(*p4v1.Action)}}})
		}
		switch {
		case req.GetMemberId() != 0:
			if err := one(req.GetMemberId()); err != nil {
				return err
			}
		case st.piCopies():
			// Every handle, the hidden copies of weighted members
			// included, in bmv2's handle order (profile_copies.go).
			if err := ps.handles.members(one); err != nil {
				return err
			}
		default:
			for _, id := range sortedKeys(ps.members) {
				if err := one(id); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// readGroups answers ActionProfileGroup reads.
func (st *state) readGroups(req *p4v1.ActionProfileGroup, emit emitter) error {
	pss, err := st.profilesFor(req.GetActionProfileId())
	if err != nil {
		return err
	}
	for _, ps := range pss {
		if err := st.readableProfile(ps); err != nil {
			return err
		}
		ids := []uint32{req.GetGroupId()}
		if req.GetGroupId() == 0 {
			ids = sortedKeys(ps.groups)
		}
		for _, id := range ids {
			g := ps.groups[id]
			if g == nil {
				continue
			}
			if err := emit.entity(&p4v1.Entity{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: proto.Clone(g.group).(*p4v1.ActionProfileGroup)}}); err != nil {
				return err
			}
		}
	}
	return nil
}

// readCounters answers CounterEntry reads (spec section "CounterEntry"): id
// 0 reads every indirect counter, an unset index every cell. A cell at zero
// reads back as an empty data {}.
func (st *state) readCounters(req *p4v1.CounterEntry, emit emitter) error {
	cs, ok := selectByID(req.GetCounterId(), st.inf.Counters, st.inf.Counter)
	if !ok {
		if st.inf.DirectCounter(req.GetCounterId()) != nil {
			return errorf(ErrInvalid, "counter %d is a direct counter: read it with DirectCounterEntry", req.GetCounterId())
		}
		return errorf(ErrInvalid, "unknown counter id %d", req.GetCounterId())
	}
	for _, c := range cs {
		if st.beyondCells(req.GetIndex(), c.Size) {
			// PI adds the entity to the answer, then fails reading it.
			_ = emit.entity(&p4v1.Entity{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: c.ID, Index: &p4v1.Index{Index: req.GetIndex().GetIndex()}, Data: cloneCounter(req.GetData())}}})
			return exactf(ErrUnknown, "Error when reading counter from target")
		}
		first, last, err := st.cells(req.GetIndex(), c.Size, "counter "+quote(c.Name))
		if err != nil {
			return err
		}
		for i := first; i <= last; i++ {
			d, err := st.prog.Counter(c, i)
			if err != nil {
				return targetErr(err, "counter %q[%d]: read", c.Name, i)
			}
			if err := emit.counter(c.ID, i, st.counterRead(d, c.Unit)); err != nil {
				return err
			}
		}
	}
	return nil
}

// readMeters answers MeterEntry reads; the configuration is omitted when it
// is the default.
func (st *state) readMeters(req *p4v1.MeterEntry, emit emitter) error {
	ms, ok := selectByID(req.GetMeterId(), st.inf.Meters, st.inf.Meter)
	if !ok {
		if st.inf.DirectMeter(req.GetMeterId()) != nil {
			return errorf(ErrInvalid, "meter %d is a direct meter: read it with DirectMeterEntry", req.GetMeterId())
		}
		return errorf(ErrInvalid, "unknown meter id %d", req.GetMeterId())
	}
	for _, m := range ms {
		if st.beyondCells(req.GetIndex(), m.Size) {
			_ = emit.entity(&p4v1.Entity{Entity: &p4v1.Entity_MeterEntry{MeterEntry: &p4v1.MeterEntry{MeterId: m.ID, Index: &p4v1.Index{Index: req.GetIndex().GetIndex()}, Config: cloneMeter(req.GetConfig())}}})
			return exactf(ErrUnknown, "Error when reading meter spec from target")
		}
		first, last, err := st.cells(req.GetIndex(), m.Size, "meter "+quote(m.Name))
		if err != nil {
			return err
		}
		for i := first; i <= last; i++ {
			if err := emit.entity(&p4v1.Entity{Entity: &p4v1.Entity_MeterEntry{MeterEntry: &p4v1.MeterEntry{
				MeterId: m.ID, Index: &p4v1.Index{Index: i}, Config: cloneMeter(st.meterCfg[meterCell{m.ID, i}])}}}); err != nil {
				return err
			}
		}
	}
	return nil
}

// readPRE answers PacketReplicationEngineEntry reads (spec section
// "PacketReplicationEngineEntry"): the type must be given; id 0 reads all.
func (st *state) readPRE(req *p4v1.PacketReplicationEngineEntry, emit emitter) error {
	switch x := req.GetType().(type) {
	case *p4v1.PacketReplicationEngineEntry_MulticastGroupEntry:
		id := x.MulticastGroupEntry.GetMulticastGroupId()
		if id >= maxMulticastGroupID {
			return errorf(ErrOutOfRange, "multicast group id %d is too high", id)
		}
		return readPREEntries(st.mcast, id, "multicast group", emit, func(e *p4v1.MulticastGroupEntry) *p4v1.PacketReplicationEngineEntry {
			return &p4v1.PacketReplicationEngineEntry{Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: e}}
		})
	case *p4v1.PacketReplicationEngineEntry_CloneSessionEntry:
		return readPREEntries(st.clones, x.CloneSessionEntry.GetSessionId(), "clone session", emit, func(e *p4v1.CloneSessionEntry) *p4v1.PacketReplicationEngineEntry {
			return &p4v1.PacketReplicationEngineEntry{Type: &p4v1.PacketReplicationEngineEntry_CloneSessionEntry{CloneSessionEntry: e}}
		})
	}
	return errorf(ErrInvalid, "PRE read without a type (multicast group or clone session)")
}

// readPREEntries emits a copy of PRE entry id of m, or of every entry (by
// id) for id 0, each wrapped by wrap; what names the kind in errors.
func readPREEntries[E proto.Message](m map[uint32]E, id uint32, what string, emit emitter, wrap func(E) *p4v1.PacketReplicationEngineEntry) error {
	ids := []uint32{id}
	if id == 0 {
		ids = sortedKeys(m)
	} else if _, ok := m[id]; !ok {
		return errorf(ErrNotFound, "%s %d does not exist", what, id)
	}
	for _, k := range ids {
		pre := wrap(proto.Clone(m[k]).(E))
		if err := emit.entity(&p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: pre}}); err != nil {
			return err
		}
	}
	return nil
}

// selectByID returns what a read of id covers: all for id 0, else the one
// object lookup finds; false when there is none.
func selectByID[T any](id uint32, all []*T, lookup func(uint32) *T) ([]*T, bool) {
	if id == 0 {
		return all, true
	}
	if x := lookup(id); x != nil {
		return []*T{x}, true
	}
	return nil, false
}

// readRegisters answers RegisterEntry reads (spec section "RegisterEntry");
// UNIMPLEMENTED in profile bmv2 (PI issue 376).
func (st *state) readRegisters(req *p4v1.RegisterEntry, emit emitter) error {
	if st.dev.profile != ProfileSpec {
		return errorf(ErrUnimplemented, "register reads are not supported")
	}
	rs, ok := selectByID(req.GetRegisterId(), st.inf.Registers, st.inf.Register)
	if !ok {
		return errorf(ErrInvalid, "unknown register id %d", req.GetRegisterId())
	}
	for _, r := range rs {
		first, last, err := st.cells(req.GetIndex(), int64(r.Size), "register "+quote(r.Name))
		if err != nil {
			return err
		}
		var emitErr error
		err = st.prog.Registers(r, first, last, func(i int64, v []byte) error {
			emitErr = emit.register(r.ID, i, canonValue(v))
			return emitErr
		})
		if emitErr != nil {
			return emitErr
		}
		if err != nil {
			return targetErr(err, "register %q: read", r.Name)
		}
	}
	return nil
}

// readValueSets answers ValueSetEntry reads; UNIMPLEMENTED in profile bmv2.
func (st *state) readValueSets(req *p4v1.ValueSetEntry, emit emitter) error {
	if st.dev.profile != ProfileSpec {
		return errorf(ErrUnimplemented, "value set reads are not supported")
	}
	vss, ok := selectByID(req.GetValueSetId(), st.inf.ValueSets, st.inf.ValueSet)
	if !ok {
		return errorf(ErrInvalid, "unknown value set id %d", req.GetValueSetId())
	}
	for _, vs := range vss {
		out := &p4v1.ValueSetEntry{ValueSetId: vs.ID}
		for _, m := range st.vsets[vs.ID] {
			out.Members = append(out.Members, proto.Clone(m).(*p4v1.ValueSetMember))
		}
		if err := emit.entity(&p4v1.Entity{Entity: &p4v1.Entity_ValueSetEntry{ValueSetEntry: out}}); err != nil {
			return err
		}
	}
	return nil
}

// readDigests answers DigestEntry reads (PI's DigestMgr::config_read: the
// id is required in profile bmv2).
func (st *state) readDigests(req *p4v1.DigestEntry, emit emitter) error {
	if req.GetDigestId() == 0 {
		if st.dev.profile != ProfileSpec {
			return errorf(ErrUnimplemented, "digest_id must be set when reading DigestEntry")
		}
		for _, d := range st.inf.Digests {
			if c := st.digests.config(d.ID); c != nil {
				if err := emit.entity(&p4v1.Entity{Entity: &p4v1.Entity_DigestEntry{DigestEntry: proto.Clone(c).(*p4v1.DigestEntry)}}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	d := st.inf.Digest(req.GetDigestId())
	if d == nil {
		return errorf(ErrNotFound, "%d is not a valid digest id", req.GetDigestId())
	}
	c := st.digests.config(d.ID)
	if c == nil {
		return errorf(ErrNotFound, "digest %q is not configured", d.Name)
	}
	out := proto.Clone(c).(*p4v1.DigestEntry)
	if st.dev.profile == ProfileBMv2 && proto.Equal(out.GetConfig(), &p4v1.DigestEntry_Config{}) {
		out.Config = nil // PI reads an all-zero configuration back as none
	}
	return emit.entity(&p4v1.Entity{Entity: &p4v1.Entity_DigestEntry{DigestEntry: out}})
}

// beyondCells reports, in profile bmv2, a read of one cell past the end of
// an array: PI puts the entity in its answer before the target refuses to
// read it (DeviceMgr::counter_read_one, meter_read_one).
func (st *state) beyondCells(index *p4v1.Index, size int64) bool {
	return st.dev.profile == ProfileBMv2 && index != nil && index.GetIndex() >= size
}

func cloneCounter(d *p4v1.CounterData) *p4v1.CounterData {
	if d == nil {
		return nil
	}
	return proto.Clone(d).(*p4v1.CounterData)
}
