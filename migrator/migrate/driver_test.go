package migrate_test

import (
	"context"
	"sync"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/bmv2/sim/port"
	gnmiclient "github.com/lime-p4/lime/gnmi/client"
	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/internal/proxytest"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/diff"
	"github.com/lime-p4/lime/migrator/migrate"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/p4/translate"
)

const vid = 7

var rules = info.DefaultPortRules.Merge(info.PortRules{Names: []string{"*.set_egress_port/port"}})

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func backend(t *testing.T, d *simtest.Device, name string) *proxy.Backend {
	return proxytest.Backend(t, d, name, rules)
}

func gnmiPorts(t *testing.T, d *simtest.Device) *migrate.GNMIPorts {
	t.Helper()
	c, err := gnmiclient.Dial(testCtx(t), d.Addr, gnmiclient.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &migrate.GNMIPorts{Client: c}
}

func l2(in *info.Info, mac, port byte) *p4v1.Entity {
	t0 := in.TableByName("ingress.table0_control.table0")
	return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: t0.ID, Priority: 10,
		Match: []*p4v1.FieldMatch{{FieldId: t0.FieldByName("hdr.ethernet.dst_addr").ID, FieldMatchType: &p4v1.FieldMatch_Ternary_{
			Ternary: &p4v1.FieldMatch_Ternary{Value: []byte{mac}, Mask: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}}}},
		Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: in.ActionByName("ingress.table0_control.set_egress_port").ID,
			Params: []*p4v1.Action_Param{{ParamId: 1, Value: []byte{port}}}}}}}}}
}

// The whole migration of DESIGN.md, driven by the Driver over a proxy,
// while a controller keeps writing: onto a target with no pipeline (it
// gets its own compilation, renumbered ids, and the source's cookie),
// other port numbers and a trunk; hosts move one at a time over gNMI, and
// traffic between them flows through every step. At the end the target is
// the device, the source's host ports are down, and the controller reads
// what it wrote.
func TestMigrationEndToEnd(t *testing.T) {
	ctx := testCtx(t)
	src := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, DeviceID: 1, Cookie: 0xc0ffee, Rules: &rules,
		Ports: []sim.PortSpec{{Name: "eth1", ID: 1}, {Name: "eth2", ID: 2}, {Name: "trunk", ID: 9}}})
	dst := simtest.Start(t, simtest.Options{Profile: p4rt.ProfileBMv2, DeviceID: 2,
		Ports: []sim.PortSpec{{Name: "eth11", ID: 11}, {Name: "eth12", ID: 12}, {Name: "trunk", ID: 19}}})
	if _, err := port.Connect(src.Sim.Port("trunk"), dst.Sim.Port("trunk")); err != nil {
		t.Fatal(err)
	}
	srcB, dstB := backend(t, src, "s1"), backend(t, dst, "s2")
	p := proxy.New(proxy.Options{})
	dev, err := p.AddDevice(vid, srcB)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := proxytest.Controller(t, proxytest.Serve(t, p), vid, 1)

	in := src.Info
	a, b := l2(in, 0xa, 1), l2(in, 0xb, 2)
	if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: a}, {Type: p4v1.Update_INSERT, Entity: b}}); err != nil {
		t.Fatal(err)
	}
	simtest.Populate(t, ctx, c, in, p4test.NewGen(in, 1).State(15), nil)
	a1, b1 := simtest.Host(t, src, "eth1"), simtest.Host(t, src, "eth2")
	a2, b2 := simtest.Host(t, dst, "eth11"), simtest.Host(t, dst, "eth12")
	simtest.Pass(t, a1, b1, 0xb, 0xa)

	cfg := p4test.Config(t, fixtures.Get(t, "onos-basic"), 0)
	cfg.P4Info = p4test.Renumber(cfg.P4Info, 0x00a5a5a5)
	pm := simtest.ShiftedPorts()
	drv := &migrate.Driver{Device: dev, Target: dstB, Pipeline: cfg,
		Ports:       proxy.Ports{Map: pm, Hosts: []uint64{1, 2}, Trunk: &proxy.Trunk{Source: 9, Target: 19}},
		SourcePorts: gnmiPorts(t, src), TargetPorts: gnmiPorts(t, dst)}
	// The controller keeps writing, and traffic flows, at every step.
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		g := p4test.NewGen(in, 9)
		tb := in.TableByName("ingress.table0_control.table0")
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			e := g.TableEntry(tb, nil, nil)
			if c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: e}}) == nil && i%2 == 0 {
				c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_DELETE, Entity: entity.Query(e)}})
			}
		}
	}()
	drv.Progress = func(act migrate.Action) {
		if act.Step == migrate.MoveHost && act.Port == 2 {
			simtest.Pass(t, a2, b1, 0xb, 0xa) // a moved, b not yet: through the trunk
			simtest.Pass(t, b1, a2, 0xa, 0xb)
		}
	}
	m := migrate.New([]uint64{1, 2})
	err = drv.Run(ctx, m)
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatalf("migration: %v (state %+v)", err, m.State())
	}
	if st := m.State(); st.Step != migrate.Done {
		t.Fatalf("state %+v", st)
	}
	simtest.Pass(t, a2, b2, 0xb, 0xa)
	simtest.Pass(t, b2, a2, 0xa, 0xb)
	for _, name := range []string{"eth1", "eth2"} {
		if src.Sim.Port(name).Enabled() {
			t.Errorf("source port %s still enabled", name)
		}
	}
	got, err := c.ReadAll(ctx, entity.Query(a))
	if err != nil || len(got) != 1 || !proto.Equal(entity.Config(got[0]), entity.Config(a)) {
		t.Fatalf("the controller reads %v, %v; wrote %v", got, err, a)
	}
	cookie, err := c.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_COOKIE_ONLY)
	if err != nil || cookie.GetCookie().GetCookie() != 0xc0ffee {
		t.Fatalf("cookie after the migration: %v %v", cookie, err)
	}
	// Everything the controller holds (through the proxy) is on the target;
	// counters differ by design (the proxy adds the source's).
	tr, err := translate.New(in, dstB.Info(), translate.WithPorts(pm))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := diff.Run(ctx, c, dst.Client, diff.Options{Translator: tr})
	if err != nil || !rep.Equal() || rep.Total().Compared < 30 {
		t.Fatalf("the controller's view and the target differ: %+v %v (missing %v extra %v different %v)", rep.Total(), err, rep.Missing, rep.Extra, rep.Different)
	}
}

// An abort after hosts moved (DESIGN.md step 7): they come back to the
// source newest first, make before break, the dual-write stops and the
// target is cleared; traffic flows on the source as before, and the
// controller reads what it wrote.
func TestAbortAfterHostsMoved(t *testing.T) {
	ctx := testCtx(t)
	pr := newPair(t, false, 0)
	src, dst, srcB, dstB, dev := pr.src, pr.dst, pr.srcB, pr.dstB, pr.dev
	in := src.Info
	a, b := l2(in, 0xa, 1), l2(in, 0xb, 2)
	if err := srcB.Client().Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: a}, {Type: p4v1.Update_INSERT, Entity: b}}); err != nil {
		t.Fatal(err)
	}
	a1, b1 := simtest.Host(t, src, "eth1"), simtest.Host(t, src, "eth2")
	a2 := simtest.Host(t, dst, "eth11")
	drv := &migrate.Driver{Device: dev, Target: dstB,
		Ports:       proxy.Ports{Map: simtest.ShiftedPorts(), Hosts: []uint64{1, 2}, Trunk: &proxy.Trunk{Source: 9, Target: 19}},
		SourcePorts: gnmiPorts(t, src), TargetPorts: gnmiPorts(t, dst)}
	m := migrate.New([]uint64{1, 2})
	for { // until host 1 moved, host 2 not yet
		if act, _ := m.Next(); act.Step == migrate.MoveHost && act.Port == 2 {
			break
		}
		if ran, err := drv.Step(ctx, m); err != nil || !ran {
			t.Fatalf("step: %v %v (state %+v)", ran, err, m.State())
		}
	}
	simtest.Pass(t, a2, b1, 0xb, 0xa)
	if got := dev.Moved(); len(got) != 1 || got[0] != 1 {
		t.Fatalf("moved %v", got)
	}
	if err := m.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := drv.Run(ctx, m); err != nil {
		t.Fatal(err)
	}
	if st := m.State(); st.Step != migrate.Aborted || len(st.Moved) != 0 {
		t.Fatalf("state %+v", st)
	}
	if !src.Sim.Port("eth1").Enabled() || dst.Sim.Port("eth11").Enabled() {
		t.Error("host 1's ports were not switched back")
	}
	simtest.Pass(t, a1, b1, 0xb, 0xa)
	simtest.Pass(t, b1, a1, 0xa, 0xb)
	if got, _ := srcB.Client().ReadAll(ctx, entity.Query(a)); len(got) != 1 || !proto.Equal(entity.Config(got[0]), entity.Config(a)) {
		t.Fatalf("the source holds %v after the abort, the controller wrote %v", got, a)
	}
	n := 0
	for e, err := range dst.Client.Read(ctx, &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{}}}) {
		if err != nil {
			t.Fatal(err)
		}
		if !e.GetTableEntry().GetIsDefaultAction() {
			n++
		}
	}
	if n != 0 {
		t.Fatalf("the target holds %d entries after the abort", n)
	}
	if b, mode := dev.Mirror(); b != nil || mode != proxy.MirrorOff {
		t.Fatalf("mirror %v %v after the abort", b, mode)
	}
}

// pair is two onos-basic switches joined by a trunk (9=19), hosts' ports
// 1, 2 on the source and 11, 12 on the target, and a proxy standing for
// the source as device vid.
type pair struct {
	src, dst   *simtest.Device
	srcB, dstB *proxy.Backend
	p          *proxy.Proxy
	dev        *proxy.Device
}

// newPair starts a pair; with renumber the target runs its own
// compilation of the program (other P4Runtime ids), both with cookie.
func newPair(t *testing.T, renumber bool, cookie uint64) *pair {
	t.Helper()
	pr := &pair{src: simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, DeviceID: 1, Cookie: cookie, Rules: &rules,
		Ports: []sim.PortSpec{{Name: "eth1", ID: 1}, {Name: "eth2", ID: 2}, {Name: "trunk", ID: 9}}})}
	do := simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, DeviceID: 2, Cookie: cookie, Rules: &rules,
		Ports: []sim.PortSpec{{Name: "eth11", ID: 11}, {Name: "eth12", ID: 12}, {Name: "trunk", ID: 19}}}
	if renumber {
		do.P4Info = p4test.Renumber(pr.src.Info.Proto, 0x00a5a5a5)
	}
	pr.dst = simtest.Start(t, do)
	if _, err := port.Connect(pr.src.Sim.Port("trunk"), pr.dst.Sim.Port("trunk")); err != nil {
		t.Fatal(err)
	}
	pr.srcB, pr.dstB = backend(t, pr.src, "s1"), backend(t, pr.dst, "s2")
	pr.p = proxy.New(proxy.Options{})
	t.Cleanup(pr.p.Close)
	var err error
	if pr.dev, err = pr.p.AddDevice(vid, pr.srcB); err != nil {
		t.Fatal(err)
	}
	return pr
}
