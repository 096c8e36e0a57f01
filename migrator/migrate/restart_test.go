package migrate_test

import (
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/internal/proxytest"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/diff"
	"github.com/lime-p4/lime/migrator/migrate"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/p4/translate"
)

// DESIGN.md "Faults", a switch restarts: the target restarts (its
// pipeline and state gone) once between two steps, after host 1 moved,
// and once as host 2 starts to move. Each time the driver notices, sets
// the target up again (its pipeline: the source's, as the target ran the
// program before; a new clone; catch-up; verify) and goes on by itself;
// host 1 stays moved. At the end the target is the device, traffic flows
// between the hosts on it, and it holds what the controller wrote.
func TestTargetRestartsDuringMigration(t *testing.T) {
	ctx := testCtx(t)
	pr := newPair(t, false, 0xc0ffee)
	src, dst, dstB, dev := pr.src, pr.dst, pr.dstB, pr.dev
	c, _ := proxytest.Controller(t, proxytest.Serve(t, pr.p), vid, 1)
	in := src.Info
	if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: l2(in, 0xa, 1)}, {Type: p4v1.Update_INSERT, Entity: l2(in, 0xb, 2)}}); err != nil {
		t.Fatal(err)
	}
	simtest.Populate(t, ctx, c, in, p4test.NewGen(in, 3).State(15), nil)
	b1 := simtest.Host(t, src, "eth2")
	a2, b2 := simtest.Host(t, dst, "eth11"), simtest.Host(t, dst, "eth12")
	restarts := 0
	drv := &migrate.Driver{Device: dev, Target: dstB,
		Ports:       proxy.Ports{Map: simtest.ShiftedPorts(), Hosts: []uint64{1, 2}, Trunk: &proxy.Trunk{Source: 9, Target: 19}},
		SourcePorts: gnmiPorts(t, src), TargetPorts: gnmiPorts(t, dst),
		Progress: func(a migrate.Action) {
			if a.Step == migrate.MoveHost && a.Port == 2 && restarts == 1 {
				restarts++
				if err := dst.Sim.Restart(); err != nil {
					t.Error(err)
				}
			}
		}}
	m := migrate.New([]uint64{1, 2})
	for { // until host 1 moved
		if act, _ := m.Next(); act.Step == migrate.MoveHost && act.Port == 2 {
			break
		}
		if ran, err := drv.Step(ctx, m); err != nil || !ran {
			t.Fatalf("step: %v %v (state %+v)", ran, err, m.State())
		}
	}
	simtest.Pass(t, a2, b1, 0xb, 0xa)
	restarts++
	if err := dst.Sim.Restart(); err != nil {
		t.Fatal(err)
	}
	// The proxy sees this one before the next step starts (the second
	// restart comes as it starts), so that each is noticed on its own.
	for deadline := time.Now().Add(10 * time.Second); dstB.Epoch() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the proxy did not see the target restart")
		}
	}
	// The controller writes while the target is down and set up again.
	g, t0 := p4test.NewGen(in, 4), in.TableByName("ingress.table0_control.table0")
	for range 10 {
		if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: g.TableEntry(t0, nil, nil)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := drv.Run(ctx, m); err != nil {
		t.Fatalf("migration: %v (state %+v)", err, m.State())
	}
	st := m.State()
	if st.Step != migrate.Done || st.Reseeds != 2 || restarts != 2 {
		t.Fatalf("state %+v after %d restarts, want done with 2 reseeds", st, restarts)
	}
	simtest.Pass(t, a2, b2, 0xb, 0xa)
	simtest.Pass(t, b2, a2, 0xa, 0xb)
	tr, err := translate.New(in, dstB.Info(), translate.WithPorts(simtest.ShiftedPorts()))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := diff.Run(ctx, c, dst.Client, diff.Options{Translator: tr})
	if err != nil || !rep.Equal() || rep.Total().Compared < 30 {
		t.Fatalf("the controller's view and the target differ: %+v %v (missing %v extra %v different %v)", rep.Total(), err, rep.Missing, rep.Extra, rep.Different)
	}
}
