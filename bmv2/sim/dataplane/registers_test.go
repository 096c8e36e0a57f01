package dataplane

// Packet tests for the p4lang/tutorials programs that keep state in
// registers: the stateful firewall (a two-hash bloom filter written by
// outgoing SYNs and read by incoming packets) and the link monitor (probe
// packets carrying per-hop byte counts and timestamps in a header stack).

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/lime-p4/lime/bmv2/sim/dataplane/hashalg"
)

func tcpFrame(src, dst string, sport, dport uint16, flags byte) []byte {
	tcp := cat(be16(sport), be16(dport), be32(1), be32(0), []byte{0x50, flags}, be16(1024), be16(0), be16(0))
	return cat(hx("000000000001 000000000002 0800"), ipv4Header(hx(src), hx(dst), 6, 64, uint16(20+len(tcp))), tcp)
}

func TestFirewallBloomFilter(t *testing.T) {
	sw := New(loadFixture(t, "registers-firewall"), Options{})
	// Internal hosts on port 1 (10.0.1.0/24), external on port 3.
	must(t, sw.AddEntry("MyIngress.ipv4_lpm", Entry{Match: []FieldMatch{LPM(hx("0a000100"), 24)}, Action: Call("MyIngress.ipv4_forward", hx("000000000101"), hx("0001"))}))
	must(t, sw.AddEntry("MyIngress.ipv4_lpm", Entry{Match: []FieldMatch{LPM(hx("0a000300"), 24)}, Action: Call("MyIngress.ipv4_forward", hx("000000000303"), hx("0003"))}))
	must(t, sw.AddEntry("MyIngress.check_ports", Entry{Match: []FieldMatch{Exact(hx("0001")), Exact(hx("0003"))}, Action: Call("MyIngress.set_direction", hx("00"))}))
	must(t, sw.AddEntry("MyIngress.check_ports", Entry{Match: []FieldMatch{Exact(hx("0003")), Exact(hx("0001"))}, Action: Call("MyIngress.set_direction", hx("01"))}))

	const syn, ack = 0x02, 0x10
	// An incoming packet of an unknown flow is dropped.
	if r := sw.Process(3, tcpFrame("0a000303", "0a000101", 80, 5555, ack)); len(r.Outputs) != 0 {
		t.Fatalf("unsolicited incoming: %+v", r)
	}
	// The internal host opens the flow: the SYN goes out and marks the
	// bloom filter at crc16 and crc32 of (src, dst, sport, dport, proto)
	// modulo 4096 (the hash extern with base 0 and max 4096).
	o := one(t, sw.Process(1, tcpFrame("0a000101", "0a000303", 5555, 80, syn)))
	if o.Port != 3 || o.Frame[22] != 63 {
		t.Fatalf("outgoing SYN: port %d ttl %d", o.Port, o.Frame[22])
	}
	tuple := cat(hx("0a000101 0a000303"), be16(5555), be16(80), hx("06"))
	crc16, _ := hashalg.New("crc16")
	crc32, _ := hashalg.New("crc32")
	pos1, pos2 := crc16.Sum(tuple)%4096, crc32.Sum(tuple)%4096
	v1, err := sw.ReadRegister("MyIngress.bloom_filter_1", pos1)
	must(t, err)
	v2, _ := sw.ReadRegister("MyIngress.bloom_filter_2", pos2)
	if !bytes.Equal(v1, hx("01")) || !bytes.Equal(v2, hx("01")) {
		t.Fatalf("bloom filter cells %d=%x %d=%x, want 1 and 1", pos1, v1, pos2, v2)
	}
	all, _ := sw.ReadRegisters("MyIngress.bloom_filter_1")
	set := 0
	for _, v := range all {
		if v[0] != 0 {
			set++
		}
	}
	if set != 1 {
		t.Fatalf("%d cells set in bloom_filter_1, want 1", set)
	}
	// The reply now passes.
	if o := one(t, sw.Process(3, tcpFrame("0a000303", "0a000101", 80, 5555, ack))); o.Port != 1 {
		t.Fatalf("reply: port %d", o.Port)
	}
	// Resetting the registers forgets the flow.
	must(t, sw.ResetRegisters("MyIngress.bloom_filter_1"))
	if r := sw.Process(3, tcpFrame("0a000303", "0a000101", 80, 5555, ack)); len(r.Outputs) != 0 {
		t.Fatalf("after reset: %+v", r)
	}
	// The control plane may write cells (P4Runtime register writes); a
	// value wider than 1 bit is refused.
	must(t, sw.WriteRegister("MyIngress.bloom_filter_1", pos1, hx("01")))
	one(t, sw.Process(3, tcpFrame("0a000303", "0a000101", 80, 5555, ack)))
	mustErr(t, sw.WriteRegister("MyIngress.bloom_filter_1", 0, hx("02")), ErrInvalid)
	mustErr(t, sw.WriteRegister("MyIngress.bloom_filter_1", 4096, hx("01")), ErrNotFound)
}

// probeFrame is a link monitor probe: hop count, probe_data entries
// (already traversed hops) and the probe_fwd egress ports, one per hop.
func probeFrame(hops byte, data [][]byte, fwd ...byte) []byte {
	f := cat(hx("ffffffffffff 000000000001 0812"), []byte{hops})
	for _, d := range data {
		f = append(f, d...)
	}
	return append(f, fwd...)
}

// probeData builds an 18-byte probe_data header.
func probeData(bos bool, swid, port byte, byteCnt uint32, last, cur uint64) []byte {
	b := byte(swid & 0x7f)
	if bos {
		b |= 0x80
	}
	d := cat([]byte{b, port}, be32(byteCnt))
	t := make([]byte, 8)
	binary.BigEndian.PutUint64(t, last)
	d = append(d, t[2:]...)
	binary.BigEndian.PutUint64(t, cur)
	return append(d, t[2:]...)
}

func TestLinkMonitorProbes(t *testing.T) {
	clk := newFakeClock()
	sw := New(loadFixture(t, "registers-link_monitor"), Options{Now: clk.Now})
	must(t, sw.SetDefaultAction("MyEgress.swid", Call("MyEgress.set_swid", hx("05"))))
	must(t, sw.AddEntry("MyIngress.ipv4_lpm", Entry{Match: []FieldMatch{LPM(hx("0a000200"), 24)}, Action: Call("MyIngress.ipv4_forward", hx("000000000202"), hx("0002"))}))

	// First hop: hop_cnt 0, two probe_fwd ports (2 here, 4 next hop).
	clk.Advance(1000 * time.Microsecond)
	o := one(t, sw.Process(1, probeFrame(0, nil, 2, 4)))
	first := probeFrame(1, [][]byte{probeData(true, 5, 2, uint32(len(probeFrame(0, nil, 2, 4))), 0, 1000)}, 2, 4)
	if o.Port != 2 || !bytes.Equal(o.Frame, first) {
		t.Fatalf("first probe: port %d\n got %x\nwant %x", o.Port, o.Frame, first)
	}
	// Probes reset the byte count of their port; IPv4 traffic adds up.
	var sent uint32
	for i := 0; i < 3; i++ {
		in := cat(hx("000000000001 000000000009 0800"), ipv4Header(hx("0a000101"), hx("0a000205"), 17, 64, 28), make([]byte, 8))
		one(t, sw.Process(1, in))
		sent += uint32(len(in))
	}
	cnt, err := sw.ReadRegister("MyEgress.byte_cnt_reg", 2)
	must(t, err)
	if binary.BigEndian.Uint32(cnt) != sent {
		t.Fatalf("byte_cnt_reg[2] = %x, want %d", cnt, sent)
	}
	// Second hop on the same switch: the probe carries one probe_data
	// already; the new one goes in front (push_front), bos 0.
	clk.Advance(500 * time.Microsecond)
	in := probeFrame(1, [][]byte{probeData(true, 3, 7, 99, 11, 22)}, 2, 2)
	o = one(t, sw.Process(1, in))
	want := probeFrame(2, [][]byte{
		probeData(false, 5, 2, sent+uint32(len(in)), 1000, 1500),
		probeData(true, 3, 7, 99, 11, 22),
	}, 2, 2)
	if o.Port != 2 || !bytes.Equal(o.Frame, want) {
		t.Fatalf("second probe:\n got %x\nwant %x", o.Frame, want)
	}
	last, _ := sw.ReadRegister("MyEgress.last_time_reg", 2)
	if !bytes.Equal(last, hx("0000000005dc")) {
		t.Fatalf("last_time_reg[2] = %x, want 1500 in 6 bytes", last)
	}
}
