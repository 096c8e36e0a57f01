//lint:file-ignore SA1019 P4Runtime 1.3 targets (bmv2, ONOS) use egress_port and controller_metadata; lime carries them

package entity

import (
	"strings"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/p4/info"
)

func te(table uint32, prio int32, ms ...*p4v1.FieldMatch) *p4v1.TableEntry {
	return &p4v1.TableEntry{TableId: table, Priority: prio, Match: ms}
}

func ent(t *p4v1.TableEntry) *p4v1.Entity {
	return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: t}}
}

func exact(id uint32, v ...byte) *p4v1.FieldMatch {
	return &p4v1.FieldMatch{FieldId: id, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: v}}}
}

func ternary(id uint32, v, m []byte) *p4v1.FieldMatch {
	return &p4v1.FieldMatch{FieldId: id, FieldMatchType: &p4v1.FieldMatch_Ternary_{Ternary: &p4v1.FieldMatch_Ternary{Value: v, Mask: m}}}
}

func action(id uint32, params ...[]byte) *p4v1.TableAction {
	a := &p4v1.Action{ActionId: id}
	for i, p := range params {
		a.Params = append(a.Params, &p4v1.Action_Param{ParamId: uint32(i + 1), Value: p})
	}
	return &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: a}}
}

// P4Runtime spec 9.1 "TableEntry": an entry is identified by table, match
// and priority; the spec's 8.4 "Bytestrings" makes padded and canonical
// encodings one value, so one key.
func TestKeyIdentity(t *testing.T) {
	base := ent(te(1, 10, exact(1, 0, 5), ternary(2, []byte{0, 0x0a}, []byte{0xff})))
	same := []*p4v1.Entity{
		ent(te(1, 10, exact(1, 5), ternary(2, []byte{0x0a}, []byte{0, 0xff}))),    // canonical bytes
		ent(te(1, 10, ternary(2, []byte{0x0a}, []byte{0xff}), exact(1, 0, 0, 5))), // other order
		func() *p4v1.Entity {
			e := ent(te(1, 10, exact(1, 5), ternary(2, []byte{0x0a}, []byte{0xff})))
			e.GetTableEntry().Action = action(7, []byte{1})
			return e
		}(), // action is not identity
	}
	other := []*p4v1.Entity{
		ent(te(1, 11, exact(1, 5), ternary(2, []byte{0x0a}, []byte{0xff}))),
		ent(te(2, 10, exact(1, 5), ternary(2, []byte{0x0a}, []byte{0xff}))),
		ent(te(1, 10, exact(1, 6), ternary(2, []byte{0x0a}, []byte{0xff}))),
		ent(te(1, 10, exact(1, 5), ternary(2, []byte{0x0a}, []byte{0xfe}))),
		ent(te(1, 10, exact(1, 5))),
		ent(&p4v1.TableEntry{TableId: 1, IsDefaultAction: true}),
	}
	k := MustOf(base)
	if k.Kind() != KindTableEntry {
		t.Fatalf("kind %v", k.Kind())
	}
	for i, e := range same {
		if MustOf(e) != k {
			t.Errorf("same[%d] has another key", i)
		}
	}
	seen := map[Key]int{k: -1}
	for i, e := range other {
		ok := MustOf(e)
		if j, dup := seen[ok]; dup {
			t.Errorf("other[%d] has the key of %d", i, j)
		}
		seen[ok] = i
	}
}

func TestKeysOfEveryKind(t *testing.T) {
	idx := &p4v1.Index{Index: 3}
	entities := []*p4v1.Entity{
		{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{ActionProfileId: 1, MemberId: 2}}},
		{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: &p4v1.ActionProfileGroup{ActionProfileId: 1, GroupId: 2}}},
		{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: 1, Index: idx}}},
		{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: 1}}},
		{Entity: &p4v1.Entity_MeterEntry{MeterEntry: &p4v1.MeterEntry{MeterId: 1, Index: idx}}},
		{Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: &p4v1.RegisterEntry{RegisterId: 1, Index: idx}}},
		{Entity: &p4v1.Entity_DirectCounterEntry{DirectCounterEntry: &p4v1.DirectCounterEntry{TableEntry: te(1, 0, exact(1, 1))}}},
		{Entity: &p4v1.Entity_DirectMeterEntry{DirectMeterEntry: &p4v1.DirectMeterEntry{TableEntry: te(1, 0, exact(1, 1))}}},
		{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
			Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{MulticastGroupId: 1}}}}},
		{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
			Type: &p4v1.PacketReplicationEngineEntry_CloneSessionEntry{CloneSessionEntry: &p4v1.CloneSessionEntry{SessionId: 1}}}}},
		{Entity: &p4v1.Entity_DigestEntry{DigestEntry: &p4v1.DigestEntry{DigestId: 1}}},
		{Entity: &p4v1.Entity_ValueSetEntry{ValueSetEntry: &p4v1.ValueSetEntry{ValueSetId: 1}}},
		{Entity: &p4v1.Entity_ExternEntry{ExternEntry: &p4v1.ExternEntry{ExternTypeId: 1, ExternId: 1}}},
	}
	seen := map[Key]bool{}
	for _, e := range entities {
		k, err := Of(e)
		if err != nil {
			t.Fatalf("%v: %v", e, err)
		}
		if seen[k] {
			t.Errorf("duplicate key for %v", e)
		}
		seen[k] = true
		if k.Kind() != KindOf(e) || k.Kind() == KindUnknown {
			t.Errorf("%v: key kind %v, KindOf %v", e, k.Kind(), KindOf(e))
		}
	}
	if _, err := Of(&p4v1.Entity{}); err == nil {
		t.Error("empty entity has a key")
	}
	if _, err := Of(ent(te(1, 0, &p4v1.FieldMatch{FieldId: 1}))); err == nil {
		t.Error("field match without type has a key")
	}
}

// Equal compares configuration: controller_metadata and metadata count
// (ONOS deletes entries that read back differently); counters do not.
func TestEqualAndDiff(t *testing.T) {
	a := ent(te(1, 0, exact(1, 5)))
	a.GetTableEntry().Action = action(7, []byte{0, 1}, []byte{2})
	a.GetTableEntry().ControllerMetadata = 42
	a.GetTableEntry().Metadata = []byte("cookie")
	a.GetTableEntry().CounterData = &p4v1.CounterData{PacketCount: 3}

	b := ent(te(1, 0, exact(1, 0, 5)))
	b.GetTableEntry().Action = action(7, []byte{1}, []byte{0, 2})
	b.GetTableEntry().ControllerMetadata = 42
	b.GetTableEntry().Metadata = []byte("cookie")
	b.GetTableEntry().CounterData = &p4v1.CounterData{PacketCount: 9}
	if !Equal(a, b) {
		t.Fatalf("Equal: %v", Diff(a, b))
	}
	if VolatileEqual(a, b) {
		t.Fatal("VolatileEqual ignored counter data")
	}
	if d := DiffVolatile(a, b); len(d) != 1 || d[0].Path != "table_entry.counter_data.packet_count" {
		t.Fatalf("DiffVolatile = %v", d)
	}
	b.GetTableEntry().Metadata = []byte("other")
	b.GetTableEntry().GetAction().GetAction().Params[1].Value = []byte{3}
	d := Diff(a, b)
	var paths []string
	for _, x := range d {
		paths = append(paths, x.String())
	}
	got := strings.Join(paths, "; ")
	if len(d) != 2 || !strings.Contains(got, "table_entry.action.action.params[1].value: 0x02 != 0x03") ||
		!strings.Contains(got, "table_entry.metadata: 0x636f6f6b6965 != 0x6f74686572") {
		t.Fatalf("Diff = %s", got)
	}
	// Replicas: the deprecated egress_port and the port bytestring are one
	// port; replica order does not matter.
	mg := func(rs ...*p4v1.Replica) *p4v1.Entity {
		return &p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
			Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{MulticastGroupId: 1, Replicas: rs}}}}}
	}
	r1 := &p4v1.Replica{PortKind: &p4v1.Replica_EgressPort{EgressPort: 300}, Instance: 1}
	r2 := &p4v1.Replica{PortKind: &p4v1.Replica_Port{Port: []byte{0, 2}}, Instance: 1}
	r1b := &p4v1.Replica{PortKind: &p4v1.Replica_Port{Port: []byte{0x01, 0x2c}}, Instance: 1}
	r2b := &p4v1.Replica{PortKind: &p4v1.Replica_EgressPort{EgressPort: 2}, Instance: 1}
	if !Equal(mg(r1, r2), mg(r2b, r1b)) {
		t.Fatalf("replicas: %v", Diff(mg(r1, r2), mg(r2b, r1b)))
	}
	if Equal(mg(r1), mg(r1, r2)) {
		t.Fatal("a missing replica is equal")
	}
	// Normalize leaves its input alone.
	if len(r1.GetPort()) != 0 || r1.GetEgressPort() != 300 {
		t.Fatal("Normalize modified its input")
	}
}

func TestDescribe(t *testing.T) {
	in, err := info.Load(fixtures.Get(t, "onos-basic").P4Info)
	if err != nil {
		t.Fatal(err)
	}
	t0 := in.TableByName("ingress.table0_control.table0")
	f := t0.FieldByName("hdr.ethernet.dst_addr")
	e := ent(te(t0.ID, 10, ternary(f.ID, []byte{0, 0xaa}, []byte{0xff})))
	want := "table entry ingress.table0_control.table0{hdr.ethernet.dst_addr=0xaa&&&0xff} prio 10"
	if got := Describe(e, in); got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	if got := Describe(e, nil); !strings.HasPrefix(got, "table entry 0x") {
		t.Errorf("Describe without info = %q", got)
	}
	c := in.Counters[0]
	ce := &p4v1.Entity{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: c.ID, Index: &p4v1.Index{Index: 4}}}}
	if got := Describe(ce, in); got != "counter "+c.Name+"[4]" {
		t.Errorf("Describe = %q", got)
	}
}
