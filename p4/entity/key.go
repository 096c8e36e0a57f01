package entity

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/canon"
)

// Key is the identity of an entity: equal for two encodings of the same
// entity (padded or canonical bytes, any match-field order), different for
// different entities. It is a binary string meant for maps and sorting, not
// for display (use Describe).
type Key string

// Kind returns the kind of the keyed entity.
func (k Key) Kind() Kind {
	if k == "" {
		return KindUnknown
	}
	return Kind(k[0])
}

// ErrMalformed reports an entity that has no identity (an empty oneof, a
// field match without a type).
var ErrMalformed = errors.New("malformed entity")

type keyBuf []byte

func (b keyBuf) u(v uint64) keyBuf { return binary.AppendUvarint(b, v) }

func (b keyBuf) bytes(v []byte) keyBuf {
	v = canon.Canonical(v)
	return append(b.u(uint64(len(v))), v...)
}

func (b keyBuf) raw(v []byte) keyBuf { return append(b.u(uint64(len(v))), v...) }

// index appends a cell index; a missing index (a wildcard) is its own key.
func (b keyBuf) index(i *p4v1.Index) keyBuf {
	if i == nil {
		return append(b, 0)
	}
	return append(b, 1).u(uint64(i.GetIndex()))
}

// Of returns the key of e.
func Of(e *p4v1.Entity) (Key, error) {
	k := KindOf(e)
	b := keyBuf{byte(k)}
	var err error
	switch k {
	case KindTableEntry, KindDefaultEntry:
		b, err = tableKey(b, e.GetTableEntry())
	case KindMember:
		m := e.GetActionProfileMember()
		b = b.u(uint64(m.GetActionProfileId())).u(uint64(m.GetMemberId()))
	case KindGroup:
		g := e.GetActionProfileGroup()
		b = b.u(uint64(g.GetActionProfileId())).u(uint64(g.GetGroupId()))
	case KindMeter:
		m := e.GetMeterEntry()
		b = b.u(uint64(m.GetMeterId())).index(m.GetIndex())
	case KindCounter:
		c := e.GetCounterEntry()
		b = b.u(uint64(c.GetCounterId())).index(c.GetIndex())
	case KindRegister:
		r := e.GetRegisterEntry()
		b = b.u(uint64(r.GetRegisterId())).index(r.GetIndex())
	case KindDirectMeter:
		b, err = tableKey(b, e.GetDirectMeterEntry().GetTableEntry())
	case KindDirectCounter:
		b, err = tableKey(b, e.GetDirectCounterEntry().GetTableEntry())
	case KindMulticastGroup:
		b = b.u(uint64(e.GetPacketReplicationEngineEntry().GetMulticastGroupEntry().GetMulticastGroupId()))
	case KindCloneSession:
		b = b.u(uint64(e.GetPacketReplicationEngineEntry().GetCloneSessionEntry().GetSessionId()))
	case KindDigest:
		b = b.u(uint64(e.GetDigestEntry().GetDigestId()))
	case KindValueSet:
		b = b.u(uint64(e.GetValueSetEntry().GetValueSetId()))
	case KindExtern:
		x := e.GetExternEntry()
		b = b.u(uint64(x.GetExternTypeId())).u(uint64(x.GetExternId()))
		if x.GetEntry() != nil {
			raw, merr := proto.MarshalOptions{Deterministic: true}.Marshal(x.GetEntry())
			if merr != nil {
				return "", fmt.Errorf("%w: extern entry: %w", ErrMalformed, merr)
			}
			b = b.raw(raw)
		}
	default:
		return "", fmt.Errorf("%w: no entity set", ErrMalformed)
	}
	if err != nil {
		return "", err
	}
	return Key(b), nil
}

// MustOf is Of for entities known to be well formed (e.g. read back from a
// device); it panics on a malformed entity.
func MustOf(e *p4v1.Entity) Key {
	k, err := Of(e)
	if err != nil {
		panic(err)
	}
	return k
}

func tableKey(b keyBuf, te *p4v1.TableEntry) (keyBuf, error) {
	if te == nil {
		return nil, fmt.Errorf("%w: no table entry", ErrMalformed)
	}
	b = b.u(uint64(te.GetTableId()))
	if te.GetIsDefaultAction() {
		return append(b, 'd'), nil
	}
	b = append(b, 'e').u(uint64(uint32(te.GetPriority())))
	return matchKey(b, te.GetMatch())
}

func matchKey(b keyBuf, ms []*p4v1.FieldMatch) (keyBuf, error) {
	sorted := slices.Clone(ms)
	slices.SortFunc(sorted, func(x, y *p4v1.FieldMatch) int { return int(x.GetFieldId()) - int(y.GetFieldId()) })
	for _, m := range sorted {
		b = b.u(uint64(m.GetFieldId()))
		switch x := m.GetFieldMatchType().(type) {
		case *p4v1.FieldMatch_Exact_:
			b = append(b, 'x').bytes(x.Exact.GetValue())
		case *p4v1.FieldMatch_Lpm:
			b = append(b, 'l').bytes(x.Lpm.GetValue()).u(uint64(uint32(x.Lpm.GetPrefixLen())))
		case *p4v1.FieldMatch_Ternary_:
			b = append(b, 't').bytes(x.Ternary.GetValue()).bytes(x.Ternary.GetMask())
		case *p4v1.FieldMatch_Range_:
			b = append(b, 'r').bytes(x.Range.GetLow()).bytes(x.Range.GetHigh())
		case *p4v1.FieldMatch_Optional_:
			b = append(b, 'o').bytes(x.Optional.GetValue())
		case *p4v1.FieldMatch_Other:
			raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(x.Other)
			if err != nil {
				return nil, fmt.Errorf("%w: field %d: %w", ErrMalformed, m.GetFieldId(), err)
			}
			b = append(b, 'a').raw(raw)
		default:
			return nil, fmt.Errorf("%w: field %d has no match type", ErrMalformed, m.GetFieldId())
		}
	}
	return b, nil
}
