package client

import (
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// receive waits up to 5s for one value on ch.
func receive[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatalf("%s channel closed", what)
		}
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for a %s", what)
	}
	panic("unreachable")
}

// Spec "Packet I/O", "Digest Messages", "Table Idle Timeout Notification",
// "Stream Error Reporting", "Architecture-Specific Notifications": each
// stream message kind reaches its channel, and packet-outs and digest acks
// reach the server.
func TestStreamMessages(t *testing.T) {
	f := newFakeServer()
	addr := f.start(t)
	_, s := primary(t, addr, 1)

	// Packet-out, echoed by the fake as a packet-in.
	out := &p4v1.PacketOut{Payload: []byte("hello"), Metadata: []*p4v1.PacketMetadata{{MetadataId: 1, Value: []byte{0, 3}}}}
	if err := s.SendPacketOut(out); err != nil {
		t.Fatalf("SendPacketOut: %v", err)
	}
	in := receive(t, "packet-in", s.PacketIns())
	if string(in.GetPayload()) != "hello" || !proto.Equal(in.GetMetadata()[0], out.GetMetadata()[0]) {
		t.Errorf("packet-in %v, want the echoed packet-out %v", in, out)
	}

	// A packet-out the server rejects comes back as a stream error.
	if err := s.SendPacketOut(&p4v1.PacketOut{Payload: []byte("bad")}); err != nil {
		t.Fatalf("SendPacketOut: %v", err)
	}
	se := receive(t, "stream error", s.StreamErrors())
	if codes.Code(se.GetCanonicalCode()) != codes.InvalidArgument || string(se.GetPacketOut().GetPacketOut().GetPayload()) != "bad" {
		t.Errorf("stream error %v, want INVALID_ARGUMENT naming the bad packet-out", se)
	}

	// Digest list, then its ack reaches the server.
	f.push(t, &p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Digest{Digest: &p4v1.DigestList{DigestId: 9, ListId: 42}}})
	d := receive(t, "digest", s.Digests())
	if d.GetDigestId() != 9 || d.GetListId() != 42 {
		t.Errorf("digest %v, want id 9 list 42", d)
	}
	if err := s.AckDigest(d.GetDigestId(), d.GetListId()); err != nil {
		t.Fatalf("AckDigest: %v", err)
	}
	waitFor(t, "the digest ack", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.acks) == 1 && f.acks[0].GetDigestId() == 9 && f.acks[0].GetListId() == 42
	})

	// Idle-timeout notification.
	idle := &p4v1.IdleTimeoutNotification{TableEntry: []*p4v1.TableEntry{tableEntry(fakeTableID, 1).GetTableEntry()}, Timestamp: 77}
	f.push(t, &p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_IdleTimeoutNotification{IdleTimeoutNotification: idle}})
	if got := receive(t, "idle-timeout notification", s.IdleTimeouts()); !proto.Equal(got, idle) {
		t.Errorf("idle-timeout %v, want %v", got, idle)
	}

	// Architecture-specific message.
	other, err := anypb.New(wrapperspb.UInt64(5))
	if err != nil {
		t.Fatal(err)
	}
	f.push(t, &p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Other{Other: other}})
	if got := receive(t, "other message", s.Others()); !proto.Equal(got, other) {
		t.Errorf("other %v, want %v", got, other)
	}
	if d := s.Dropped(); d != (DropCounts{}) {
		t.Errorf("Dropped = %+v with prompt consumers, want none", d)
	}
	if err := s.SendPacketOut(nil); err == nil {
		t.Error("SendPacketOut(nil) succeeded")
	}
	if err := s.SendOther(other); err != nil {
		t.Errorf("SendOther: %v", err)
	}
	if err := s.SendOther(nil); err == nil {
		t.Error("SendOther(nil) succeeded")
	}
}

// A full channel drops new notifications and counts them, without stalling
// the stream: arbitration advisories still get through.
func TestStreamFullChannelDrops(t *testing.T) {
	f := newFakeServer()
	addr := f.start(t)
	c := dial(t, addr, 10, func(o *DialOptions) { o.StreamBuffer = 2 })
	s := arbitrate(t, c)
	for i := range 5 {
		f.push(t, &p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Packet{Packet: &p4v1.PacketIn{Payload: []byte{byte(i)}}}})
	}
	waitFor(t, "3 dropped packet-ins", func() bool { return s.Dropped().PacketIn == 3 })
	// The two buffered ones are the first two.
	for i := range 2 {
		if p := receive(t, "packet-in", s.PacketIns()); p.GetPayload()[0] != byte(i) {
			t.Errorf("buffered packet-in %d has payload %v", i, p.GetPayload())
		}
	}
	// Arbitration still flows: a higher newcomer demotes us.
	b := dial(t, addr, 20, nil)
	arbitrate(t, b)
	nextMastership(t, s, func(m Mastership) bool { return !m.Primary })
}
