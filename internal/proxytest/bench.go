package proxytest

import (
	"context"
	"encoding/binary"
	"log/slog"
	"slices"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/info"
)

// Mirror makes target dev's mirror as the benchmark's mirrored paths have
// it: hosts on ports 1-8 and a trunk 9=19 (simtest.ShiftedPorts),
// caught up, with the hosts of moved on the target (none: it trails).
func Mirror(tb testing.TB, ctx context.Context, dev *proxy.Device, target *proxy.Backend, moved []uint64) {
	tb.Helper()
	ports := proxy.Ports{Map: simtest.ShiftedPorts(), Hosts: []uint64{1, 2, 3, 4, 5, 6, 7, 8}, Trunk: &proxy.Trunk{Source: 9, Target: 19}}
	if err := dev.AttachMirror(target, ports); err != nil {
		tb.Fatal(err)
	}
	if _, err := dev.CatchUp(ctx); err != nil {
		tb.Fatal(err)
	}
	for _, h := range moved {
		if err := dev.MoveHost(ctx, h); err != nil {
			tb.Fatal(err)
		}
	}
}

// RelayPath is the benchmark's bare-relay path: a primary controller of
// device deviceID at addr through a Relay.
func RelayPath(tb testing.TB, ctx context.Context, addr string, deviceID uint64) *BenchPath {
	tb.Helper()
	return &BenchPath{Name: "relay", C: primary(tb, ctx, Relay(tb, addr), deviceID)}
}

// FanPath is the benchmark's path through a FanRelay: a primary
// controller of device deviceID at addr whose writes go to peer too (a
// switch of the same device id, where the same controller is primary).
func FanPath(tb testing.TB, ctx context.Context, addr, peer string, deviceID uint64) *BenchPath {
	tb.Helper()
	primary(tb, ctx, peer, deviceID)
	return &BenchPath{Name: "fan", C: primary(tb, ctx, FanRelay(tb, addr, peer), deviceID)}
}

// primary is a client of device deviceID at addr that arbitrated (the
// benchmark's election id) and is primary, until the test ends.
func primary(tb testing.TB, ctx context.Context, addr string, deviceID uint64) *client.Client {
	tb.Helper()
	rc, err := client.Dial(ctx, addr, client.DialOptions{DeviceID: deviceID, Insecure: true,
		ElectionID: &client.ElectionID{High: 20}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { rc.Close() })
	rs, err := rc.Arbitrate(ctx)
	if err != nil || !rs.IsPrimary() {
		tb.Fatalf("arbitration at %s: %v", addr, err)
	}
	tb.Cleanup(func() { rs.Close() })
	return rc
}

// BigtableRules are the port rules of scale-bigtable: its I.fwd sends to
// a port.
var BigtableRules = info.DefaultPortRules.Merge(info.PortRules{Names: []string{"I.fwd/port"}})

// BigtableEntry is entry i of scale-bigtable's I.l2 (exact on a MAC), sent
// to port i%8+1.
func BigtableEntry(in *info.Info, i int) *p4v1.Update {
	t := in.TableByName("I.l2")
	var mac [8]byte
	binary.BigEndian.PutUint64(mac[:], uint64(i)+1)
	return &p4v1.Update{Type: p4v1.Update_INSERT, Entity: &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: t.ID,
		Match: []*p4v1.FieldMatch{{FieldId: t.Fields[0].ID, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: canon.Canonical(mac[2:])}}}},
		Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: in.ActionByName("I.fwd").ID,
			Params: []*p4v1.Action_Param{{ParamId: 1, Value: []byte{byte(i%8 + 1)}}}}}}}}}}
}

// BenchPath is one way a controller's writes reach a switch, for the
// benchmarks of the proxy's cost (issue 14), with the next entry it
// writes.
type BenchPath struct {
	Name string
	C    *client.Client
	Dev  *proxy.Device // through the proxy: the device
	Next int
}

// Write writes the path's next n entries (entry gives entry i) in Writes
// of batch updates and returns how long it took; lat, when set, gets each
// Write's latency. Through a device with a mirror it ends once the mirror
// has them too.
func (p *BenchPath) Write(b *testing.B, entry func(int) *p4v1.Update, n, batch int, lat *[]time.Duration) time.Duration {
	ctx := context.Background()
	t0 := time.Now()
	for i := p.Next; i < p.Next+n; i += batch {
		ups := make([]*p4v1.Update, 0, batch)
		for j := i; j < i+batch && j < p.Next+n; j++ {
			ups = append(ups, entry(j))
		}
		w0 := time.Now()
		if err := p.C.Write(ctx, ups); err != nil {
			b.Fatalf("%s: %v", p.Name, err)
		}
		if lat != nil {
			*lat = append(*lat, time.Since(w0))
		}
	}
	if p.Dev != nil {
		if err := p.Dev.Drain(ctx); err != nil { // the mirror has every write
			b.Fatal(err)
		}
	}
	p.Next += n
	return time.Since(t0)
}

// BenchPaths are what the proxy's cost is measured on:
//   - Direct, Direct2: switches written to directly;
//   - Relay: a switch behind a do-nothing relay (Relay);
//   - Fan: two switches behind a do-nothing relay that writes to both at
//     once (FanRelay): what a mirrored write costs with no proxy at all;
//   - Pass: a switch behind the proxy, no migration;
//   - Split: a switch behind the proxy with a live mirror and one host
//     moved (writes go to both, the controller is answered once both
//     applied them);
//   - Trail: the same before any host moved (the mirror may trail).
type BenchPaths struct {
	Direct, Direct2, Relay, Fan, Pass, Split, Trail *BenchPath
}

// Round measures the paths once, each in turn (the order rotates with
// round, so that a shared machine's bursts of load fall on all of them
// alike), and appends to ratios one ratio of each kind:
//
// Latency, one update per Write (latWrites Writes a path), p50 and p99:
//   - lat-proxy/relay: Pass against Relay (goal ≤ 1.10);
//   - lat-mirrored/proxy: Split against Pass (goal ≤ 1.15);
//   - lat-fan/relay: Fan against Relay, what writing to two switches
//     rather than one costs on this machine with no proxy (about 1 where
//     each switch has a CPU of its own); lat-mirrored/fan: Split against
//     Fan, the proxy's own share of a mirrored write.
//
// Throughput, batches of 500 (tputEntries entries a path):
//   - tput-proxy/direct: Pass against Direct (goal ≥ 0.95);
//     tput-relay/direct: Relay against Direct;
//   - tput-trail/slower: Trail, until the mirror has every write, against
//     the slower of Direct and Direct2 (goal ≥ 0.90); tput-split/slower:
//     Split;
//   - tput-fan/slower: Fan against the slower, the most any mirrored write
//     reaches on this machine (about 1 where each switch has a CPU of its
//     own); tput-split/fan, tput-trail/fan: the proxy's own share.
func (ps *BenchPaths) Round(b *testing.B, round, latWrites, tputEntries int, entry func(int) *p4v1.Update, ratios map[string][]float64) {
	add := func(name string, x float64) { ratios[name] = append(ratios[name], x) }
	lat := map[string][]time.Duration{}
	paths := []*BenchPath{ps.Relay, ps.Pass, ps.Split, ps.Direct, ps.Fan}
	for k := range paths {
		p := paths[(k+round)%len(paths)]
		var ds []time.Duration
		p.Write(b, entry, latWrites, 1, &ds)
		lat[p.Name] = ds
	}
	for _, q := range []struct {
		name string
		q    float64
	}{{"p50", 0.5}, {"p99", 0.99}} {
		relay, pass, split := percentile(lat[ps.Relay.Name], q.q), percentile(lat[ps.Pass.Name], q.q), percentile(lat[ps.Split.Name], q.q)
		fan := percentile(lat[ps.Fan.Name], q.q)
		add("lat-proxy/relay-"+q.name, float64(pass)/float64(relay))
		add("lat-mirrored/proxy-"+q.name, float64(split)/float64(pass))
		add("lat-fan/relay-"+q.name, float64(fan)/float64(relay))
		add("lat-mirrored/fan-"+q.name, float64(split)/float64(fan))
		add("relay-µs-"+q.name, float64(relay.Microseconds()))
	}
	const batch = 500
	took := map[string]time.Duration{}
	paths = []*BenchPath{ps.Direct, ps.Pass, ps.Trail, ps.Direct2, ps.Split, ps.Relay, ps.Fan}
	for k := range paths {
		p := paths[(k+round)%len(paths)]
		took[p.Name] = p.Write(b, entry, tputEntries, batch, nil)
	}
	slower := max(took[ps.Direct.Name], took[ps.Direct2.Name])
	add("tput-proxy/direct", float64(took[ps.Direct.Name])/float64(took[ps.Pass.Name]))
	add("tput-relay/direct", float64(took[ps.Direct.Name])/float64(took[ps.Relay.Name]))
	add("tput-trail/slower", float64(slower)/float64(took[ps.Trail.Name]))
	add("tput-split/slower", float64(slower)/float64(took[ps.Split.Name]))
	add("tput-fan/slower", float64(slower)/float64(took[ps.Fan.Name]))
	add("tput-split/fan", float64(took[ps.Fan.Name])/float64(took[ps.Split.Name]))
	add("tput-trail/fan", float64(took[ps.Fan.Name])/float64(took[ps.Trail.Name]))
	add("direct-entries/s", float64(tputEntries)/took[ps.Direct.Name].Seconds())
}

// Check fails b unless the mirrored paths mirrored every entry they wrote,
// none kept for repair.
func (ps *BenchPaths) Check(b *testing.B) {
	for _, p := range []*BenchPath{ps.Split, ps.Trail} {
		if st := p.Dev.Stats(); st.Repairs != 0 || st.Mirrored != int64(p.Next) {
			b.Fatalf("%s: stats %+v, want %d mirrored and no repair", p.Name, st, p.Next)
		}
	}
}

// ReportRatios reports, for each kind of ratio, the median over the
// rounds and the worst (the highest latency ratio, the lowest throughput
// ratio).
func ReportRatios(b *testing.B, ratios map[string][]float64) {
	for name, xs := range ratios {
		s := slices.Clone(xs)
		slices.Sort(s)
		b.ReportMetric(s[len(s)/2], name)
		switch name[0] {
		case 'l':
			b.ReportMetric(s[len(s)-1], name+"-worst")
		case 't':
			b.ReportMetric(s[0], name+"-worst")
		}
	}
	b.ReportMetric(0, "ns/op")
}

// percentile is the q-quantile of ds (sorted in place).
func percentile(ds []time.Duration, q float64) time.Duration {
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(q*float64(len(ds))))]
}
