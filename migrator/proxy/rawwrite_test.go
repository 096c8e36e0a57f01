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
