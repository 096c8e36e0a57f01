//go:build linux

package test

import (
	"context"
	"fmt"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/proxytest"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/migrator/service"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/test/lab"
)

// BenchmarkRealBMv2ProxyWrite (issue 14, reported, not goals): the ratios
// of BenchmarkProxyWrite (proxytest.BenchPaths.Round) against real
// simple_switch_grpc, one process per switch (scale-bigtable), the relay,
// the proxy and the client in this process. Where the machine has CPUs
// enough (four or more), this process keeps two and each switch runs on
// a CPU of its own, a source and its target on two (lab.PlanCPUs), as the
// issue's goals assume; the log says which. Skips where no real bmv2 is
// present.
func BenchmarkRealBMv2ProxyWrite(b *testing.B) {
	bm := lab.RealBMv2(b)
	const rounds, latWrites, tputEntries = 5, 300, 30_000
	cpus := lab.PlanCPUs(b, 2)
	b.Log(cpus.Why)
	ratios := map[string][]float64{}
	for range b.N {
		b.StopTimer()
		ps, in := realBMv2Paths(b, bm, cpus)
		entry := func(i int) *p4v1.Update { return proxytest.BigtableEntry(in, i) }
		b.StartTimer()
		for round := range rounds {
			ps.Round(b, round, latWrites, tputEntries, entry, ratios)
		}
		ps.Check(b)
	}
	proxytest.ReportRatios(b, ratios)
}

// realBMv2Paths starts a real switch for each path of proxytest.BenchPaths
// (two for each mirrored one), each running scale-bigtable.
func realBMv2Paths(b *testing.B, bm lab.BMv2, cpus *lab.CPUPlan) (*proxytest.BenchPaths, *info.Info) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := fixtures.Get(b, "scale-bigtable").Dir
	next, started := uint64(0), 0
	start := func() (*lab.Switch, *lab.Controller) {
		next++
		started++
		sw := bm.Start(b, lab.Spec{Name: fmt.Sprintf("b%d", started), DeviceID: next, CPUs: cpus.Next()})
		return sw, lab.NewController(b, sw, dir, 0xb16, proxytest.BigtableRules)
	}
	ps := &proxytest.BenchPaths{}
	_, c1 := start()
	_, c2 := start()
	ps.Direct = &proxytest.BenchPath{Name: "direct", C: c1.Client}
	ps.Direct2 = &proxytest.BenchPath{Name: "direct2", C: c2.Client}

	rsw, _ := start()
	ps.Relay = proxytest.RelayPath(b, ctx, rsw.Addr, rsw.DeviceID)
	fa, _ := start()
	next-- // the fan's two switches are one device
	fb, _ := start()
	ps.Fan = proxytest.FanPath(b, ctx, fa.Addr, fb.Addr, fa.DeviceID)

	so := service.Options{ElectionID: proxytest.ElectionID, Rules: proxytest.BigtableRules}
	backend := func(sw *lab.Switch) *proxy.Backend {
		be, _, err := so.DialBackend(ctx, sw.Addr, sw.DeviceID, "")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { be.Close() })
		return be
	}
	p := proxy.New(proxy.Options{})
	addr := proxytest.Serve(b, p)
	add := func(vid uint64, name string, mirror bool, moved []uint64) *proxytest.BenchPath {
		src, _ := start()
		dev, err := p.AddDevice(vid, backend(src))
		if err != nil {
			b.Fatal(err)
		}
		if mirror {
			dst, _ := start()
			proxytest.Mirror(b, ctx, dev, backend(dst), moved)
		}
		c, _ := proxytest.Controller(b, addr, vid, 1)
		return &proxytest.BenchPath{Name: name, C: c, Dev: dev}
	}
	ps.Pass = add(101, "pass", false, nil)
	ps.Split = add(102, "split", true, []uint64{1})
	ps.Trail = add(103, "trail", true, nil)
	in, err := info.New(c1.Info.Proto, info.WithPortRules(proxytest.BigtableRules))
	if err != nil {
		b.Fatal(err)
	}
	return ps, in
}
