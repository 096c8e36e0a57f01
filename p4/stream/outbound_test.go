package stream

import (
	"context"
	"errors"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

func packetIn(b byte) *p4v1.StreamMessageResponse {
	return &p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Packet{Packet: &p4v1.PacketIn{Payload: []byte{b}}}}
}

// Droppable messages (packet-in, digests) wait up to the limit; control
// messages always queue; order is kept; after End the queue drains, then
// Recv gives the error that ended the stream.
func TestOutboundLimitOrderAndEnd(t *testing.T) {
	o := NewOutbound(2)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if !o.Push(packetIn(1), true) || !o.Push(packetIn(2), true) {
		t.Fatal("the first two droppable messages were refused")
	}
	if o.Push(packetIn(3), true) {
		t.Fatal("a third droppable message was queued beyond the limit of 2")
	}
	arb := &p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Arbitration{Arbitration: &p4v1.MasterArbitrationUpdate{DeviceId: 1}}}
	if !o.Push(arb, false) {
		t.Fatal("a control message was refused")
	}
	for i, want := range []byte{1, 2} {
		m, err := o.Recv(ctx)
		if err != nil || m.GetPacket().GetPayload()[0] != want {
			t.Fatalf("message %d: %v %v", i, m, err)
		}
	}
	if !o.Push(packetIn(4), true) {
		t.Fatal("room freed by Recv was not reused")
	}
	bye := errors.New("bye")
	if !o.End(bye) || o.End(nil) {
		t.Fatal("End reports the first call only")
	}
	if m, _ := o.Recv(ctx); m.GetArbitration() == nil {
		t.Fatalf("got %v, want the queued arbitration", m)
	}
	if m, _ := o.Recv(ctx); m.GetPacket().GetPayload()[0] != 4 {
		t.Fatalf("got %v, want packet 4", m)
	}
	if _, err := o.Recv(ctx); !errors.Is(err, bye) || !errors.Is(o.Err(), bye) {
		t.Fatalf("after the queue: %v, want %v", err, bye)
	}
	select {
	case <-o.Done():
	default:
		t.Fatal("Done not closed")
	}
}
