package p4rt

import (
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// typeError answers, in profile bmv2, an update whose type is UNSPECIFIED
// or unknown as PI does: each kind of entity first makes the checks that
// PI's writer of that kind makes before it looks at the type (its ids,
// that the entry or cell exists, ...; DeviceMgr::*_write), and only then
// refuses the type; registers, value sets and externs are UNIMPLEMENTED
// whatever the update.
func (st *state) typeError(u *p4v1.Update) error {
	if err := st.beforeType(u.GetEntity()); err != nil {
		return err
	}
	if u.GetType() == p4v1.Update_UNSPECIFIED {
		return exactf(ErrInvalid, "Update type is not set")
	}
	return exactf(ErrInvalid, "Invalid update type")
}

func (st *state) beforeType(e *p4v1.Entity) error {
	invalidID := exactf(ErrInvalid, "Invalid P4 id")
	switch x := e.GetEntity().(type) {
	case *p4v1.Entity_TableEntry:
		if st.inf.Table(x.TableEntry.GetTableId()) == nil {
			return invalidID
		}
		if x.TableEntry.GetTimeSinceLastHit() != nil {
			return exactf(ErrInvalid, "has_time_since_last_hit must not be set in WriteRequest")
		}
	case *p4v1.Entity_ActionProfileMember:
		_, err := st.profileFor(x.ActionProfileMember.GetActionProfileId())
		return err
	case *p4v1.Entity_ActionProfileGroup:
		_, err := st.profileFor(x.ActionProfileGroup.GetActionProfileId())
		return err
	case *p4v1.Entity_MeterEntry:
		if st.inf.Meter(x.MeterEntry.GetMeterId()) == nil {
			return invalidID
		}
		return indexBeforeType(x.MeterEntry.GetIndex(), "meters")
	case *p4v1.Entity_CounterEntry:
		if st.inf.Counter(x.CounterEntry.GetCounterId()) == nil {
			return invalidID
		}
		return indexBeforeType(x.CounterEntry.GetIndex(), "counters")
	case *p4v1.Entity_DirectMeterEntry:
		ts, _, err := st.directEntry(x.DirectMeterEntry.GetTableEntry(), "direct meter entry")
		if err != nil {
			return err
		}
		if ts.t.DirectMeter == nil {
			return exactf(ErrInvalid, "Table has no direct meters")
		}
	case *p4v1.Entity_DirectCounterEntry:
		ts, _, err := st.directEntry(x.DirectCounterEntry.GetTableEntry(), "direct counter entry")
		if err != nil {
			return err
		}
		if ts.t.DirectCounter == nil {
			return exactf(ErrInvalid, "Table has no direct counters")
		}
	case *p4v1.Entity_PacketReplicationEngineEntry:
		if mg := x.PacketReplicationEngineEntry.GetMulticastGroupEntry(); mg != nil {
			switch id := mg.GetMulticastGroupId(); {
			case id == 0:
				return exactf(ErrInvalid, "0 is not a valid group id")
			case id >= maxMulticastGroupID:
				return exactf(ErrOutOfRange, "Group id value is too high")
			}
		} else if cs := x.PacketReplicationEngineEntry.GetCloneSessionEntry(); cs != nil && cs.GetSessionId() == 0 {
			return exactf(ErrInvalid, "0 is not a valid session id")
		}
	case *p4v1.Entity_ValueSetEntry:
		return exactf(ErrUnimplemented, "ValueSet writes are not supported yet")
	case *p4v1.Entity_RegisterEntry:
		return exactf(ErrUnimplemented, "Register writes are not supported yet")
	case *p4v1.Entity_ExternEntry:
		return exactf(ErrUnimplemented, "No extern support yet")
	case *p4v1.Entity_DigestEntry:
		if st.inf.Digest(x.DigestEntry.GetDigestId()) == nil {
			return exactf(ErrNotFound, "%d is not a valid digest id", x.DigestEntry.GetDigestId())
		}
	default:
		return exactf(ErrUnknown, "Incorrect entity type")
	}
	return nil
}

// indexBeforeType is PI's check of an indirect meter's or counter's index
// in a write: a wildcard write is UNIMPLEMENTED, a negative index
// INVALID_ARGUMENT.
func indexBeforeType(i *p4v1.Index, what string) error {
	if i == nil {
		return exactf(ErrUnimplemented, "Wildcard write is not supported for indirect %s yet", what)
	}
	if i.GetIndex() < 0 {
		return exactf(ErrInvalid, "A negative number is not a valid index value")
	}
	return nil
}
