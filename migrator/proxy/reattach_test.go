//lint:file-ignore SA1019 controller_metadata must read back as written (ONOS uses it)

package proxy_test

import (
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/bmv2/sim/port"
	"github.com/lime-p4/lime/internal/proxytest"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/clone"
	"github.com/lime-p4/lime/migrator/migrate"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/translate"
)

// DESIGN.md "Faults": a proxy that stops while hosts are on the target
// keeps nothing of how the source reaches them (through the trunk, the
// same port for every moved host). Started again, it attaches the mirror
// again with the moved hosts and rebuilds the controller's form of what
// the source sends to the trunk from the two switches (putting back what a
// move that stopped halfway changed): the controller reads back what it
// wrote, traffic keeps crossing the trunk both ways, and the migration goes
// on (a host moves) or back (hosts return).
func TestReattachWithMovedHosts(t *testing.T) {
	r := newRig(t, "onos-basic", rigOptions{profile: p4rt.ProfileBMv2, rules: &basicRules,
		srcPorts: []sim.PortSpec{{Name: "eth1", ID: 1}, {Name: "eth2", ID: 2}, {Name: "eth3", ID: 3}, {Name: "trunk", ID: 9}},
		dstPorts: []sim.PortSpec{{Name: "eth11", ID: 11}, {Name: "eth12", ID: 12}, {Name: "eth13", ID: 13}, {Name: "trunk", ID: 19}}})
	if _, err := port.Connect(r.src.Sim.Port("trunk"), r.dst.Sim.Port("trunk")); err != nil {
		t.Fatal(err)
	}
	c, _ := r.controller(1)
	ctx := testCtx(t)
	in := r.src.Info
	a, b, x := l2(in, 0xa, 1), l2(in, 0xb, 2), l2(in, 0xc, 3)
	a.GetTableEntry().ControllerMetadata = 42
	mc := &p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
		Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{MulticastGroupId: 5,
			Replicas: []*p4v1.Replica{{PortKind: &p4v1.Replica_Port{Port: []byte{1}}, Instance: 1}, {PortKind: &p4v1.Replica_Port{Port: []byte{3}}, Instance: 2}}}}}}}
	var ups []*p4v1.Update
	for _, e := range []*p4v1.Entity{a, b, x, mc} {
		ups = append(ups, &p4v1.Update{Type: p4v1.Update_INSERT, Entity: e})
	}
	if err := c.Write(ctx, ups); err != nil {
		t.Fatal(err)
	}
	a1, b1, x1 := simtest.Host(t, r.src, "eth1"), simtest.Host(t, r.src, "eth2"), simtest.Host(t, r.src, "eth3")
	a2, b2 := simtest.Host(t, r.dst, "eth11"), simtest.Host(t, r.dst, "eth12")

	ports := proxy.Ports{Map: translate.NewPortMap(map[uint64]uint64{1: 11, 2: 12, 3: 13, 255: 255}), Hosts: []uint64{1, 2, 3},
		Trunk: &proxy.Trunk{Source: 9, Target: 19}}
	if err := r.dev.AttachMirror(r.dstB, ports); err != nil {
		t.Fatal(err)
	}
	if res, err := cloneTo(ctx, r, r.dev.MirrorTranslator()); err != nil || !res.OK() {
		t.Fatalf("clone: %v %+v", err, res)
	}
	if _, err := r.dev.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	for _, h := range []uint64{1, 2} {
		if err := r.dev.MoveHost(ctx, h); err != nil {
			t.Fatal(err)
		}
	}

	// Host 3's move stops halfway: the source sends its traffic to the
	// trunk already, but the move did not end.
	xt := proto.Clone(x).(*p4v1.Entity)
	xt.GetTableEntry().GetAction().GetAction().Params[0].Value = []byte{9}
	if err := r.srcB.Client().Write(ctx, []*p4v1.Update{{Type: p4v1.Update_MODIFY, Entity: xt}}); err != nil {
		t.Fatal(err)
	}
	// The proxy stops: its sessions with both switches end.
	r.p.Close()
	r.srcB.Close()
	r.dstB.Close()
	srcB, dstB := proxytest.Backend(t, r.src, "s1", basicRules), proxytest.Backend(t, r.dst, "s2", basicRules)
	p := proxy.New(proxy.Options{Log: slog.New(slog.DiscardHandler)})
	dev, err := p.AddDevice(vid, srcB)
	if err != nil {
		t.Fatal(err)
	}
	three := uint64(3)
	if err := dev.Reattach(ctx, dstB, ports, []uint64{1, 2}, &three); err != nil {
		t.Fatal(err)
	}
	c2, _ := proxytest.Controller(t, proxytest.Serve(t, p), vid, 1)
	for _, e := range []*p4v1.Entity{a, b, x, mc} {
		if got := readOne(t, c2, e); !proto.Equal(entity.Config(got), entity.Config(e)) {
			t.Fatalf("after the restart the controller reads %v, wrote %v", got, e)
		}
	}
	if got := dev.Moved(); len(got) != 2 {
		t.Fatalf("moved after the restart: %v", got)
	}
	if got, err := r.src.Client.ReadAll(ctx, entity.Query(x)); err != nil || len(got) != 1 || !proto.Equal(entity.Config(got[0]), entity.Config(x)) {
		t.Fatalf("the source holds %v (%v) after the restart; the half move of host 3 was to be undone", got, err)
	}
	simtest.Pass(t, x1, a2, 0xa, 0xc) // source -> trunk -> the right moved host
	simtest.Pass(t, x1, b2, 0xb, 0xc)
	simtest.Pass(t, a2, x1, 0xc, 0xa) // target -> trunk -> source

	// The migration goes on: writes are recorded, caught up, and the last
	// host moves.
	b3 := proto.Clone(b).(*p4v1.Entity)
	b3.GetTableEntry().ControllerMetadata = 9
	if err := c2.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_MODIFY, Entity: b3}}); err != nil {
		t.Fatal(err)
	}
	if _, err := dev.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if got := readOne(t, c2, b3); !proto.Equal(entity.Config(got), entity.Config(b3)) {
		t.Fatalf("after a write the controller reads %v, wrote %v", got, b3)
	}
	// Or back: both moved hosts return to the source.
	for _, h := range []uint64{2, 1} {
		if err := dev.MoveBack(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range []*p4v1.Entity{a, b3, x, mc} {
		got, err := r.src.Client.ReadAll(ctx, entity.Query(e))
		if err != nil || len(got) != 1 || !proto.Equal(entity.Config(got[0]), entity.Config(e)) {
			t.Fatalf("the source holds %v (%v) after the hosts came back, the controller wrote %v", got, err, e)
		}
	}
	simtest.Pass(t, x1, a1, 0xa, 0xc)
	simtest.Pass(t, b1, x1, 0xc, 0xb)
}

// DESIGN.md "Faults": a proxy killed between the source's and the
// target's halves of a controller's write leaves the source sending to the
// trunk what the target lacks — which moved host it was for is nowhere on
// the switches. The journal (Options.Shadows) kept the controller's form
// before the write: the restarted proxy takes it from there, the
// controller reads back what it wrote, and the clone that follows gives
// the target its part. Without the journal the restart says what is lost.
func TestReattachTakesTheJournalsShadows(t *testing.T) {
	j, err := migrate.OpenJournal(filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	m := liveTrunkRig(t, proxy.Options{Shadows: j})
	r, c := m.rig, m.c
	ctx := testCtx(t)
	if err := r.dev.MoveHost(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// The target stops answering: the write reaches the source alone.
	r.dstB.Close()
	y := l2(r.src.Info, 0xd, 1) // to the moved host
	if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: y}}); err != nil {
		t.Fatal(err)
	}
	// The move kept a (to host 1), the write y.
	if kept, err := j.Shadows(vid); err != nil || len(kept) != 2 ||
		!slices.ContainsFunc(kept, func(e *p4v1.Entity) bool { return proto.Equal(e, y) }) ||
		!slices.ContainsFunc(kept, func(e *p4v1.Entity) bool { return proto.Equal(e, m.a) }) {
		t.Fatalf("the journal kept %v (%v), want a and the write's entity", kept, err)
	}
	r.p.Close()
	r.srcB.Close()
	ports := proxy.Ports{Map: trunkRigPorts, Hosts: []uint64{1, 2}, Trunk: &proxy.Trunk{Source: 9, Target: 19}}
	restart := func(opts proxy.Options) (*proxy.Proxy, *proxy.Device, error) {
		opts.Log = slog.New(slog.DiscardHandler)
		p := proxy.New(opts)
		t.Cleanup(p.Close)
		sb, tb := proxytest.Backend(t, r.src, "s1", basicRules), proxytest.Backend(t, r.dst, "s2", basicRules)
		dev, err := p.AddDevice(vid, sb)
		if err != nil {
			t.Fatal(err)
		}
		if err := dev.Reattach(ctx, tb, ports, []uint64{1}, nil); err != nil {
			p.Close() // stopped: the next one takes the election id
			sb.Close()
			tb.Close()
			return nil, nil, err
		}
		return p, dev, nil
	}
	if _, _, err := restart(proxy.Options{}); err == nil || !strings.Contains(err.Error(), "lacks it") {
		t.Fatalf("without the journal the restart says %v", err)
	}
	p, dev, err := restart(proxy.Options{Shadows: j})
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := proxytest.Controller(t, proxytest.Serve(t, p), vid, 1)
	for _, e := range []*p4v1.Entity{m.a, m.b, y} {
		if got := readOne(t, c2, e); !proto.Equal(entity.Config(got), entity.Config(e)) {
			t.Fatalf("after the restart the controller reads %v, wrote %v", got, e)
		}
	}
	tb, _ := dev.Mirror()
	if res, err := clone.Run(ctx, dev.ControllerReader(r.src.Client), tb.Client(), clone.Options{Translator: dev.MirrorTranslator(), SkipCounters: true}); err != nil || !res.OK() {
		t.Fatalf("clone after the restart: %v %+v", err, res)
	}
	simtest.Pass(t, m.b1, m.a2, 0xd, 0xb) // source -> trunk -> the moved host, by y
	if _, err := dev.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if err := dev.MoveBack(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := dev.DetachMirror(ctx); err != nil {
		t.Fatal(err)
	}
	if kept, err := j.Shadows(vid); err != nil || len(kept) != 0 {
		t.Fatalf("after the mirror was detached the journal keeps %v (%v)", kept, err)
	}
}
