package entity

import p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

// Query is the Read request entity that selects e alone: its kind and key
// (ids, match and priority, index, or the PRE entry's id) without the
// values, so that reading it back gives e as the server holds it (P4Runtime
// spec, "Read RPC").
func Query(e *p4v1.Entity) *p4v1.Entity {
	switch x := e.GetEntity().(type) {
	case *p4v1.Entity_TableEntry:
		te := x.TableEntry
		return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{
			TableId: te.TableId, Match: te.Match, Priority: te.Priority, IsDefaultAction: te.IsDefaultAction}}}
	case *p4v1.Entity_DirectCounterEntry:
		return &p4v1.Entity{Entity: &p4v1.Entity_DirectCounterEntry{DirectCounterEntry: &p4v1.DirectCounterEntry{TableEntry: x.DirectCounterEntry.TableEntry}}}
	case *p4v1.Entity_DirectMeterEntry:
		return &p4v1.Entity{Entity: &p4v1.Entity_DirectMeterEntry{DirectMeterEntry: &p4v1.DirectMeterEntry{TableEntry: x.DirectMeterEntry.TableEntry}}}
	case *p4v1.Entity_CounterEntry:
		return &p4v1.Entity{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: x.CounterEntry.CounterId, Index: x.CounterEntry.Index}}}
	case *p4v1.Entity_MeterEntry:
		return &p4v1.Entity{Entity: &p4v1.Entity_MeterEntry{MeterEntry: &p4v1.MeterEntry{MeterId: x.MeterEntry.MeterId, Index: x.MeterEntry.Index}}}
	case *p4v1.Entity_RegisterEntry:
		return &p4v1.Entity{Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: &p4v1.RegisterEntry{RegisterId: x.RegisterEntry.RegisterId, Index: x.RegisterEntry.Index}}}
	case *p4v1.Entity_ActionProfileMember:
		m := x.ActionProfileMember
		return &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{ActionProfileId: m.ActionProfileId, MemberId: m.MemberId}}}
	case *p4v1.Entity_ActionProfileGroup:
		g := x.ActionProfileGroup
		return &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: &p4v1.ActionProfileGroup{ActionProfileId: g.ActionProfileId, GroupId: g.GroupId}}}
	case *p4v1.Entity_PacketReplicationEngineEntry:
		pre := &p4v1.PacketReplicationEngineEntry{}
		if mg := x.PacketReplicationEngineEntry.GetMulticastGroupEntry(); mg != nil {
			pre.Type = &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{MulticastGroupId: mg.MulticastGroupId}}
		} else {
			cs := x.PacketReplicationEngineEntry.GetCloneSessionEntry()
			pre.Type = &p4v1.PacketReplicationEngineEntry_CloneSessionEntry{CloneSessionEntry: &p4v1.CloneSessionEntry{SessionId: cs.GetSessionId()}}
		}
		return &p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: pre}}
	case *p4v1.Entity_DigestEntry:
		return &p4v1.Entity{Entity: &p4v1.Entity_DigestEntry{DigestEntry: &p4v1.DigestEntry{DigestId: x.DigestEntry.DigestId}}}
	case *p4v1.Entity_ValueSetEntry:
		return &p4v1.Entity{Entity: &p4v1.Entity_ValueSetEntry{ValueSetEntry: &p4v1.ValueSetEntry{ValueSetId: x.ValueSetEntry.ValueSetId}}}
	}
	return nil
}

// StripReadOnly clears what a server fills on reads but refuses or ignores
// on writes: is_const, time_since_last_hit and meter colour counts.
func StripReadOnly(e *p4v1.Entity) {
	switch x := e.GetEntity().(type) {
	case *p4v1.Entity_TableEntry:
		x.TableEntry.IsConst = false
		x.TableEntry.TimeSinceLastHit = nil
		x.TableEntry.MeterCounterData = nil
	case *p4v1.Entity_MeterEntry:
		x.MeterEntry.CounterData = nil
	case *p4v1.Entity_DirectMeterEntry:
		x.DirectMeterEntry.CounterData = nil
	}
}
