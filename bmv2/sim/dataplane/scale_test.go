package dataplane

// Tests for the larger fixtures: scale-bigtable's million-entry tables
// with many entries installed, tutorials-basic routing, and a smoke run
// of every shared program over assorted frames.

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/lime-p4/lime/internal/fixtures"
)

// TestBigtable installs 20,000 exact, 20,000 LPM and 2,000 ternary entries
// and checks lookups against a reference model, the per-destination
// register increments and the per-port indirect counter.
func TestBigtable(t *testing.T) {
	p := loadFixture(t, "scale-bigtable")
	if p.Table("I.l2").MaxSize != 1<<20 || p.Table("I.acl").MaxSize != 65536 {
		t.Fatalf("sizes %d %d", p.Table("I.l2").MaxSize, p.Table("I.acl").MaxSize)
	}
	sw := New(p, Options{})
	rng := rand.New(rand.NewPCG(1, 2))
	macs := map[uint64]uint16{}
	for len(macs) < 20000 {
		mac := rng.Uint64() & (1<<48 - 1)
		port := uint16(1 + rng.IntN(500))
		if _, dup := macs[mac]; dup {
			continue
		}
		macs[mac] = port
		must(t, sw.AddEntry("I.l2", Entry{Match: []FieldMatch{Exact(u64Bytes(mac, 6))}, Action: Call("I.fwd", be16(port))}))
	}
	// Routes: /8, /16 and /24 prefixes under 10/8; the reference finds
	// the longest.
	type route struct {
		prefix uint32
		plen   int
		port   uint16
	}
	var routes []route
	seen := map[[2]uint32]bool{}
	for len(routes) < 20000 {
		plen := []int{8, 16, 24}[rng.IntN(3)]
		pfx := (0x0a000000 | rng.Uint32()&0x00ffffff) &^ (1<<(32-plen) - 1)
		if seen[[2]uint32{pfx, uint32(plen)}] {
			continue
		}
		seen[[2]uint32{pfx, uint32(plen)}] = true
		r := route{pfx, plen, uint16(1 + rng.IntN(500))}
		routes = append(routes, r)
		must(t, sw.AddEntry("I.l3", Entry{Match: []FieldMatch{LPM(be32(pfx), plen)}, Action: Call("I.fwd", be16(r.port))}))
	}
	// ACL: drop some sources by /32 with priorities; the reference takes
	// the highest priority.
	type acl struct {
		src  uint32
		prio int32
		drop bool
	}
	acls := map[uint32]acl{}
	for i := 0; i < 2000; i++ {
		a := acl{0xc0a80000 | uint32(i), int32(1 + rng.IntN(1000)), i%2 == 0}
		acls[a.src] = a
		act := Call("NoAction")
		if a.drop {
			act = Call("I.drop")
		}
		must(t, sw.AddEntry("I.acl", Entry{Match: []FieldMatch{Ternary(be32(a.src), hx("ffffffff")), Wildcard()}, Priority: a.prio, Action: act}))
	}
	lookupRoute := func(dst uint32) (uint16, bool) {
		best := -1
		var port uint16
		for _, r := range routes {
			if r.plen > best && dst&^(1<<(32-r.plen)-1) == r.prefix {
				best, port = r.plen, r.port
			}
		}
		return port, best >= 0
	}
	l2 := func(mac uint64) []byte { return cat(u64Bytes(mac, 6), hx("000000000001 0000")) }
	n := 0
	for mac, port := range macs {
		if n++; n > 500 {
			break
		}
		if o := one(t, sw.Process(3, l2(mac))); o.Port != uint32(port) {
			t.Fatalf("l2 %012x: port %d, want %d", mac, o.Port, port)
		}
	}
	ipFrame := func(src, dst uint32) []byte {
		return cat(hx("000000000001 000000000002 0800"), ipv4Header(be32(src), be32(dst), 17, 64, 20))
	}
	for i := 0; i < 500; i++ {
		dst := 0x0a000000 | rng.Uint32()&0x00ffffff
		src := uint32(0x0b000001)
		if i%4 == 0 {
			src = 0xc0a80000 | uint32(rng.IntN(2000))
		}
		r := sw.Process(uint32(1+i%8), ipFrame(src, dst))
		// I.l3's default action is I.drop; an ACL hit may drop too.
		port, routed := lookupRoute(dst)
		dropped := acls[src].drop || !routed
		if dropped {
			if len(r.Outputs) != 0 {
				t.Fatalf("src %08x dst %08x: forwarded %+v, want a drop", src, dst, r.Outputs)
			}
			continue
		}
		if o := one(t, r); o.Port != uint32(port) {
			t.Fatalf("dst %08x: port %d, want %d", dst, o.Port, port)
		}
	}
	// flow_reg[dst & 0xffff] counts IPv4 packets by destination.
	for i := 0; i < 3; i++ {
		sw.Process(1, ipFrame(0x0b000001, 0x0a00beef))
	}
	v, err := sw.ReadRegister("I.flow_reg", 0xbeef)
	must(t, err)
	if binary.BigEndian.Uint32(v) < 3 {
		t.Fatalf("flow_reg[0xbeef] = %x, want at least 3", v)
	}
	c, err := sw.ReadCounter("I.port_ctr", 3)
	must(t, err)
	if c.Packets == 0 {
		t.Fatalf("port_ctr[3] = %+v", c)
	}
	es, err := sw.Entries("I.acl")
	must(t, err)
	if len(es) != 2000 {
		t.Fatalf("%d acl entries", len(es))
	}
	for _, r := range routes[:5000] {
		must(t, sw.DeleteEntry("I.l3", []FieldMatch{LPM(be32(r.prefix), r.plen)}, 0))
	}
	routes = routes[5000:]
	for i := 0; i < 200; i++ {
		dst := 0x0a000000 | rng.Uint32()&0x00ffffff
		r := sw.Process(2, ipFrame(0x0b000001, dst))
		if port, ok := lookupRoute(dst); ok {
			if o := one(t, r); o.Port != uint32(port) {
				t.Fatalf("after deletes, dst %08x: port %d, want %d", dst, o.Port, port)
			}
		} else if len(r.Outputs) != 0 {
			t.Fatalf("after deletes, dst %08x forwarded", dst)
		}
	}
}

// TestTutorialsBasic: the p4lang/tutorials basic exercise routes by LPM,
// rewrites MACs, decrements the TTL and updates the checksum.
func TestTutorialsBasic(t *testing.T) {
	sw := New(loadFixture(t, "tutorials-basic"), Options{})
	must(t, sw.AddEntry("MyIngress.ipv4_lpm", Entry{Match: []FieldMatch{LPM(hx("0a000101"), 32)}, Action: Call("MyIngress.ipv4_forward", hx("080000000111"), hx("0001"))}))
	in := cat(hx("ffffffffffff 080000000222 0800"), ipv4Header(hx("0a000202"), hx("0a000101"), 17, 7, 24), hx("00010002"))
	o := one(t, sw.Process(2, in))
	want := cat(hx("080000000111 ffffffffffff 0800"), ipv4Header(hx("0a000202"), hx("0a000101"), 17, 6, 24), hx("00010002"))
	if o.Port != 1 || !bytes.Equal(o.Frame, want) {
		t.Fatalf("got port %d %x\nwant %x", o.Port, o.Frame, want)
	}
	// Default action drop.
	if r := sw.Process(2, cat(in[:30], hx("0a000102"), in[34:])); len(r.Outputs) != 0 {
		t.Fatalf("no route: %+v", r)
	}
}

// TestRunAll runs every shared program over assorted frames on several
// ports with no entries installed: nothing may panic, and the same frame
// gives the same result twice.
func TestRunAll(t *testing.T) {
	frames := [][]byte{
		nil,
		hx("01"),
		bytes.Repeat([]byte{0xff}, 64),
		cat(hx("ffffffffffff 000000000001 0800"), ipv4Header(hx("0a000001"), hx("0a000002"), 6, 64, 40), make([]byte, 20)),
		cat(hx("ffffffffffff 000000000001 86dd 60000000 0008 1140"), make([]byte, 32), make([]byte, 8)),
		cat(hx("ffffffffffff 000000000001 8100 0064 0800"), ipv4Header(hx("0a000001"), hx("0a000002"), 17, 64, 28), make([]byte, 8)),
		cat(hx("ffffffffffff 000000000001 8847 00064140"), ipv4Header(hx("0a000001"), hx("0a000002"), 17, 64, 28), make([]byte, 8)),
	}
	for _, fx := range fixtures.All(t) {
		if fx.JSON == "" {
			continue
		}
		t.Run(fx.Name, func(t *testing.T) {
			b, err := os.ReadFile(fx.JSON)
			must(t, err)
			p, err := Load(b)
			must(t, err)
			sw := New(p, Options{CPUPort: fx.CPUPort})
			for _, port := range []uint32{0, 1, 2, 255, 510} {
				for _, f := range frames {
					a, b := sw.Process(port, f), sw.Process(port, f)
					if len(a.Outputs) != len(b.Outputs) || len(a.Drops) != len(b.Drops) {
						t.Fatalf("port %d frame %x: results differ: %+v / %+v", port, f, a, b)
					}
				}
			}
		})
	}
}
