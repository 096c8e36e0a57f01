package dataplane

import (
	"fmt"
	"sync"
	"testing"
)

// routerSwitch is simple_router with a few routes, next hops and ports.
func routerSwitch(tb testing.TB) *Switch {
	sw := New(loadFixture(tb, "bmv2-simple_router"), Options{})
	for i := 0; i < 8; i++ {
		must(tb, sw.AddEntry("ipv4_lpm", Entry{Match: []FieldMatch{LPM([]byte{10, byte(i), 0, 0}, 16)},
			Action: Call("set_nhop", []byte{10, byte(i), 0, 1}, be16(uint16(i+1)))}))
		must(tb, sw.AddEntry("forward", Entry{Match: []FieldMatch{Exact([]byte{10, byte(i), 0, 1})}, Action: Call("set_dmac", []byte{0, 0, 0, 0, 0, byte(i)})}))
		must(tb, sw.AddEntry("send_frame", Entry{Match: []FieldMatch{Exact(be16(uint16(i + 1)))}, Action: Call("rewrite_mac", []byte{0, 0, 0, 0, 0xa, byte(i)})}))
	}
	return sw
}

func routerFrame(i int) []byte {
	return cat(hx("ffffffffffff 112233445566 0800"), ipv4Header(hx("c0a80001"), []byte{10, byte(i % 8), 1, 2}, 17, 64, 46), make([]byte, 26))
}

// BenchmarkProcessSimpleRouter measures packets per second through
// simple_router (LPM, two exact tables, checksum verify and update) on
// one goroutine.
func BenchmarkProcessSimpleRouter(b *testing.B) {
	sw := routerSwitch(b)
	frames := make([][]byte, 8)
	for i := range frames {
		frames[i] = routerFrame(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := sw.Process(1, frames[i&7])
		if len(r.Outputs) != 1 {
			b.Fatal("no output")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkt/s")
}

// BenchmarkProcessONOSBasic measures packets per second through ONOS's
// basic.p4 (port counters and meters, a 9-field ternary table0 with
// three entries, host meter table, checksum update) on one goroutine.
func BenchmarkProcessONOSBasic(b *testing.B) {
	sw := New(loadFixture(b, "onos-basic"), Options{CPUPort: basicCPU})
	for i := 0; i < 3; i++ {
		m := table0Match(map[int]FieldMatch{5: Ternary([]byte{10, 0, 0, byte(i)}, hx("ffffffff"))})
		must(b, sw.AddEntry(basicTable0, Entry{Match: m, Priority: int32(10 + i), Action: Call("ingress.table0_control.set_egress_port", be16(uint16(i+1)))}))
	}
	frames := make([][]byte, 3)
	for i := range frames {
		frames[i] = basicFrame("000000000001", fmt.Sprintf("0a0000%02x", i), 1000, 80)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := sw.Process(1, frames[i%3])
		if len(r.Outputs) != 1 {
			b.Fatal("no output")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkt/s")
}

// TestConcurrentProcessAndWrites runs packets on several goroutines while
// the control plane adds, modifies and deletes entries and writes
// default actions (run with -race). Every packet must leave by a
// port the routes allow at that moment: 1 to 8, or 0 when no route.
func TestConcurrentProcessAndWrites(t *testing.T) {
	sw := routerSwitch(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r := sw.Process(uint32(g), routerFrame(i+g))
				for _, o := range r.Outputs {
					if o.Port > 8 {
						errs <- fmt.Errorf("packet out of port %d", o.Port)
						return
					}
				}
			}
		}(g)
	}
	for i := 0; i < 300; i++ {
		k := []FieldMatch{LPM([]byte{10, byte(i % 8), 1, 0}, 24)}
		if err := sw.AddEntry("ipv4_lpm", Entry{Match: k, Action: Call("set_nhop", []byte{10, byte(i % 8), 0, 1}, be16(uint16(1+i%8)))}); err != nil {
			must(t, sw.ModifyEntry("ipv4_lpm", Entry{Match: k, Action: Call("_drop")}))
			must(t, sw.DeleteEntry("ipv4_lpm", k, 0))
		}
		if i%2 == 0 {
			must(t, sw.SetDefaultAction("forward", Call("_drop")))
		} else {
			must(t, sw.ResetDefaultAction("forward"))
		}
		if _, err := sw.Entries("ipv4_lpm"); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// BenchmarkProcessONOSFabric measures packets per second through ONOS's
// fabric.p4 routing an IPv4 packet (about 30 tables and conditionals,
// an action selector, checksum update) on one goroutine.
func BenchmarkProcessONOSFabric(b *testing.B) {
	sw := fabricSwitch(b)
	in := fabricFrame("00aabbccddee", "0a010203", 64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := sw.Process(1, in); len(r.Outputs) != 1 {
			b.Fatal("no output")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkt/s")
}
