package entity

import (
	"fmt"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// Kind is the kind of an entity, finer than the Entity oneof: default
// entries, multicast groups and clone sessions are kinds of their own.
type Kind uint8

// Entity kinds, in the dependency order a clone writes them (PRE and clone
// sessions, members, groups, table entries, default entries, meters,
// counters and registers); digest configs and value sets carry no
// dependency and come first.
const (
	KindUnknown Kind = iota
	KindDigest
	KindValueSet
	KindMulticastGroup
	KindCloneSession
	KindMember
	KindGroup
	KindTableEntry
	KindDefaultEntry
	KindMeter
	KindDirectMeter
	KindCounter
	KindDirectCounter
	KindRegister
	KindExtern
)

var kindNames = [...]string{
	KindUnknown:        "unknown",
	KindDigest:         "digest config",
	KindValueSet:       "value set",
	KindMulticastGroup: "multicast group",
	KindCloneSession:   "clone session",
	KindMember:         "action-profile member",
	KindGroup:          "action-profile group",
	KindTableEntry:     "table entry",
	KindDefaultEntry:   "default entry",
	KindMeter:          "meter",
	KindDirectMeter:    "direct meter",
	KindCounter:        "counter",
	KindDirectCounter:  "direct counter",
	KindRegister:       "register",
	KindExtern:         "extern entry",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind?"
}

// MarshalText makes kinds readable keys and values in JSON.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("entity: unknown kind %q", b)
}

// Kinds lists every known kind in dependency order.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kindNames)-1)
	for k := KindDigest; k <= KindExtern; k++ {
		out = append(out, k)
	}
	return out
}

// KindOf returns the kind of e.
func KindOf(e *p4v1.Entity) Kind {
	switch x := e.GetEntity().(type) {
	case *p4v1.Entity_TableEntry:
		if x.TableEntry.GetIsDefaultAction() {
			return KindDefaultEntry
		}
		return KindTableEntry
	case *p4v1.Entity_ActionProfileMember:
		return KindMember
	case *p4v1.Entity_ActionProfileGroup:
		return KindGroup
	case *p4v1.Entity_MeterEntry:
		return KindMeter
	case *p4v1.Entity_DirectMeterEntry:
		return KindDirectMeter
	case *p4v1.Entity_CounterEntry:
		return KindCounter
	case *p4v1.Entity_DirectCounterEntry:
		return KindDirectCounter
	case *p4v1.Entity_PacketReplicationEngineEntry:
		switch x.PacketReplicationEngineEntry.GetType().(type) {
		case *p4v1.PacketReplicationEngineEntry_MulticastGroupEntry:
			return KindMulticastGroup
		case *p4v1.PacketReplicationEngineEntry_CloneSessionEntry:
			return KindCloneSession
		}
	case *p4v1.Entity_ValueSetEntry:
		return KindValueSet
	case *p4v1.Entity_RegisterEntry:
		return KindRegister
	case *p4v1.Entity_DigestEntry:
		return KindDigest
	case *p4v1.Entity_ExternEntry:
		return KindExtern
	}
	return KindUnknown
}

// Insertable reports whether entities of kind k are created with INSERT and
// removed with DELETE; the others (default entries, counter, meter and
// register cells, direct resources, value sets) exist with the pipeline and
// take MODIFY only (P4Runtime spec section 9).
func Insertable(k Kind) bool {
	switch k {
	case KindDigest, KindMulticastGroup, KindCloneSession, KindMember, KindGroup, KindTableEntry:
		return true
	}
	return false
}

// WriteType is the update that writes an entity of kind k where it may not
// be yet: INSERT for the kinds that are inserted, else MODIFY.
func WriteType(k Kind) p4v1.Update_Type {
	if Insertable(k) {
		return p4v1.Update_INSERT
	}
	return p4v1.Update_MODIFY
}
