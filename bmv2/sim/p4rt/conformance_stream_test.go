package p4rt_test

//lint:file-ignore SA1019 controller_metadata must read back byte-exact (ONOS uses it)

import (
	"bytes"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/fixtures"
)

func withTarget(tgt p4rt.Target) func(*p4rt.Options) {
	return func(o *p4rt.Options) { o.Target = tgt }
}

func packetOut(payload []byte, md ...*p4v1.PacketMetadata) *p4v1.StreamMessageRequest {
	return &p4v1.StreamMessageRequest{Update: &p4v1.StreamMessageRequest_Packet{Packet: &p4v1.PacketOut{Payload: payload, Metadata: md}}}
}

// waitFor polls cond for up to 5 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestPacketIO: spec section 16.1 "Packet I/O" with onos-basic's
// controller headers (9-bit port + 7-bit pad): a PacketOut from the primary
// reaches the CPU port with the packet_out header in front (as PI builds
// it); a CPU-port frame becomes a PacketIn with its metadata, sent to the
// primary only; a backup's PacketOut is dropped (profile spec also reports
// PERMISSION_DENIED); bad metadata yields a StreamError.
func TestPacketIO(t *testing.T) {
	for _, prof := range []p4rt.Profile{p4rt.ProfileBMv2, p4rt.ProfileSpec} {
		t.Run(prof.String(), func(t *testing.T) {
			tgt := p4rt.NewMemoryTarget()
			h := newHarness(t, prof, withTarget(tgt))
			// In profile spec, load arbitrates election id 1 (a backup once
			// election id 2 arrives).
			h.load(fixtures.Get(t, "onos-basic"))
			primary := h.arbitrate(eid(2))
			backup := h.arbitrate(eid(0))
			prog := tgt.Active()

			primary.send(packetOut([]byte("hello"), &p4v1.PacketMetadata{MetadataId: 1, Value: []byte{1, 0x2c}}, &p4v1.PacketMetadata{MetadataId: 2, Value: []byte{0}}))
			var frames [][]byte
			waitFor(t, "packet-out", func() bool { frames = prog.PacketOuts(); return len(frames) > 0 })
			// Port 300 = 0b1_0010_1100 in the top 9 bits of two bytes.
			if want := append([]byte{0x96, 0x00}, "hello"...); !bytes.Equal(frames[0], want) {
				t.Errorf("packet-out frame %x, want %x", frames[0], want)
			}

			backup.send(packetOut([]byte("x"), &p4v1.PacketMetadata{MetadataId: 1, Value: []byte{1}}, &p4v1.PacketMetadata{MetadataId: 2, Value: []byte{0}}))
			if prof == p4rt.ProfileSpec {
				if e := backup.next().GetError(); codes.Code(e.GetCanonicalCode()) != codes.PermissionDenied {
					t.Errorf("backup packet-out: %v, want a PERMISSION_DENIED stream error", e)
				}
			}
			primary.send(packetOut([]byte("y"), &p4v1.PacketMetadata{MetadataId: 9, Value: []byte{1}}))
			if e := primary.next().GetError(); codes.Code(e.GetCanonicalCode()) != codes.InvalidArgument || e.GetPacketOut() == nil {
				t.Errorf("unknown metadata id: %v, want an INVALID_ARGUMENT stream error about the packet-out", e)
			}
			time.Sleep(20 * time.Millisecond)
			if n := len(prog.PacketOuts()); n != 0 {
				t.Errorf("%d refused packet-outs reached the CPU port", n)
			}

			// Packet-in: port 5 in the packet_in header.
			prog.Events().PacketIn(append([]byte{0x02, 0x80}, "pkt"...))
			pi := primary.next().GetPacket()
			want := &p4v1.PacketIn{Payload: []byte("pkt"), Metadata: []*p4v1.PacketMetadata{{MetadataId: 1, Value: []byte{5}}, {MetadataId: 2, Value: []byte{0}}}}
			if !proto.Equal(pi, want) {
				t.Errorf("packet-in %v, want %v", pi, want)
			}
			backup.quiet(50 * time.Millisecond)
		})
	}
}

// TestDigests: spec section 9.8 "DigestEntry": with max_list_size 1 every
// new message is its own DigestList; a message already sent and not acked
// is not sent again; an ack (or ack_timeout_ns) clears it; with a
// max_timeout_ns the server batches distinct messages.
func TestDigests(t *testing.T) {
	tgt := p4rt.NewMemoryTarget()
	h := newHarness(t, p4rt.ProfileBMv2, withTarget(tgt))
	h.load(fixtures.Get(t, "bmv2-digest"))
	s := h.arbitrate(eid(1))
	e := eid(1)
	d := h.inf.Digests[0]
	h.mustWrite(e, update(p4v1.Update_INSERT, digestEntity(d.ID, &p4v1.DigestEntry_Config{MaxTimeoutNs: 0, MaxListSize: 1, AckTimeoutNs: int64(time.Hour)})))
	ev := tgt.Active().Events()
	mac, port := []byte{0, 0, 0, 0, 0, 0xab}, []byte{0, 3}
	ev.Digest(d.ID, [][]byte{mac, port})
	l := s.next().GetDigest()
	want := &p4v1.P4Data{Data: &p4v1.P4Data_Struct{Struct: &p4v1.P4StructLike{Members: []*p4v1.P4Data{
		{Data: &p4v1.P4Data_Bitstring{Bitstring: []byte{0xab}}}, {Data: &p4v1.P4Data_Bitstring{Bitstring: []byte{3}}}}}}}
	if l == nil || l.DigestId != d.ID || len(l.Data) != 1 || !proto.Equal(l.Data[0], want) {
		t.Fatalf("digest list %v, want one message %v", l, want)
	}
	ev.Digest(d.ID, [][]byte{mac, port})
	s.quiet(50 * time.Millisecond)
	s.send(&p4v1.StreamMessageRequest{Update: &p4v1.StreamMessageRequest_DigestAck{DigestAck: &p4v1.DigestListAck{DigestId: d.ID, ListId: l.ListId}}})
	time.Sleep(20 * time.Millisecond)
	ev.Digest(d.ID, [][]byte{mac, port})
	if l2 := s.next().GetDigest(); l2 == nil || l2.ListId == l.ListId {
		t.Errorf("after the ack: %v, want a new list", l2)
	}
	// Batching: up to 10 messages or 100ms.
	h.mustWrite(e, update(p4v1.Update_MODIFY, digestEntity(d.ID, &p4v1.DigestEntry_Config{MaxTimeoutNs: int64(100 * time.Millisecond), MaxListSize: 10})))
	for i := byte(1); i <= 3; i++ {
		ev.Digest(d.ID, [][]byte{{i}, port})
	}
	if l3 := s.next().GetDigest(); len(l3.GetData()) != 3 {
		t.Errorf("batched list: %v, want 3 messages", l3)
	}
}

// TestIdleTimeout: spec sections 9.1.8 "Idle-timeout" and 16.4 "Table Idle
// Timeout Notification": an entry not hit for its TTL is reported to the
// primary with its key, controller_metadata, metadata and TTL; hits (from
// the data plane) keep it quiet; time_since_last_hit reads back.
func TestIdleTimeout(t *testing.T) {
	tgt := p4rt.NewMemoryTarget()
	h := newHarness(t, p4rt.ProfileBMv2, withTarget(tgt))
	h.load(fixtures.Get(t, "bmv2-digest"))
	s := h.arbitrate(eid(1))
	e := eid(1)
	var tb uint32
	for _, x := range h.inf.Tables {
		if x.IdleTimeout {
			tb = x.ID
		}
	}
	ttl := int64(60 * time.Millisecond)
	te := &p4v1.TableEntry{TableId: tb, Match: []*p4v1.FieldMatch{exact(1, 0xab)}, Action: act(h.inf.ActionByName("NoAction")),
		IdleTimeoutNs: ttl, ControllerMetadata: 3, Metadata: []byte("m")}
	h.mustWrite(e, update(p4v1.Update_INSERT, tableEntity(te)))
	n := s.next().GetIdleTimeoutNotification()
	want := &p4v1.TableEntry{TableId: tb, Match: te.Match, IdleTimeoutNs: ttl, ControllerMetadata: 3, Metadata: []byte("m")}
	if n == nil || len(n.TableEntry) != 1 || !proto.Equal(n.TableEntry[0], want) || n.Timestamp == 0 {
		t.Fatalf("idle notification %v, want %v", n, want)
	}
	// Keep hitting the entry: no notification.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
				tgt.Active().Events().Hit(tb, 1)
			}
		}
	}()
	s.quiet(200 * time.Millisecond)
	close(stop)
	<-done
	got := h.mustRead(tableEntity(&p4v1.TableEntry{TableId: tb, TimeSinceLastHit: &p4v1.TableEntry_IdleTimeout{}}))
	if len(got) != 1 || got[0].GetTableEntry().GetTimeSinceLastHit() == nil || got[0].GetTableEntry().GetTimeSinceLastHit().ElapsedNs > int64(time.Second) {
		t.Errorf("time_since_last_hit: %v", got)
	}
	if _, _, err := h.read(tableEntity(&p4v1.TableEntry{TableId: h.inf.Tables[0].ID + 0, TimeSinceLastHit: &p4v1.TableEntry_IdleTimeout{}, IsDefaultAction: true})); codeOf(err) != codes.InvalidArgument {
		t.Errorf("time_since_last_hit on a default entry: %v, want INVALID_ARGUMENT", err)
	}
}
