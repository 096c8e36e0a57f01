package dataplane

// Parse and lookup tests for ONOS's fabric.p4 (onos-fabric): an IPv4
// packet parsed into ethernet / eth_type / ipv4 / udp, filtered by
// ingress_port_vlan (validity and ternary VLAN keys), classified by
// fwd_classifier, routed by routing_v4 (LPM), sent by the hashed action
// selector with MAC rewrite, TTL decremented and the checksum updated in
// egress; punt and clone to the CPU with the packet_in header and the
// clone3 field list keeping the ingress port.

import (
	"bytes"
	"encoding/binary"
	"testing"
)

const (
	fabVlan    = "FabricIngress.filtering.ingress_port_vlan"
	fabFwd     = "FabricIngress.filtering.fwd_classifier"
	fabRouting = "FabricIngress.forwarding.routing_v4"
	fabHashed  = "FabricIngress.next.hashed"
	fabSel     = "FabricIngress.next.hashed_selector"
	fabACL     = "FabricIngress.acl.acl"
	fabEgVlan  = "FabricEgress.egress_next.egress_vlan"
	fabCPU     = 255
)

func fabricSwitch(t testing.TB) *Switch {
	fx := loadFixture(t, "onos-fabric")
	sw := New(fx, Options{CPUPort: fabCPU})
	routerMAC := hx("00aabbccddee")
	// Port 1, untagged: internal VLAN 100, edge port.
	must(t, sw.AddEntry(fabVlan, Entry{Match: []FieldMatch{Exact(hx("0001")), Exact(hx("00")), Wildcard()}, Priority: 10,
		Action: Call("FabricIngress.filtering.permit_with_internal_vlan", hx("0064"), hx("01"))}))
	// To the router MAC with IPv4: FWD_IPV4_UNICAST (2).
	must(t, sw.AddEntry(fabFwd, Entry{Match: []FieldMatch{Exact(hx("0001")), Ternary(routerMAC, hx("ffffffffffff")), Wildcard(), Exact(hx("0800"))}, Priority: 10,
		Action: Call("FabricIngress.filtering.set_forwarding_type", hx("02"))}))
	must(t, sw.AddEntry(fabRouting, Entry{Match: []FieldMatch{LPM(hx("0a010000"), 16)}, Action: Call("FabricIngress.forwarding.set_next_id_routing_v4", be32(7))}))
	must(t, sw.AddMember(fabSel, 1, ActionCall{Name: "FabricIngress.next.routing_hashed", Params: [][]byte{hx("0002"), routerMAC, hx("000000000222")}}))
	must(t, sw.AddGroup(fabSel, 7, []GroupMember{{ID: 1, Weight: 1}}))
	must(t, sw.AddEntry(fabHashed, Entry{Match: []FieldMatch{Exact(be32(7))}, Action: Group(7)}))
	// Egress: VLAN 100 leaves port 2 untagged.
	must(t, sw.AddEntry(fabEgVlan, Entry{Match: []FieldMatch{Exact(hx("0064")), Exact(hx("0002"))}, Action: Call("FabricEgress.egress_next.pop_vlan")}))
	return sw
}

func fabricFrame(dstMAC, dstIP string, ttl byte) []byte {
	udp := cat(be16(5000), be16(53), be16(12), be16(0), hx("cafe0001"))
	return cat(hx(dstMAC), hx("000000000111"), hx("0800"), ipv4Header(hx("0a000001"), hx(dstIP), 17, ttl, uint16(20+len(udp))), udp)
}

func TestONOSFabricRouting(t *testing.T) {
	sw := fabricSwitch(t)
	in := fabricFrame("00aabbccddee", "0a010203", 64)
	o := one(t, sw.Process(1, in))
	want := fabricFrame("000000000222", "0a010203", 63)
	copy(want[6:12], hx("00aabbccddee"))
	if o.Port != 2 || !bytes.Equal(o.Frame, want) {
		t.Fatalf("routed: port %d\n got %x\nwant %x", o.Port, o.Frame, want)
	}
	if ipChecksum(o.Frame[14:34]) != 0 {
		t.Fatalf("IPv4 checksum of the output is wrong: %x", o.Frame[14:34])
	}
	es, err := sw.GetEntry(fabVlan, []FieldMatch{Exact(hx("0001")), Exact(hx("00")), Wildcard()}, 10)
	must(t, err)
	if es.Counter.Packets != 1 {
		t.Fatalf("ingress_port_vlan counter %+v", es.Counter)
	}

	// TTL 1: decremented to 0 in egress and dropped there.
	r := sw.Process(1, fabricFrame("00aabbccddee", "0a010203", 1))
	if len(r.Outputs) != 0 || len(r.Drops) != 1 || r.Drops[0].Reason != DropEgress || r.Drops[0].Port != 2 {
		t.Fatalf("ttl 1: %+v", r)
	}
	// An unconfigured port: ingress_port_vlan's const default denies, no
	// forwarding, and egress_vlan's const default drops.
	r = sw.Process(3, in)
	if len(r.Outputs) != 0 || len(r.Drops) != 1 {
		t.Fatalf("port 3: %+v", r)
	}
	// A tagged packet on port 1 is not permitted either (vlan_is_valid).
	tagged := cat(in[:12], hx("8100 0064"), in[12:])
	if r := sw.Process(1, tagged); len(r.Outputs) != 0 {
		t.Fatalf("tagged: %+v", r)
	}
	// No route: routing_v4's default nop; next does nothing; egress_spec
	// stays 0, and egress_vlan has no (VLAN 100, port 0) entry: dropped.
	if r := sw.Process(1, fabricFrame("00aabbccddee", "0b000001", 64)); len(r.Outputs) != 0 {
		t.Fatalf("no route: %+v", r)
	}
}

func TestONOSFabricPuntAndClone(t *testing.T) {
	sw := fabricSwitch(t)
	acl := func(dstIP string) []FieldMatch {
		m := make([]FieldMatch, 13)
		for i := range m {
			m[i] = Wildcard()
		}
		m[6] = Ternary(hx(dstIP), hx("ffffffff"))
		return m
	}
	// Punt: the packet goes to the CPU port with packet_in{ingress_port}.
	must(t, sw.AddEntry(fabACL, Entry{Match: acl("0a010203"), Priority: 5, Action: Call("FabricIngress.acl.punt_to_cpu")}))
	in := fabricFrame("00aabbccddee", "0a010203", 64)
	o := one(t, sw.Process(1, in))
	if o.Port != fabCPU || !o.ToCPU || !bytes.Equal(o.Frame[:2], hx("0080")) || !bytes.Equal(o.Frame[2:14], in[:12]) {
		t.Fatalf("punt: %+v", o)
	}
	// Clone to the CPU (clone3 with a field list keeping ingress_port):
	// the original is routed, the clone reaches the CPU with the port in
	// packet_in even though clones have their metadata reset.
	must(t, sw.SetCloneSession(100, CloneSession{Replicas: []Replica{{Port: fabCPU}}}, false))
	must(t, sw.AddEntry(fabACL, Entry{Match: acl("0a010204"), Priority: 5, Action: Call("FabricIngress.acl.set_clone_session_id", be32(100))}))
	r := sw.Process(1, fabricFrame("00aabbccddee", "0a010204", 64))
	if len(r.Outputs) != 2 {
		t.Fatalf("clone: %+v", r)
	}
	var gotCPU, gotRouted bool
	for _, o := range r.Outputs {
		switch {
		case o.Port == fabCPU && o.InstanceType == InstanceIngressClone:
			gotCPU = true
			if binary.BigEndian.Uint16(o.Frame[:2])>>7 != 1 {
				t.Errorf("clone's packet_in ingress_port %x, want 1", o.Frame[:2])
			}
		case o.Port == 2 && o.InstanceType == InstanceNormal:
			gotRouted = true
		}
	}
	if !gotCPU || !gotRouted {
		t.Fatalf("outputs %+v", r.Outputs)
	}
}
