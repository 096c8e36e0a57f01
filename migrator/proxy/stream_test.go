package proxy_test

import (
	"bytes"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/bmv2/sim/port"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/p4/info"
)

// Packet I/O through the proxy (spec section 16.1 "PacketIn / PacketOut"),
// with source and target both carrying traffic: a packet-in from either
// device reaches the controller with its ingress port in the controller's
// numbering; one from a port the controller does not know (the trunk) is
// dropped; a packet-out leaves the device that owns its egress port.
func TestPacketIOThroughProxy(t *testing.T) {
	r := newRig(t, "onos-basic", rigOptions{profile: p4rt.ProfileBMv2,
		srcPorts: []sim.PortSpec{{Name: "eth1", ID: 1}, {Name: "eth2", ID: 2}, {Name: "eth3", ID: 3}},
		dstPorts: []sim.PortSpec{{Name: "eth11", ID: 11}, {Name: "eth12", ID: 12}, {Name: "eth13", ID: 13}, {Name: "trunk", ID: 19}}})
	c, s := r.controller(1)
	ctx := testCtx(t)
	if err := r.dev.AttachMirror(r.dstB, proxy.Ports{Map: simtest.ShiftedPorts(), Hosts: []uint64{2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.dev.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	in := r.src.Info
	t0 := in.TableByName(table0)
	toCPU := in.ActionByName("ingress.table0_control.send_to_cpu")
	punt := &p4v1.TableEntry{TableId: t0.ID, Priority: 20, Match: []*p4v1.FieldMatch{{FieldId: t0.FieldByName("hdr.ethernet.ether_type").ID,
		FieldMatchType: &p4v1.FieldMatch_Ternary_{Ternary: &p4v1.FieldMatch_Ternary{Value: []byte{0x88, 0xcc}, Mask: []byte{0xff, 0xff}}}}},
		Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: toCPU.ID}}}}
	if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: tableEntity(punt)}}); err != nil {
		t.Fatal(err)
	}
	// No host moved: the target may trail the source, and frames reach it
	// here before a host move (a barrier) would have drained it.
	r.drained()
	pin := in.PacketMetadataByName("packet_in")
	ingress := pin.Fields[0]
	expectIn := func(from *port.Host, wantPort byte) {
		t.Helper()
		lldp := simtest.Frame(0xe, wantPort, 0x88cc, "lldp from "+from.Name())
		if err := from.Send(lldp); err != nil {
			t.Fatal(err)
		}
		select {
		case pi := <-s.PacketIns():
			if !bytes.Equal(pi.Payload, lldp) {
				t.Fatalf("packet-in %x, want %x", pi.Payload, lldp)
			}
			for _, m := range pi.Metadata {
				if m.MetadataId == ingress.ID && !bytes.Equal(m.Value, []byte{wantPort}) {
					t.Fatalf("packet-in from %s: ingress port %x, want %d", from.Name(), m.Value, wantPort)
				}
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no packet-in from %s", from.Name())
		}
	}
	expectIn(simtest.Host(t, r.src, "eth3"), 3)
	expectIn(simtest.Host(t, r.dst, "eth13"), 3) // the target's 13 is the controller's 3
	trunk := simtest.Host(t, r.dst, "trunk")
	if err := trunk.Send(simtest.Frame(0xe, 9, 0x88cc, "from the trunk")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.dev.Stats().PacketInsDropped == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if st := r.dev.Stats(); st.PacketInsDropped != 1 || st.PacketIns != 2 {
		t.Fatalf("stats %+v: want 2 packet-ins passed, the trunk's dropped", st)
	}

	pout := in.PacketMetadataByName("packet_out")
	out := func(p byte) {
		t.Helper()
		po := &p4v1.PacketOut{Payload: simtest.Frame(9, 8, 0x0800, "to port"), Metadata: []*p4v1.PacketMetadata{
			{MetadataId: pout.Fields[0].ID, Value: []byte{p}}, {MetadataId: pout.Fields[1].ID, Value: []byte{0}}}}
		if err := s.SendPacketOut(po); err != nil {
			t.Fatal(err)
		}
	}
	expectFrame := func(h *port.Host) {
		t.Helper()
		got, err := h.RecvWithin(5 * time.Second)
		if err != nil || !bytes.Equal(got, simtest.Frame(9, 8, 0x0800, "to port")) {
			t.Fatalf("%s received %x, %v", h.Name(), got, err)
		}
	}
	src2, dst12 := simtest.Host(t, r.src, "eth2"), simtest.Host(t, r.dst, "eth12")
	out(2)
	expectFrame(src2)
	if err := r.dev.MoveHost(ctx, 2); err != nil { // the host on 2 moves (no trunk: nothing rewritten)
		t.Fatal(err)
	}
	out(2)
	expectFrame(dst12)
	if n := src2.Pending(); n != 0 {
		t.Fatalf("the source's port 2 got %d frames after the move", n)
	}
}

// Digests through the proxy (spec section 16.2): lists from both devices
// reach the controller under list ids of the proxy's own, ports in the
// controller's numbering; the controller's ack returns to the device that
// sent the list, which then reports the same data again.
func TestDigestsThroughProxy(t *testing.T) {
	rules := info.DefaultPortRules.Merge(info.PortRules{Names: []string{"L2_digest/ig_port"}})
	r := newRig(t, "bmv2-digest", rigOptions{profile: p4rt.ProfileBMv2, rules: &rules,
		srcPorts: []sim.PortSpec{{Name: "eth1", ID: 1}, {Name: "eth2", ID: 2}},
		dstPorts: []sim.PortSpec{{Name: "eth11", ID: 11}, {Name: "eth12", ID: 12}}})
	c, s := r.controller(1)
	ctx := testCtx(t)
	if err := r.dev.AttachMirror(r.dstB, proxy.Ports{Map: simtest.ShiftedPorts()}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.dev.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	d := r.src.Info.Digests[0]
	cfg := &p4v1.Entity{Entity: &p4v1.Entity_DigestEntry{DigestEntry: &p4v1.DigestEntry{DigestId: d.ID,
		Config: &p4v1.DigestEntry_Config{MaxTimeoutNs: 0, MaxListSize: 1, AckTimeoutNs: int64(time.Minute)}}}}
	if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: cfg}}); err != nil {
		t.Fatal(err)
	}
	r.drained() // frames reach the target before any host moved
	next := func(within time.Duration) *p4v1.DigestList {
		select {
		case l := <-s.Digests():
			return l
		case <-time.After(within):
			return nil
		}
	}
	// learn sends a frame from smac until a digest comes (the device may
	// not have had an ack yet), for at most 5s.
	learn := func(h *port.Host, smac byte, wantPort byte) *p4v1.DigestList {
		t.Helper()
		var l *p4v1.DigestList
		for i := 0; i < 50 && l == nil; i++ {
			if err := h.Send(simtest.Frame(1, smac, 0x0800, "learn me")); err != nil {
				t.Fatal(err)
			}
			l = next(100 * time.Millisecond)
		}
		if l == nil {
			t.Fatalf("no digest for %#x from %s", smac, h.Name())
		}
		if l.DigestId != d.ID || len(l.Data) != 1 {
			t.Fatalf("digest list %v", l)
		}
		m := l.Data[0].GetStruct().GetMembers()
		if !bytes.Equal(m[0].GetBitstring(), []byte{smac}) || !bytes.Equal(m[1].GetBitstring(), []byte{wantPort}) {
			t.Fatalf("digest from %s: %v, want smac %#x port %d", h.Name(), l.Data[0], smac, wantPort)
		}
		return l
	}
	srcH, dstH := simtest.Host(t, r.src, "eth2"), simtest.Host(t, r.dst, "eth12")
	l1 := learn(srcH, 0x42, 2)
	l2 := learn(dstH, 0x43, 2) // the target's 12 is the controller's 2
	if l1.ListId == l2.ListId {
		t.Fatalf("two devices' lists share list id %d", l1.ListId)
	}
	// Unacked, the same data is not reported again.
	if err := srcH.Send(simtest.Frame(1, 0x42, 0x0800, "again")); err != nil {
		t.Fatal(err)
	}
	if l := next(300 * time.Millisecond); l != nil {
		t.Fatalf("data reported again before its ack: %v", l)
	}
	for _, l := range []*p4v1.DigestList{l1, l2} {
		if err := s.AckDigest(l.DigestId, l.ListId); err != nil {
			t.Fatal(err)
		}
	}
	learn(srcH, 0x42, 2)
	learn(dstH, 0x43, 2)
}
