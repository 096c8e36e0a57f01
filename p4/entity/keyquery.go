package entity

import (
	"encoding/binary"
	"fmt"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// Query gives back the Read request entity that selects the keyed entity
// alone (as Query(e) does for the entity e it is the key of): ids, match
// and priority, index or id, with canonical bytestrings (P4Runtime spec
// 8.4 "Bytestrings": a server takes them). A key that is not Of's is
// refused as malformed.
func (k Key) Query() (*p4v1.Entity, error) {
	r := keyReader{b: []byte(k)}
	kind := KindUnknown
	if len(r.b) > 0 {
		kind = Kind(r.b[0])
		r.b = r.b[1:]
	}
	var e *p4v1.Entity
	switch kind {
	case KindTableEntry, KindDefaultEntry:
		te := r.table()
		e = &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: te}}
	case KindDirectMeter:
		e = &p4v1.Entity{Entity: &p4v1.Entity_DirectMeterEntry{DirectMeterEntry: &p4v1.DirectMeterEntry{TableEntry: r.table()}}}
	case KindDirectCounter:
		e = &p4v1.Entity{Entity: &p4v1.Entity_DirectCounterEntry{DirectCounterEntry: &p4v1.DirectCounterEntry{TableEntry: r.table()}}}
	case KindMember:
		e = &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{
			ActionProfileId: r.u32(), MemberId: r.u32()}}}
	case KindGroup:
		e = &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: &p4v1.ActionProfileGroup{
			ActionProfileId: r.u32(), GroupId: r.u32()}}}
	case KindMeter:
		e = &p4v1.Entity{Entity: &p4v1.Entity_MeterEntry{MeterEntry: &p4v1.MeterEntry{MeterId: r.u32(), Index: r.index()}}}
	case KindCounter:
		e = &p4v1.Entity{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: r.u32(), Index: r.index()}}}
	case KindRegister:
		e = &p4v1.Entity{Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: &p4v1.RegisterEntry{RegisterId: r.u32(), Index: r.index()}}}
	case KindMulticastGroup:
		e = &p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
			Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{MulticastGroupId: r.u32()}}}}}
	case KindCloneSession:
		e = &p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
			Type: &p4v1.PacketReplicationEngineEntry_CloneSessionEntry{CloneSessionEntry: &p4v1.CloneSessionEntry{SessionId: r.u32()}}}}}
	case KindDigest:
		e = &p4v1.Entity{Entity: &p4v1.Entity_DigestEntry{DigestEntry: &p4v1.DigestEntry{DigestId: r.u32()}}}
	case KindValueSet:
		e = &p4v1.Entity{Entity: &p4v1.Entity_ValueSetEntry{ValueSetEntry: &p4v1.ValueSetEntry{ValueSetId: r.u32()}}}
	case KindExtern:
		x := &p4v1.ExternEntry{ExternTypeId: r.u32(), ExternId: r.u32()}
		if len(r.b) > 0 {
			x.Entry = r.any()
		}
		e = &p4v1.Entity{Entity: &p4v1.Entity_ExternEntry{ExternEntry: x}}
	default:
		return nil, fmt.Errorf("%w: key of no known kind", ErrMalformed)
	}
	if r.err != nil || len(r.b) > 0 {
		return nil, fmt.Errorf("%w: a %s key that does not decode", ErrMalformed, kind)
	}
	return e, nil
}

// keyReader reads what keyBuf wrote; the first failure sticks in err.
type keyReader struct {
	b   []byte
	err error
}

func (r *keyReader) fail() { r.err, r.b = ErrMalformed, nil }

func (r *keyReader) u() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *keyReader) u32() uint32 { return uint32(r.u()) }

func (r *keyReader) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *keyReader) bytes() []byte {
	n := r.u()
	if r.err != nil || uint64(len(r.b)) < n {
		r.fail()
		return nil
	}
	v := append([]byte(nil), r.b[:n]...)
	r.b = r.b[n:]
	return v
}

func (r *keyReader) index() *p4v1.Index {
	if r.byte() == 0 {
		return nil
	}
	return &p4v1.Index{Index: int64(r.u())}
}

func (r *keyReader) any() *anypb.Any {
	raw := r.bytes()
	a := &anypb.Any{}
	if err := proto.Unmarshal(raw, a); err != nil {
		r.fail()
	}
	return a
}

func (r *keyReader) table() *p4v1.TableEntry {
	te := &p4v1.TableEntry{TableId: r.u32()}
	switch r.byte() {
	case 'd':
		te.IsDefaultAction = true
		return te
	case 'e':
	default:
		r.fail()
		return te
	}
	te.Priority = int32(r.u32())
	for len(r.b) > 0 && r.err == nil {
		m := &p4v1.FieldMatch{FieldId: r.u32()}
		switch r.byte() {
		case 'x':
			m.FieldMatchType = &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: r.bytes()}}
		case 'l':
			m.FieldMatchType = &p4v1.FieldMatch_Lpm{Lpm: &p4v1.FieldMatch_LPM{Value: r.bytes(), PrefixLen: int32(r.u32())}}
		case 't':
			m.FieldMatchType = &p4v1.FieldMatch_Ternary_{Ternary: &p4v1.FieldMatch_Ternary{Value: r.bytes(), Mask: r.bytes()}}
		case 'r':
			m.FieldMatchType = &p4v1.FieldMatch_Range_{Range: &p4v1.FieldMatch_Range{Low: r.bytes(), High: r.bytes()}}
		case 'o':
			m.FieldMatchType = &p4v1.FieldMatch_Optional_{Optional: &p4v1.FieldMatch_Optional{Value: r.bytes()}}
		case 'a':
			m.FieldMatchType = &p4v1.FieldMatch_Other{Other: r.any()}
		default:
			r.fail()
		}
		te.Match = append(te.Match, m)
	}
	return te
}
