package proxy_test

import (
	"context"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/proxytest"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/p4/info"
)

// benchRig: the paths of proxytest.BenchPaths on simulated switches
// (scale-bigtable, spec profile) in this process.
type benchRig struct {
	in *info.Info
	proxytest.BenchPaths
}

func newBenchRig(b *testing.B) *benchRig {
	ctx := context.Background()
	start := func(id uint64) *simtest.Device {
		return simtest.Start(b, simtest.Options{Pipeline: "scale-bigtable", Profile: p4rt.ProfileSpec, DeviceID: id, Rules: &proxytest.BigtableRules})
	}
	r := &benchRig{}
	d1, d2 := start(1), start(2)
	r.in = d1.Info
	r.Direct = &proxytest.BenchPath{Name: "direct", C: d1.Client}
	r.Direct2 = &proxytest.BenchPath{Name: "direct2", C: d2.Client}

	rd := start(3)
	r.Relay = proxytest.RelayPath(b, ctx, rd.Addr, 3)
	fa, fb := start(8), start(8)
	r.Fan = proxytest.FanPath(b, ctx, fa.Addr, fb.Addr, 8)

	p := proxy.New(proxy.Options{})
	addr := proxytest.Serve(b, p)
	add := func(vid uint64, name string, mirror bool, moved []uint64) *proxytest.BenchPath {
		src := start(vid * 10)
		dev, err := p.AddDevice(vid, proxytest.Backend(b, src, name, proxytest.BigtableRules))
		if err != nil {
			b.Fatal(err)
		}
		if mirror {
			dst := start(vid*10 + 1)
			proxytest.Mirror(b, ctx, dev, proxytest.Backend(b, dst, name+"-target", proxytest.BigtableRules), moved)
		}
		c, _ := proxytest.Controller(b, addr, vid, 1)
		return &proxytest.BenchPath{Name: name, C: c, Dev: dev}
	}
	r.Pass = add(4, "pass", false, nil)
	r.Split = add(5, "split", true, []uint64{1})
	r.Trail = add(6, "trail", true, nil)
	return r
}

// BenchmarkProxyWrite (issue 14, DESIGN.md "Measuring"): what the proxy
// costs a controller's writes, against the physical limit (a do-nothing
// relay) and against writing straight to a switch, measured in one run on
// simulated switches in this process (see proxytest.BenchPaths.Round for
// the ratios and their goals). An iteration measures seven rounds, each
// giving one ratio of each kind; reported: the median over the rounds and
// the worst. The switches, the proxy and the client share the machine's
// CPUs: on two, a path with more parties (a relay, the proxy, a second
// switch) has less CPU for each. With -cpuprofile, the proxy's Write
// path is what proxy.(*Server).Write focuses on.
func BenchmarkProxyWrite(b *testing.B) {
	const rounds, latWrites, tputEntries = 7, 300, 30_000
	ratios := map[string][]float64{}
	for range b.N {
		b.StopTimer()
		r := newBenchRig(b)
		entry := func(i int) *p4v1.Update { return proxytest.BigtableEntry(r.in, i) }
		b.StartTimer()
		for round := range rounds {
			r.Round(b, round, latWrites, tputEntries, entry, ratios)
		}
		r.Check(b)
	}
	proxytest.ReportRatios(b, ratios)
}
