package entity

import (
	"errors"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// P4Runtime spec 11 "Read RPC": a key gives back the query that reads its
// entity alone (Query of the entity, with canonical bytestrings), for
// every kind; issue 14 (a host move reads the host's entities by key).
func TestKeyQueryRoundTrip(t *testing.T) {
	other, _ := anypb.New(&p4v1.Index{Index: 3})
	ents := []*p4v1.Entity{
		ent(te(1, 10, exact(1, 0, 5), ternary(2, []byte{0, 0x0a}, []byte{0xff}))),
		ent(te(3, -2, &p4v1.FieldMatch{FieldId: 4, FieldMatchType: &p4v1.FieldMatch_Lpm{Lpm: &p4v1.FieldMatch_LPM{Value: []byte{10, 0, 0, 0}, PrefixLen: 8}}},
			&p4v1.FieldMatch{FieldId: 5, FieldMatchType: &p4v1.FieldMatch_Range_{Range: &p4v1.FieldMatch_Range{Low: []byte{1}, High: []byte{9}}}},
			&p4v1.FieldMatch{FieldId: 6, FieldMatchType: &p4v1.FieldMatch_Optional_{Optional: &p4v1.FieldMatch_Optional{Value: []byte{7}}}},
			&p4v1.FieldMatch{FieldId: 7, FieldMatchType: &p4v1.FieldMatch_Other{Other: other}})),
		ent(&p4v1.TableEntry{TableId: 9, IsDefaultAction: true, Action: action(2, []byte{1})}),
		{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{ActionProfileId: 5, MemberId: 300, Action: &p4v1.Action{ActionId: 1}}}},
		{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: &p4v1.ActionProfileGroup{ActionProfileId: 5, GroupId: 7}}},
		{Entity: &p4v1.Entity_MeterEntry{MeterEntry: &p4v1.MeterEntry{MeterId: 4, Index: &p4v1.Index{Index: 1000}}}},
		{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: 4}}},
		{Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: &p4v1.RegisterEntry{RegisterId: 8, Index: &p4v1.Index{}}}},
		{Entity: &p4v1.Entity_DirectCounterEntry{DirectCounterEntry: &p4v1.DirectCounterEntry{TableEntry: te(1, 0, exact(1, 2))}}},
		{Entity: &p4v1.Entity_DirectMeterEntry{DirectMeterEntry: &p4v1.DirectMeterEntry{TableEntry: te(1, 0, exact(1, 2))}}},
		{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
			Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{MulticastGroupId: 12,
				Replicas: []*p4v1.Replica{{Instance: 1}}}}}}},
		{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
			Type: &p4v1.PacketReplicationEngineEntry_CloneSessionEntry{CloneSessionEntry: &p4v1.CloneSessionEntry{SessionId: 99}}}}},
		{Entity: &p4v1.Entity_DigestEntry{DigestEntry: &p4v1.DigestEntry{DigestId: 6}}},
		{Entity: &p4v1.Entity_ValueSetEntry{ValueSetEntry: &p4v1.ValueSetEntry{ValueSetId: 6}}},
		{Entity: &p4v1.Entity_ExternEntry{ExternEntry: &p4v1.ExternEntry{ExternTypeId: 1, ExternId: 2, Entry: other}}},
	}
	for _, e := range ents {
		k := MustOf(e)
		q, err := k.Query()
		if err != nil {
			t.Fatalf("%v: %v", e, err)
		}
		if MustOf(q) != k {
			t.Errorf("the query of %v keys otherwise: %v", e, q)
		}
		if want := Query(e); want != nil && !proto.Equal(Normalize(q), Normalize(want)) {
			t.Errorf("query of %v:\n got  %v\n want %v", e, q, want)
		}
	}
	for _, bad := range []Key{"", Key([]byte{byte(KindTableEntry), 1, 'z'}), Key([]byte{byte(KindMember), 0x80}), Key([]byte{byte(KindMulticastGroup), 1, 2})} {
		if _, err := bad.Query(); !errors.Is(err, ErrMalformed) {
			t.Errorf("key %q: %v, want malformed", bad, err)
		}
	}
}
