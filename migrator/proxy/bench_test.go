package proxy_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/proxytest"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/info"
)

// l2Entry is entry i of scale-bigtable's I.l2 (exact on a MAC).
func l2Entry(in *info.Info, i int) *p4v1.Update {
	t := in.TableByName("I.l2")
	var mac [8]byte
	binary.BigEndian.PutUint64(mac[:], uint64(i)+1)
	return &p4v1.Update{Type: p4v1.Update_INSERT, Entity: &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: t.ID,
		Match: []*p4v1.FieldMatch{{FieldId: t.Fields[0].ID, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: canon.Canonical(mac[2:])}}}},
		Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: in.ActionByName("I.fwd").ID,
			Params: []*p4v1.Action_Param{{ParamId: 1, Value: []byte{byte(i%8 + 1)}}}}}}}}}}
}

// benchRig: a switch written to directly, and a proxy standing for
// another, with a third for its mirror (scale-bigtable, spec profile).
type benchRig struct {
	direct *simtest.Device
	dev    *proxy.Device
	dstB   *proxy.Backend
	ctl    *client.Client
	in     *info.Info
}

func newBenchRig(b *testing.B) *benchRig {
	start := func(id uint64) *simtest.Device {
		return simtest.Start(b, simtest.Options{Pipeline: "scale-bigtable", Profile: p4rt.ProfileSpec, DeviceID: id})
	}
	direct, src, dst := start(1), start(2), start(3)
	p := proxy.New(proxy.Options{})
	dev, err := p.AddDevice(7, proxytest.Backend(b, src, "s1", info.DefaultPortRules))
	if err != nil {
		b.Fatal(err)
	}
	ctl, _ := proxytest.Controller(b, proxytest.Serve(b, p), 7, 1)
	return &benchRig{direct: direct, dev: dev, dstB: proxytest.Backend(b, dst, "s2", info.DefaultPortRules), ctl: ctl, in: direct.Info}
}

// write writes entries from..from+n in Writes of batch updates.
func (r *benchRig) write(b *testing.B, c *client.Client, from, n, batch int) time.Duration {
	ctx := context.Background()
	t0 := time.Now()
	for i := from; i < from+n; i += batch {
		ups := make([]*p4v1.Update, 0, batch)
		for j := i; j < i+batch && j < from+n; j++ {
			ups = append(ups, l2Entry(r.in, j))
		}
		if err := c.Write(ctx, ups); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(t0)
}

// BenchmarkProxyWrite (DESIGN.md, "Measuring"): a controller's writes
// through the proxy against the same writes straight to a switch, measured
// in one run on simulated switches in this process: one update per Write
// (latency) and batches of 500 (throughput), with no mirror and with a
// live mirror (each write reaches the source, then the target). Reported
// as ratios to direct.
func BenchmarkProxyWrite(b *testing.B) {
	for _, batch := range []int{1, 500} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			n := 2000
			if batch > 1 {
				n = 50_000
			}
			var tDirect, tProxy, tMirror time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				r := newBenchRig(b)
				b.StartTimer()
				tDirect += r.write(b, r.direct.Client, 0, n, batch)
				tProxy += r.write(b, r.ctl, 0, n, batch)
				b.StopTimer()
				if err := r.dev.AttachMirror(r.dstB, proxy.Ports{Map: simtest.ShiftedPorts()}); err != nil {
					b.Fatal(err)
				}
				if _, err := r.dev.CatchUp(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				tMirror += r.write(b, r.ctl, n, n, batch)
				if st := r.dev.Stats(); st.Repairs != 0 || st.Mirrored != int64(n) {
					b.Fatalf("stats %+v", st)
				}
			}
			ops := float64(n) * float64(b.N)
			b.ReportMetric(float64(tProxy)/float64(tDirect), "proxy/direct")
			b.ReportMetric(float64(tMirror)/float64(tDirect), "mirrored/direct")
			b.ReportMetric(float64(tDirect.Nanoseconds())/ops, "direct-ns/update")
			b.ReportMetric(float64(tMirror.Nanoseconds())/ops, "mirrored-ns/update")
			b.ReportMetric(0, "ns/op")
		})
	}
}
