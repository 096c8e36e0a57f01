package proxy

import (
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// A pass-through Write relayed as wire bytes (issue 14) reaches the switch
// as the decoded path would send it: the backend's device id, election id
// and role, the updates and atomicity as the controller wrote them, and
// what this proxy does not know (an unknown field) kept.
func TestRawWriteForBackend(t *testing.T) {
	req := &p4v1.WriteRequest{DeviceId: 7, Role: "ctl", ElectionId: &p4v1.Uint128{High: 1, Low: 2},
		Atomicity: p4v1.WriteRequest_DATAPLANE_ATOMIC, Updates: []*p4v1.Update{
			{Type: p4v1.Update_INSERT, Entity: &p4v1.Entity{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: 5}}}},
			{Type: p4v1.Update_DELETE, Entity: &p4v1.Entity{Entity: &p4v1.Entity_MeterEntry{MeterEntry: &p4v1.MeterEntry{MeterId: 6}}}},
		}}
	b, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	b = protowire.AppendTag(b, writeRoleID, protowire.VarintType) // the deprecated role_id: dropped
	b = protowire.AppendVarint(b, 3)
	b = protowire.AppendTag(b, 99, protowire.VarintType)
	b = protowire.AppendVarint(b, 42)
	w, ok := parseRawWrite(b)
	if !ok || w.deviceID != 7 || w.role != "ctl" || !proto.Equal(w.election, req.ElectionId) || w.updates != 2 {
		t.Fatalf("parsed %+v, %v", w, ok)
	}
	var got p4v1.WriteRequest
	if err := proto.Unmarshal(w.to(3, &p4v1.Uint128{Low: 9}, ""), &got); err != nil {
		t.Fatal(err)
	}
	want := proto.Clone(req).(*p4v1.WriteRequest)
	want.DeviceId, want.Role, want.ElectionId = 3, "", &p4v1.Uint128{Low: 9}
	unknown := got.ProtoReflect().GetUnknown()
	got.ProtoReflect().SetUnknown(nil)
	if !proto.Equal(&got, want) {
		t.Errorf("sent %v, want %v", &got, want)
	}
	if num, _, _ := protowire.ConsumeTag(unknown); num != 99 {
		t.Errorf("the unknown field was not kept: %x", unknown)
	}
	// With a role, and no election id.
	if err := proto.Unmarshal(w.to(3, nil, "lime"), &got); err != nil || got.Role != "lime" || got.ElectionId != nil {
		t.Errorf("sent %v, %v", &got, err)
	}
}

// What a decode would refuse is not relayed raw: the decoded path answers
// it as it would.
func TestRawWriteRefusesWhatDoesNotDecode(t *testing.T) {
	good, _ := proto.Marshal(&p4v1.WriteRequest{DeviceId: 1})
	for name, b := range map[string][]byte{
		"a cut tag":                           {0x80},
		"a cut field":                         append(append([]byte(nil), good...), 0x22, 0x05, 1),
		"a role that is not UTF-8":            protowire.AppendString(protowire.AppendTag(nil, writeRole, protowire.BytesType), "\xff"),
		"a device id as bytes":                protowire.AppendString(protowire.AppendTag(nil, writeDeviceID, protowire.BytesType), "x"),
		"an election id that does not decode": protowire.AppendBytes(protowire.AppendTag(nil, writeElectionID, protowire.BytesType), []byte{0x80}),
	} {
		if _, ok := parseRawWrite(b); ok {
			t.Errorf("%s: taken", name)
		}
	}
}

// During a migration the source gets a write as the decoded path would
// send it, the updates its translation left as they came as the
// controller's own bytes (issue 14: not encoded again; what this proxy
// does not know in them kept), the others as translated.
func TestWireRequest(t *testing.T) {
	counter := func(id uint32) *p4v1.Update {
		return &p4v1.Update{Type: p4v1.Update_MODIFY, Entity: &p4v1.Entity{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: id}}}}
	}
	ups := []*p4v1.Update{counter(1), counter(2), counter(3)}
	ups[2].ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 99, protowire.VarintType), 42))
	req := &p4v1.WriteRequest{DeviceId: 7, ElectionId: &p4v1.Uint128{Low: 1}, Updates: ups}
	b, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if rawUpdates(b, 2) != nil {
		t.Error("rawUpdates took 3 updates for 2")
	}
	wire := rawUpdates(b, 3)
	if wire == nil {
		t.Fatal("rawUpdates: none")
	}
	phys := []*p4v1.Update{ups[0], counter(12), ups[2]} // the second translated
	out, ok := wireRequest(writeHeader(nil, 3, &p4v1.Uint128{Low: 9}, "lime"), ups, phys, wire, p4v1.WriteRequest_DATAPLANE_ATOMIC)
	if !ok {
		t.Fatal("wireRequest refused")
	}
	var got p4v1.WriteRequest
	if err := proto.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := &p4v1.WriteRequest{DeviceId: 3, ElectionId: &p4v1.Uint128{Low: 9}, Role: "lime", Updates: phys, Atomicity: p4v1.WriteRequest_DATAPLANE_ATOMIC}
	if !proto.Equal(&got, want) {
		t.Errorf("sent %v, want %v", &got, want)
	}
	if len(got.Updates[2].ProtoReflect().GetUnknown()) == 0 {
		t.Error("the unknown field of an update sent as it came was lost")
	}
	if _, ok := wireRequest(nil, ups, phys, wire[:2], 0); ok {
		t.Error("wireRequest took 2 wire updates for 3")
	}
}
