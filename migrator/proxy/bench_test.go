package proxy_test

import (
	"context"
	"encoding/binary"
	"log/slog"
	"slices"
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

// l2Entry is entry i of scale-bigtable's I.l2 (exact on a MAC), sent to
// port i%8+1.
func l2Entry(in *info.Info, i int) *p4v1.Update {
	t := in.TableByName("I.l2")
	var mac [8]byte
	binary.BigEndian.PutUint64(mac[:], uint64(i)+1)
	return &p4v1.Update{Type: p4v1.Update_INSERT, Entity: &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: t.ID,
		Match: []*p4v1.FieldMatch{{FieldId: t.Fields[0].ID, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: canon.Canonical(mac[2:])}}}},
		Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: in.ActionByName("I.fwd").ID,
			Params: []*p4v1.Action_Param{{ParamId: 1, Value: []byte{byte(i%8 + 1)}}}}}}}}}}
}

// benchRules: scale-bigtable's I.fwd sends to a port.
var benchRules = info.DefaultPortRules.Merge(info.PortRules{Names: []string{"I.fwd/port"}})

// benchPath is one way a controller's writes reach a switch, with the
// next entry it writes.
type benchPath struct {
	name string
	c    *client.Client
	dev  *proxy.Device // through the proxy: the device
	next int
}

// write writes the path's next n entries in Writes of batch updates and
// returns how long it took; lat, when set, gets each Write's latency.
// Through a device with a mirror it ends once the mirror has them too.
func (p *benchPath) write(b *testing.B, in *info.Info, n, batch int, lat *[]time.Duration) time.Duration {
	ctx := context.Background()
	t0 := time.Now()
	for i := p.next; i < p.next+n; i += batch {
		ups := make([]*p4v1.Update, 0, batch)
		for j := i; j < i+batch && j < p.next+n; j++ {
			ups = append(ups, l2Entry(in, j))
		}
		w0 := time.Now()
		if err := p.c.Write(ctx, ups); err != nil {
			b.Fatalf("%s: %v", p.name, err)
		}
		if lat != nil {
			*lat = append(*lat, time.Since(w0))
		}
	}
	if p.dev != nil {
		p.dev.Paused(func() error { return nil }) // the mirror has every write
	}
	p.next += n
	return time.Since(t0)
}

// benchRig is what BenchmarkProxyWrite measures, simulated switches
// (scale-bigtable, spec profile) in this process:
//   - direct, direct2: switches written to directly;
//   - relay: a switch behind a do-nothing relay (proxytest.Relay);
//   - pass: a switch behind the proxy, no migration;
//   - split: a switch behind the proxy with a live mirror and one host of
//     eight moved (writes go to both, the controller is answered once both
//     applied them);
//   - trail: the same before any host moved (the mirror may trail).
type benchRig struct {
	in                                         *info.Info
	direct, direct2, relay, pass, split, trail *benchPath
}

func newBenchRig(b *testing.B) *benchRig {
	ctx := context.Background()
	start := func(id uint64) *simtest.Device {
		return simtest.Start(b, simtest.Options{Pipeline: "scale-bigtable", Profile: p4rt.ProfileSpec, DeviceID: id, Rules: &benchRules})
	}
	r := &benchRig{}
	d1, d2 := start(1), start(2)
	r.in = d1.Info
	r.direct = &benchPath{name: "direct", c: d1.Client}
	r.direct2 = &benchPath{name: "direct2", c: d2.Client}

	rd := start(3)
	rc, err := client.Dial(ctx, proxytest.Relay(b, rd.Addr), client.DialOptions{DeviceID: 3, Insecure: true,
		ElectionID: &client.ElectionID{High: 20}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rc.Close() })
	rs, err := rc.Arbitrate(ctx)
	if err != nil || !rs.IsPrimary() {
		b.Fatalf("arbitration through the relay: %v", err)
	}
	b.Cleanup(func() { rs.Close() })
	r.relay = &benchPath{name: "relay", c: rc}

	p := proxy.New(proxy.Options{})
	addr := proxytest.Serve(b, p)
	add := func(vid uint64, name string, mirror bool, moved []uint64) *benchPath {
		src := start(vid * 10)
		dev, err := p.AddDevice(vid, proxytest.Backend(b, src, name, benchRules))
		if err != nil {
			b.Fatal(err)
		}
		if mirror {
			dst := start(vid*10 + 1)
			ports := proxy.Ports{Map: simtest.ShiftedPorts(), Hosts: []uint64{1, 2, 3, 4, 5, 6, 7, 8}, Trunk: &proxy.Trunk{Source: 9, Target: 19}}
			if err := dev.AttachMirror(proxytest.Backend(b, dst, name+"-target", benchRules), ports); err != nil {
				b.Fatal(err)
			}
			if _, err := dev.CatchUp(ctx); err != nil {
				b.Fatal(err)
			}
			for _, h := range moved {
				if err := dev.MoveHost(ctx, h); err != nil {
					b.Fatal(err)
				}
			}
		}
		c, _ := proxytest.Controller(b, addr, vid, 1)
		return &benchPath{name: name, c: c, dev: dev}
	}
	r.pass = add(4, "pass", false, nil)
	r.split = add(5, "split", true, []uint64{1})
	r.trail = add(6, "trail", true, nil)
	return r
}

// percentile is the q-quantile of ds (sorted in place).
func percentile(ds []time.Duration, q float64) time.Duration {
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(q*float64(len(ds))))]
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkProxyWrite (issue 14, DESIGN.md "Measuring"): what the proxy
// costs a controller's writes, against the physical limit, measured in one
// run on simulated switches in this process (see benchRig). An iteration
// measures seven rounds; each round writes through every path in turn (the
// order rotates), so that a shared machine's bursts of load fall on all of
// them alike, and gives one ratio of each kind. Reported: the median over
// the rounds and the worst.
//
// Latency, one update per Write (300 Writes a path a round), p50 and p99:
//   - lat-proxy/relay: the proxy, no migration, against a do-nothing relay
//     (goal ≤ 1.10);
//   - lat-mirrored/proxy: hosts split (each write reaches both switches)
//     against no migration (goal ≤ 1.15).
//
// Throughput, batches of 500 (10,000 entries a path a round):
//   - tput-proxy/direct: the proxy, no migration, against writing straight
//     to a switch (goal ≥ 0.95);
//   - tput-trail/slower: a live mirror before any host moved, until the
//     mirror has every write, against the slower of two switches written
//     to directly (goal ≥ 0.90); tput-split/slower: hosts split.
func BenchmarkProxyWrite(b *testing.B) {
	const rounds, latWrites, tputEntries, batch = 7, 300, 10_000, 500
	ratios := map[string][]float64{}
	for range b.N {
		b.StopTimer()
		r := newBenchRig(b)
		b.StartTimer()
		for round := range rounds {
			lat := map[string][]time.Duration{}
			paths := []*benchPath{r.relay, r.pass, r.split, r.direct}
			for k := range paths {
				p := paths[(k+round)%len(paths)]
				var ds []time.Duration
				p.write(b, r.in, latWrites, 1, &ds)
				lat[p.name] = ds
			}
			for _, q := range []struct {
				name string
				q    float64
			}{{"p50", 0.5}, {"p99", 0.99}} {
				relay, pass, split := percentile(lat["relay"], q.q), percentile(lat["pass"], q.q), percentile(lat["split"], q.q)
				ratios["lat-proxy/relay-"+q.name] = append(ratios["lat-proxy/relay-"+q.name], float64(pass)/float64(relay))
				ratios["lat-mirrored/proxy-"+q.name] = append(ratios["lat-mirrored/proxy-"+q.name], float64(split)/float64(pass))
				ratios["relay-µs-"+q.name] = append(ratios["relay-µs-"+q.name], float64(relay.Microseconds()))
			}
			took := map[string]time.Duration{}
			paths = []*benchPath{r.direct, r.pass, r.trail, r.direct2, r.split}
			for k := range paths {
				p := paths[(k+round)%len(paths)]
				took[p.name] = p.write(b, r.in, tputEntries, batch, nil)
			}
			slower := max(took["direct"], took["direct2"])
			ratios["tput-proxy/direct"] = append(ratios["tput-proxy/direct"], float64(took["direct"])/float64(took["pass"]))
			ratios["tput-trail/slower"] = append(ratios["tput-trail/slower"], float64(slower)/float64(took["trail"]))
			ratios["tput-split/slower"] = append(ratios["tput-split/slower"], float64(slower)/float64(took["split"]))
			ratios["direct-entries/s"] = append(ratios["direct-entries/s"], tputEntries/took["direct"].Seconds())
		}
		for _, p := range []*benchPath{r.split, r.trail} {
			if st := p.dev.Stats(); st.Repairs != 0 || st.Mirrored != int64(p.next) {
				b.Fatalf("%s: stats %+v, want %d mirrored and no repair", p.name, st, p.next)
			}
		}
	}
	for name, xs := range ratios {
		b.ReportMetric(median(xs), name)
		if name[0] == 'l' { // latency ratios: the worst is the highest
			b.ReportMetric(slices.Max(xs), name+"-worst")
		} else if name[0] == 't' {
			b.ReportMetric(slices.Min(xs), name+"-worst")
		}
	}
	b.ReportMetric(0, "ns/op")
}
