package dataplane

// Packet tests for the programs of behavioral-model's
// targets/simple_switch_grpc/tests/testdata: each reproduces what the
// corresponding gtest there (test_ternary.cpp, test_optional.cpp,
// test_grpc_dp.cpp, test_packet_io.cpp, test_counter.cpp, test_meter.cpp,
// test_digest.cpp, test_pre.cpp, test_action_profile.cpp, test_basic.cpp)
// requires of simple_switch, plus the forwarding the programs implement.

import (
	"bytes"
	"testing"
	"time"

	"github.com/lime-p4/lime/bmv2/sim/dataplane/hashalg"
)

// TestTernaryPriority: test_ternary.cpp PriorityOrder and PriorityZero.
// P4Runtime §9.1: among matching ternary entries the highest priority
// wins; a priority of 0 is invalid.
func TestTernaryPriority(t *testing.T) {
	sw := New(loadFixture(t, "bmv2-ternary"), Options{})
	pkt := hx("aabb")
	// No entry: the default NoAction leaves egress_spec at 0.
	if o := one(t, sw.Process(3, pkt)); o.Port != 0 || !bytes.Equal(o.Frame, pkt) {
		t.Fatalf("miss: got %+v", o)
	}
	must(t, sw.AddEntry("ingress.ter", Entry{Match: []FieldMatch{Ternary(hx("aabb"), hx("ffff"))}, Priority: 128, Action: Call("ingress.send_1")}))
	if o := one(t, sw.Process(3, pkt)); o.Port != 1 {
		t.Fatalf("low-priority entry: port %d, want 1", o.Port)
	}
	must(t, sw.AddEntry("ingress.ter", Entry{Match: []FieldMatch{Ternary(hx("aa0b"), hx("ff0f"))}, Priority: 333, Action: Call("ingress.send_2")}))
	if o := one(t, sw.Process(3, pkt)); o.Port != 2 {
		t.Fatalf("high-priority entry: port %d, want 2", o.Port)
	}
	// A packet matching only the first entry's wider... no: only the
	// second matches aa1b.
	if o := one(t, sw.Process(3, hx("aa1b"))); o.Port != 2 {
		t.Fatalf("aa1b: port %d, want 2", o.Port)
	}
	mustErr(t, sw.AddEntry("ingress.ter", Entry{Match: []FieldMatch{Ternary(hx("aabb"), hx("ffff"))}, Priority: 0, Action: Call("ingress.send_1")}), ErrInvalid)
	// Same match and priority again: ALREADY_EXISTS; another priority is
	// another entry.
	mustErr(t, sw.AddEntry("ingress.ter", Entry{Match: []FieldMatch{Ternary(hx("aabb"), hx("ffff"))}, Priority: 128, Action: Call("ingress.send_2")}), ErrExists)
	must(t, sw.AddEntry("ingress.ter", Entry{Match: []FieldMatch{Ternary(hx("aabb"), hx("ffff"))}, Priority: 500, Action: Call("NoAction")}))
	if o := one(t, sw.Process(3, pkt)); o.Port != 0 {
		t.Fatalf("priority 500 NoAction: port %d, want 0", o.Port)
	}
	// ReadEntry: the entry reads back as written (padded form).
	es, err := sw.GetEntry("ingress.ter", []FieldMatch{Ternary(hx("aabb"), hx("ffff"))}, 128)
	must(t, err)
	if es.Priority != 128 || es.Action.Call.Name != "ingress.send_1" || !bytes.Equal(es.Match[0].Value, hx("aabb")) || !bytes.Equal(es.Match[0].Mask, hx("ffff")) {
		t.Fatalf("read back %+v", es)
	}
	// Bits outside the mask are an error (P4Runtime §9.1.1).
	mustErr(t, sw.AddEntry("ingress.ter", Entry{Match: []FieldMatch{Ternary(hx("aabb"), hx("ff00"))}, Priority: 7, Action: Call("ingress.send_1")}), ErrInvalid)
}

// TestOptional: test_optional.cpp BothEntries. An optional field is a
// bmv2 ternary key: a value means an exact match, a wildcard matches
// anything; priorities order them.
func TestOptional(t *testing.T) {
	sw := New(loadFixture(t, "bmv2-optional"), Options{})
	must(t, sw.AddEntry("ingress.opt", Entry{Match: []FieldMatch{Wildcard()}, Priority: 128, Action: Call("ingress.send_1")}))
	must(t, sw.AddEntry("ingress.opt", Entry{Match: []FieldMatch{Optional(hx("aabb"))}, Priority: 333, Action: Call("ingress.send_2")}))
	for _, tc := range []struct {
		pkt  string
		port uint32
	}{{"aabb", 2}, {"aabc", 1}} {
		if o := one(t, sw.Process(3, hx(tc.pkt))); o.Port != tc.port {
			t.Errorf("%s: port %d, want %d", tc.pkt, o.Port, tc.port)
		}
	}
	must(t, sw.DeleteEntry("ingress.opt", []FieldMatch{Optional(hx("aabb"))}, 333))
	if o := one(t, sw.Process(3, hx("aabb"))); o.Port != 1 {
		t.Errorf("after delete: port %d, want 1 (wildcard)", o.Port)
	}
	es, err := sw.Entries("ingress.opt")
	must(t, err)
	if len(es) != 1 || !es[0].Match[0].Wildcard {
		t.Fatalf("entries %+v, want the wildcard one", es)
	}
}

// TestLoopback: test_grpc_dp.cpp SendAndReceive. The P4_14 loopback
// program sends every packet back out of its ingress port unchanged.
func TestLoopback(t *testing.T) {
	sw := New(loadFixture(t, "bmv2-loopback"), Options{})
	pkt := bytes.Repeat([]byte{0xab}, 10)
	for _, port := range []uint32{9, 1, 510} {
		o := one(t, sw.Process(port, pkt))
		if o.Port != port || !bytes.Equal(o.Frame, pkt) || o.InstanceType != InstanceNormal {
			t.Errorf("port %d: got %+v", port, o)
		}
	}
}

// TestPacketIO: test_packet_io.cpp. The program sends everything to CPU
// port 64; simple_switch_grpc turns such outputs into packet-ins.
func TestPacketIO(t *testing.T) {
	sw := New(loadFixture(t, "bmv2-packet_io"), Options{CPUPort: 64})
	payload := bytes.Repeat([]byte{0xab}, 10)
	o := one(t, sw.Process(64, payload)) // a packet-out enters on the CPU port
	if o.Port != 64 || !o.ToCPU || !bytes.Equal(o.Frame, payload) {
		t.Fatalf("got %+v, want the payload to the CPU port", o)
	}
	o = one(t, sw.Process(3, payload))
	if !o.ToCPU {
		t.Fatalf("data-port packet: got %+v", o)
	}
}

// TestDirectCounter: test_counter.cpp. Entries keyed on packet_length;
// the direct counter of the hit entry counts one packet and its bytes.
func TestDirectCounter(t *testing.T) {
	p := loadFixture(t, "bmv2-counter")
	ti := p.Table("t_redirect")
	if ti.DirectCounter == nil || ti.DirectCounter.Name != "cntr" {
		t.Fatalf("direct counter %+v, want cntr", ti.DirectCounter)
	}
	sw := New(p, Options{})
	must(t, sw.AddEntry("t_redirect", Entry{Match: []FieldMatch{Exact(be32(10))}, Action: Call("port_redirect")}))
	must(t, sw.AddEntry("t_redirect", Entry{Match: []FieldMatch{Exact(hx("05"))}, Action: Call("port_redirect")}))
	for _, n := range []int{10, 5} {
		pkt := bytes.Repeat([]byte{0xab}, n)
		o := one(t, sw.Process(1, pkt))
		if o.Port != 1 || !bytes.Equal(o.Frame, pkt) {
			t.Fatalf("%d bytes: got %+v", n, o)
		}
	}
	// 7 bytes: miss (NoAction), out of port 0, no counter change.
	one(t, sw.Process(1, make([]byte, 7)))
	for _, n := range []uint32{10, 5} {
		es, err := sw.GetEntry("t_redirect", []FieldMatch{Exact(be32(n))}, 0)
		must(t, err)
		if es.Counter != (CounterValue{Packets: 1, Bytes: uint64(n)}) {
			t.Errorf("entry %d: counter %+v, want 1 packet %d bytes", n, es.Counter, n)
		}
	}
	must(t, sw.WriteDirectCounter("t_redirect", []FieldMatch{Exact(be32(5))}, 0, CounterValue{Packets: 100, Bytes: 1000}))
	one(t, sw.Process(1, make([]byte, 5)))
	if c, err := sw.DirectCounter("t_redirect", []FieldMatch{Exact(be32(5))}, 0); err != nil || c != (CounterValue{Packets: 101, Bytes: 1005}) {
		t.Errorf("after write and a packet: %+v, %v", c, err)
	}
	// A value wider than the 32-bit key is refused.
	mustErr(t, sw.AddEntry("t_redirect", Entry{Match: []FieldMatch{Exact(hx("0100000000"))}, Action: Call("port_redirect")}), ErrInvalid)
	// A priority on an exact table is refused (bmv2: INVALID_ARGUMENT).
	mustErr(t, sw.AddEntry("t_redirect", Entry{Match: []FieldMatch{Exact(be32(3))}, Priority: 1, Action: Call("port_redirect")}), ErrInvalid)
}

// TestDirectMeter: test_meter.cpp ReadDefault, then bmv2's trTCM
// (meters.cpp) on a packets meter: with PIR 2/s burst 2 and CIR 1/s burst
// 1, three back-to-back packets are green, yellow, red; a second later
// the buckets are full again.
func TestDirectMeter(t *testing.T) {
	clk := newFakeClock()
	p := loadFixture(t, "bmv2-meter")
	if m := p.Table("ingress.t_redirect").DirectMeter; m == nil || m.Unit != MeterPackets {
		t.Fatalf("direct meter %+v", m)
	}
	sw := New(p, Options{Now: clk.Now})
	key := []FieldMatch{Exact(hx("0001"))}
	must(t, sw.AddEntry("ingress.t_redirect", Entry{Match: key, Action: Call("ingress.port_redirect")}))
	es, _ := sw.GetEntry("ingress.t_redirect", key, 0)
	if es.Meter != nil {
		t.Fatalf("default meter config %+v, want none", es.Meter)
	}
	// Unconfigured: everything green.
	for i := 0; i < 3; i++ {
		if o := one(t, sw.Process(1, nil)); o.Port != 1 {
			t.Fatalf("port %d", o.Port)
		}
	}
	es, _ = sw.GetEntry("ingress.t_redirect", key, 0)
	if es.MeterCounts.Green.Packets != 3 {
		t.Fatalf("counts %+v, want 3 green", es.MeterCounts)
	}
	must(t, sw.SetDirectMeter("ingress.t_redirect", key, 0, &MeterConfig{CIR: 1, CBurst: 1, PIR: 2, PBurst: 2}))
	clk.Advance(time.Second)
	for i := 0; i < 3; i++ {
		one(t, sw.Process(1, nil))
	}
	es, _ = sw.GetEntry("ingress.t_redirect", key, 0)
	want := MeterCounts{Green: CounterValue{Packets: 4}, Yellow: CounterValue{Packets: 1}, Red: CounterValue{Packets: 1}}
	if es.MeterCounts != want {
		t.Fatalf("counts %+v, want %+v", es.MeterCounts, want)
	}
	clk.Advance(time.Second)
	one(t, sw.Process(1, nil))
	es, _ = sw.GetEntry("ingress.t_redirect", key, 0)
	if es.MeterCounts.Green.Packets != 5 || *es.Meter != (MeterConfig{CIR: 1, CBurst: 1, PIR: 2, PBurst: 2}) {
		t.Fatalf("after refill: %+v %+v", es.MeterCounts, es.Meter)
	}
	mustErr(t, sw.SetDirectMeter("ingress.t_redirect", key, 0, &MeterConfig{CIR: 3, PIR: 2}), ErrInvalid)
	must(t, sw.SetDirectMeter("ingress.t_redirect", key, 0, nil))
	es, _ = sw.GetEntry("ingress.t_redirect", key, 0)
	if es.Meter != nil {
		t.Fatal("reset meter still configured")
	}
}

// TestDigest: test_digest.cpp. A miss on the smac table runs
// send_digest: one L2_digest with the source MAC and the ingress port;
// the packet goes back out of its port.
func TestDigest(t *testing.T) {
	p := loadFixture(t, "bmv2-digest")
	d := p.Digest("L2_digest")
	if d == nil || len(d.Fields) != 2 || d.Fields[0].Bitwidth != 48 || d.Fields[1].Bitwidth != 9 {
		t.Fatalf("digest info %+v", d)
	}
	var hits []uint64
	sw := New(p, Options{OnHit: func(ti *TableInfo, cookie uint64) {
		if ti.Name != "ingress.smac" {
			t.Errorf("hit on %s", ti.Name)
		}
		hits = append(hits, cookie)
	}})
	smac := hx("112233445566")
	pkt := cat(bytes.Repeat([]byte{1}, 6), smac, hx("abab"))
	r := sw.Process(7, pkt)
	o := one(t, r)
	if o.Port != 7 || !bytes.Equal(o.Frame, pkt) {
		t.Fatalf("output %+v", o)
	}
	if len(r.Digests) != 1 || r.Digests[0].Name != "L2_digest" || !bytes.Equal(r.Digests[0].Values[0], smac) || !bytes.Equal(r.Digests[0].Values[1], hx("0007")) {
		t.Fatalf("digests %+v", r.Digests)
	}
	// Learnt: a hit runs NoAction, no digest.
	must(t, sw.AddEntry("ingress.smac", Entry{Match: []FieldMatch{Exact(smac)}, Action: Call("NoAction"), Cookie: 42}))
	if r := sw.Process(7, pkt); len(r.Digests) != 0 {
		t.Fatalf("hit still digests: %+v", r.Digests)
	}
	// smac supports timeouts: the hit is reported with the entry's cookie
	// (the P4Runtime layer's idle-timeout hook), and LastHit moves.
	if len(hits) != 1 || hits[0] != 42 {
		t.Fatalf("hits %v, want [42]", hits)
	}
	es, err := sw.GetEntry("ingress.smac", []FieldMatch{Exact(smac)}, 0)
	must(t, err)
	if es.Cookie != 42 || es.LastHit.IsZero() {
		t.Fatalf("entry %+v", es)
	}
}

// TestMulticast: test_pre.cpp 2Rids3Ports. mcast_grp is the first two
// bytes; each replica carries its rid in them (egress writes egress_rid).
func TestMulticast(t *testing.T) {
	sw := New(loadFixture(t, "bmv2-multicast"), Options{})
	type rep struct{ port, rid uint32 }
	got := func(r *Result) map[rep]bool {
		m := map[rep]bool{}
		for _, o := range r.Outputs {
			if o.InstanceType != InstanceReplication {
				t.Errorf("instance type %d, want replication", o.InstanceType)
			}
			m[rep{o.Port, uint32(o.Frame[0])<<8 | uint32(o.Frame[1])}] = true
		}
		return m
	}
	group := []Replica{{Port: 1, Instance: 1}, {Port: 2, Instance: 2}}
	must(t, sw.SetMulticastGroup(10, group, false))
	if g := got(sw.Process(1, hx("000a"))); len(g) != 2 || !g[rep{1, 1}] || !g[rep{2, 2}] {
		t.Fatalf("2 replicas: %v", g)
	}
	group = append(group, Replica{Port: 3, Instance: 1})
	must(t, sw.SetMulticastGroup(10, group, true))
	if g := got(sw.Process(1, hx("000a"))); len(g) != 3 || !g[rep{3, 1}] {
		t.Fatalf("3 replicas: %v", g)
	}
	must(t, sw.SetMulticastGroup(10, group[:2], true))
	if g := got(sw.Process(1, hx("000a"))); len(g) != 2 {
		t.Fatalf("back to 2: %v", g)
	}
	must(t, sw.DeleteMulticastGroup(10))
	r := sw.Process(1, hx("000a"))
	if len(r.Outputs) != 0 || len(r.Drops) != 1 || r.Drops[0].Reason != DropNoReplicas {
		t.Fatalf("deleted group: %+v", r)
	}
	// Options.MaxEgress bounds the copies of one frame.
	small := New(loadFixture(t, "bmv2-multicast"), Options{MaxEgress: 3})
	must(t, small.SetMulticastGroup(10, []Replica{{1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}}, false))
	r = small.Process(1, hx("000a"))
	if len(r.Outputs) != 3 || len(r.Drops) != 2 || r.Drops[0].Reason != DropEgressLimit || r.Drops[0].Port != 4 {
		t.Fatalf("limited multicast: %+v", r)
	}
	mustErr(t, sw.SetMulticastGroup(0, group, false), ErrInvalid)
	mustErr(t, sw.SetMulticastGroup(11, []Replica{{1, 1}, {1, 1}}, false), ErrInvalid)
	mustErr(t, sw.SetMulticastGroup(12, group, true), ErrNotFound)
}

// TestClone: test_pre.cpp SingletonAndMulticast. Ingress clones the
// packet to session f1 and sends it back out of its port; egress writes
// egress_rid into f1.
func TestClone(t *testing.T) {
	sw := New(loadFixture(t, "bmv2-clone"), Options{})
	type rep struct {
		port, rid uint32
		inst      int
	}
	got := func(r *Result) map[rep]bool {
		m := map[rep]bool{}
		for _, o := range r.Outputs {
			m[rep{o.Port, uint32(o.Frame[0])<<8 | uint32(o.Frame[1]), o.InstanceType}] = true
		}
		return m
	}
	must(t, sw.SetCloneSession(10, CloneSession{Replicas: []Replica{{Port: 2, Instance: 1}}}, false))
	g := got(sw.Process(1, hx("000a")))
	if len(g) != 2 || !g[rep{1, 0, InstanceNormal}] || !g[rep{2, 1, InstanceIngressClone}] {
		t.Fatalf("singleton session: %v", g)
	}
	must(t, sw.SetCloneSession(10, CloneSession{Replicas: []Replica{{Port: 2, Instance: 1}, {Port: 3, Instance: 2}}}, true))
	g = got(sw.Process(1, hx("000a")))
	if len(g) != 3 || !g[rep{3, 2, InstanceIngressClone}] {
		t.Fatalf("two-replica session: %v", g)
	}
	must(t, sw.DeleteCloneSession(10))
	r := sw.Process(1, hx("000a"))
	if g := got(r); len(g) != 1 || !g[rep{1, 0, InstanceNormal}] {
		t.Fatalf("deleted session: %v", g)
	}
	if len(r.Drops) != 1 || r.Drops[0].Reason != DropNoCloneSession {
		t.Fatalf("drops %+v, want the missing session noted", r.Drops)
	}
	// Truncation of clones (P4Runtime packet_length_bytes).
	must(t, sw.SetCloneSession(5, CloneSession{Replicas: []Replica{{Port: 4, Instance: 9}}, PacketLength: 1}, false))
	r = sw.Process(1, hx("0005aabbcc"))
	for _, o := range r.Outputs {
		if o.InstanceType == InstanceIngressClone && !bytes.Equal(o.Frame, hx("00")) {
			t.Errorf("truncated clone %x, want 00", o.Frame)
		}
		if o.InstanceType == InstanceNormal && !bytes.Equal(o.Frame, hx("0000aabbcc")) {
			t.Errorf("original %x", o.Frame)
		}
	}
}

// TestActionSelector: test_action_profile.cpp DeleteGroupWithMembers and
// WatchPort, and member choice as bmv2 makes it: crc16 of the selector
// input (the 32-bit entropy field) modulo the number of bmv2 members in
// the group, in handle order (PI makes w bmv2 members for a weight w;
// bmv2 hands out the lowest free handle).
func TestActionSelector(t *testing.T) {
	p := loadFixture(t, "bmv2-action_profile")
	ap := p.ActionProfile("ActProfWS")
	if ap == nil || !ap.Selector || ap.SelectorAlgo != "crc16" {
		t.Fatalf("profile %+v", ap)
	}
	sw := New(p, Options{})
	const prof, table = "ActProfWS", "IndirectWS"
	port := func(v uint32) []byte { return be16(uint16(v)) }
	// DeleteGroupWithMembers.
	must(t, sw.AddMember(prof, 1, ActionCall{Name: "send", Params: [][]byte{port(1)}}))
	must(t, sw.AddMember(prof, 2, ActionCall{Name: "send", Params: [][]byte{port(2)}}))
	must(t, sw.AddGroup(prof, 1, []GroupMember{{ID: 1, Weight: 1}, {ID: 2, Weight: 1}}))
	mustErr(t, sw.DeleteMember(prof, 1), ErrInUse)
	must(t, sw.DeleteGroup(prof, 1))
	must(t, sw.DeleteMember(prof, 1))
	must(t, sw.DeleteMember(prof, 2))
	must(t, sw.AddMember(prof, 1, ActionCall{Name: "send", Params: [][]byte{port(1)}}))
	must(t, sw.AddGroup(prof, 1, []GroupMember{{ID: 1, Weight: 1}}))
	key := []FieldMatch{Exact(hx("ab"))}
	must(t, sw.AddEntry(table, Entry{Match: key, Action: Group(1)}))
	for i := 0; i < 32; i++ {
		if o := one(t, sw.Process(99, []byte{0xab, 1, 2, 3, byte(i)})); o.Port != 1 {
			t.Fatalf("one-member group sent to %d", o.Port)
		}
	}
	mustErr(t, sw.DeleteGroup(prof, 1), ErrInUse)

	// Member choice with weights 1 and 3: member 1 has handle 0, member
	// 2 handles 1, 2 and 3.
	must(t, sw.AddMember(prof, 2, ActionCall{Name: "send", Params: [][]byte{port(2)}}))
	must(t, sw.ModifyGroup(prof, 1, []GroupMember{{ID: 2, Weight: 3}, {ID: 1, Weight: 1}}))
	crc, _ := hashalg.New("crc16")
	seen := map[uint32]int{}
	for i := 0; i < 64; i++ {
		entropy := []byte{1, 2, 3, byte(i)}
		want := uint32(2)
		if crc.Sum(entropy)%4 < 1 {
			want = 1
		}
		o := one(t, sw.Process(99, cat([]byte{0xab}, entropy)))
		if o.Port != want {
			t.Fatalf("entropy %x: port %d, want %d", entropy, o.Port, want)
		}
		seen[o.Port]++
	}
	if seen[1] == 0 || seen[2] == 0 {
		t.Fatalf("selection never used both members: %v", seen)
	}

	// WatchPort: a member whose port is down leaves the selection.
	wp1, wp2 := uint32(1), uint32(2)
	must(t, sw.ModifyGroup(prof, 1, []GroupMember{{ID: 1, Weight: 1, WatchPort: &wp1}, {ID: 2, Weight: 1, WatchPort: &wp2}}))
	entropy := []byte{0xab, 1, 2, 3, 4}
	first := one(t, sw.Process(99, entropy)).Port
	sw.SetPortStatus(first, false)
	if o := one(t, sw.Process(99, entropy)); o.Port == first {
		t.Fatalf("member on down port %d still chosen", first)
	}
	sw.SetPortStatus(first, true)
	if o := one(t, sw.Process(99, entropy)); o.Port != first {
		t.Fatalf("port back up: %d, want %d", o.Port, first)
	}
	// Entries refer to members or groups, never to actions directly.
	mustErr(t, sw.AddEntry(table, Entry{Match: []FieldMatch{Exact(hx("01"))}, Action: Call("send", port(1))}), ErrInvalid)
	mustErr(t, sw.AddEntry(table, Entry{Match: []FieldMatch{Exact(hx("02"))}, Action: Member(77)}), ErrNotFound)
	must(t, sw.AddEntry(table, Entry{Match: []FieldMatch{Exact(hx("03"))}, Action: Member(2)}))
	if o := one(t, sw.Process(99, []byte{3, 0, 0, 0, 0})); o.Port != 2 {
		t.Fatalf("member entry: port %d", o.Port)
	}
	mustErr(t, sw.DeleteMember(prof, 2), ErrInUse)
	must(t, sw.DeleteEntry(table, []FieldMatch{Exact(hx("03"))}, 0))
	// Handle reuse: with members 1 (handle 0), 2 (1) and 3 (2), deleting
	// member 1 frees handle 0, which member 4 then takes: the group
	// {2, 3, 4} selects in the order 4, 2, 3.
	must(t, sw.DeleteEntry(table, key, 0))
	must(t, sw.DeleteGroup(prof, 1))
	must(t, sw.AddMember(prof, 3, ActionCall{Name: "send", Params: [][]byte{port(3)}}))
	must(t, sw.DeleteMember(prof, 1))
	must(t, sw.AddMember(prof, 4, ActionCall{Name: "send", Params: [][]byte{port(4)}}))
	must(t, sw.AddGroup(prof, 1, []GroupMember{{ID: 2, Weight: 1}, {ID: 3, Weight: 1}, {ID: 4, Weight: 1}}))
	must(t, sw.AddEntry(table, Entry{Match: key, Action: Group(1)}))
	for i := 0; i < 32; i++ {
		entropy := []byte{9, 8, 7, byte(i)}
		want := []uint32{4, 2, 3}[crc.Sum(entropy)%3]
		if o := one(t, sw.Process(99, cat([]byte{0xab}, entropy))); o.Port != want {
			t.Fatalf("after handle reuse, entropy %x: port %d, want %d", entropy, o.Port, want)
		}
	}
	// Miss with no default: nothing runs, egress_spec stays 0.
	if o := one(t, sw.Process(99, []byte{9, 0, 0, 0, 0})); o.Port != 0 {
		t.Fatalf("miss: port %d", o.Port)
	}
}

// TestSimpleRouter: test_basic.cpp (entries and default entry read back)
// and the routing simple_router.p4 does: LPM on the destination, next
// hop MAC, source MAC by egress port, TTL decrement and a recomputed
// IPv4 checksum.
func TestSimpleRouter(t *testing.T) {
	sw := New(loadFixture(t, "bmv2-simple_router"), Options{})
	def, err := sw.DefaultAction("ipv4_lpm")
	must(t, err)
	if def == nil || def.Call.Name != "NoAction" {
		t.Fatalf("default %+v, want NoAction", def)
	}
	route := func(prefix string, plen int, nhop string, port uint16) {
		must(t, sw.AddEntry("ipv4_lpm", Entry{Match: []FieldMatch{LPM(hx(prefix), plen)},
			Action: Call("set_nhop", hx(nhop), be16(port))}))
	}
	route("0a000000", 8, "0a000001", 1)
	route("0a000000", 16, "0a000002", 2)
	route("0a000100", 24, "0a000003", 3)
	for i, nh := range []string{"0a000001", "0a000002", "0a000003"} {
		must(t, sw.AddEntry("forward", Entry{Match: []FieldMatch{Exact(hx(nh))}, Action: Call("set_dmac", hx("00000000000"+string(rune('1'+i))))}))
	}
	for port := 1; port <= 3; port++ {
		must(t, sw.AddEntry("send_frame", Entry{Match: []FieldMatch{Exact(be16(uint16(port)))}, Action: Call("rewrite_mac", hx("0000000000a"+string(rune('0'+port))))}))
	}
	frame := func(dst string, ttl byte) []byte {
		payload := hx("deadbeef")
		return cat(hx("ffffffffffff 112233445566 0800"), ipv4Header(hx("c0a80001"), hx(dst), 17, ttl, 24), payload)
	}
	for _, tc := range []struct {
		dst  string
		port uint32
	}{{"0a010101", 1}, {"0a000505", 2}, {"0a000107", 3}} {
		in := frame(tc.dst, 64)
		o := one(t, sw.Process(5, in))
		if o.Port != tc.port {
			t.Fatalf("%s: port %d, want %d", tc.dst, o.Port, tc.port)
		}
		want := frame(tc.dst, 63)
		copy(want[0:6], hx("00000000000"+string(rune('0'+tc.port))))
		copy(want[6:12], hx("0000000000a"+string(rune('0'+tc.port))))
		if !bytes.Equal(o.Frame, want) {
			t.Fatalf("%s:\n got %x\nwant %x", tc.dst, o.Frame, want)
		}
	}
	// No route: the default NoAction leaves egress_spec 0; forward misses
	// too; the packet leaves port 0 with TTL untouched (bmv2 behaviour).
	if o := one(t, sw.Process(5, frame("0b000001", 64))); o.Port != 0 {
		t.Fatalf("no route: port %d", o.Port)
	}
	// Default action _drop: dropped at the end of ingress.
	must(t, sw.SetDefaultAction("ipv4_lpm", Call("_drop")))
	r := sw.Process(5, frame("0b000001", 64))
	if len(r.Outputs) != 0 || len(r.Drops) != 1 || r.Drops[0].Reason != DropIngress {
		t.Fatalf("drop default: %+v", r)
	}
	must(t, sw.ResetDefaultAction("ipv4_lpm"))
	// Entries read back as written; delete removes.
	key := []FieldMatch{LPM(hx("0a000000"), 16)}
	es, err := sw.GetEntry("ipv4_lpm", key, 0)
	must(t, err)
	if es.Match[0].PrefixLen != 16 || !bytes.Equal(es.Action.Call.Params[1], hx("0002")) {
		t.Fatalf("read back %+v", es)
	}
	must(t, sw.DeleteEntry("ipv4_lpm", key, 0))
	if o := one(t, sw.Process(5, frame("0a000505", 64))); o.Port != 1 {
		t.Fatalf("after deleting /16: port %d, want the /8's 1", o.Port)
	}
	_, err = sw.GetEntry("ipv4_lpm", key, 0)
	mustErr(t, err, ErrNotFound)
	// Bits beyond the prefix are refused.
	mustErr(t, sw.AddEntry("ipv4_lpm", Entry{Match: []FieldMatch{LPM(hx("0a000001"), 24)}, Action: Call("NoAction")}), ErrInvalid)
	// A short packet: the parser stops with PacketTooShort, ipv4 is
	// invalid, the packet still goes through (egress_spec 0).
	r = sw.Process(5, hx("ffffffffffff1122334455660800 45"))
	if r.ParserError != "PacketTooShort" {
		t.Fatalf("parser error %q", r.ParserError)
	}
}
