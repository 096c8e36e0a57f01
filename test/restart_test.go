//go:build linux

package test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lime-p4/lime/internal/netdemo"
	"github.com/lime-p4/lime/migrator/migrate"
	"github.com/lime-p4/lime/migrator/plan"
	"github.com/lime-p4/lime/test/lab"
)

// inFlight is how long a datagram may stay inside a switch: one sent this
// long before the switch restarted may be lost with it.
const inFlight = 200 * time.Millisecond

// restartEvent is a switch restart a test makes when the plan reaches a
// point, and the span during which traffic may be lost for it.
type restartEvent struct {
	name string // the switch: "sN" (old) or "tN" (new)
	when func(plan.State) bool
	// over reports that the restart's effect is over: the target set up
	// again, or the source set up again by the controller.
	over   func(plan.State, *network) bool
	at     time.Time
	window *window
}

// deviceOf is device vid's state in st.
func deviceOf(st plan.State, vid uint64) plan.DeviceState {
	for _, d := range st.Devices {
		if d.Device == vid {
			return d
		}
	}
	return plan.DeviceState{}
}

// prepared: the device's target is in line with its source again after
// reseeds restarts (or the device is past its host moves).
func prepared(st plan.State, vid uint64, reseeds int) bool {
	m := deviceOf(st, vid).Migration
	return m.Reseeds >= reseeds && m.Failed == "" && (m.Step == migrate.MoveHost || m.Step == migrate.CutOver || m.Step == migrate.Done)
}

// DESIGN.md "Faults", a switch restarts: during the network plan, with
// traffic between every pair of hosts and the controller writing as ONOS
// does, three switches restart (their pipeline and state gone, their
// streams ended). t3, a target, restarts while it is being prepared, and
// t1 once host 1 of device 1 is on it: each time the proxy notices, the
// device sets its target up again (pipeline, clone, catch-up, verify) and
// the plan goes on by itself. s2, a source, restarts while device 2's
// hosts move: the controller sees the restart as without lime (its stream
// ends), connects again, finds no pipeline and sets the switch up again
// through the proxy; device 2 stops, saying so, and lime migrate --retry
// brings t2 in line again and ends the plan. Afterwards the controller
// reads back what it wrote, each new switch equals its virtual device
// (lime diff), and no datagram was lost but while a restarted switch was
// down and being set up again.
func TestSimNetworkSwitchRestarts(t *testing.T) {
	switchRestarts(t, simSwitches(t, lab.Memory))
}

// The same on real simple_switch_grpc (the shared build, in CI too): a
// restart is the process stopped and started again on its ports, as root.
// The switches run supervised, as in production: bmv2 1.15.5 now and then
// dies (SIGSEGV) on the first pipeline set after such a restart, in this
// scenario only; started again, it is one more restart for lime to take.
func TestRealBMv2NetworkSwitchRestarts(t *testing.T) {
	switchRestarts(t, bmv2Switches(t, true))
}

func switchRestarts(t *testing.T, sw switches) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*scenarioTimeout)
	defer cancel()
	n := startNetwork(t, ctx, sw)
	n.openFlows()
	n.startLoad()
	go limeTool(t).Run(n.ctx, "migrate", "--admin", n.admin, "--admin-token-file", n.token(), "--plan", n.plan)
	events := []*restartEvent{
		{name: "t3", when: func(st plan.State) bool {
			s := deviceOf(st, 3).Migration.Step
			return s == migrate.Clone || s == migrate.CatchUp || s == migrate.Verify
		}, over: func(st plan.State, _ *network) bool { return prepared(st, 3, 1) }},
		{name: "t1", when: func(st plan.State) bool {
			return slices.Contains(deviceOf(st, 1).Migration.Moved, 1)
		}, over: func(st plan.State, _ *network) bool { return prepared(st, 1, 1) }},
		{name: "s2", when: func(st plan.State) bool {
			return st.Phase == plan.PhaseHosts && st.Group == 1
		}, over: func(_ plan.State, n *network) bool { return n.ctl.Reinstalled() > 0 }},
	}
	c := n.adminClient()
	k := &kills{}
	retried := false
	deadline := time.Now().Add(90 * time.Second)
	for {
		pl, err := c.Plan(ctx)
		if err == nil && pl != nil {
			st := pl.State
			for _, e := range events {
				switch {
				case e.at.IsZero() && e.when(st):
					e.at = time.Now()
					if err := n.restart(e.name); err != nil {
						t.Fatal(err)
					}
					t.Logf("%s restarted (plan at %v, group %d)", e.name, st.Phase, st.Group)
				case !e.at.IsZero() && e.window == nil && e.over(st, n):
					// From a little before the restart (what was inside
					// the switch then is gone) until a little after it
					// is set up again (the hosts' links come back).
					e.window = &window{e.at.Add(-inFlight), time.Now().Add(500 * time.Millisecond)}
					k.down = append(k.down, *e.window)
					t.Logf("%s: set up again after %v", e.name, time.Since(e.at).Round(time.Millisecond))
				}
			}
			d2 := deviceOf(st, 2).Migration
			if !retried && !pl.Active && d2.Failed != "" && events[2].window != nil {
				t.Logf("device 2 stopped: %s", d2.Failed)
				runLime(t, ctx, 0, "migrate", "--admin", n.admin, "--admin-token-file", n.token(), "--retry")
				retried = true
				continue // pl is from before the retry
			}
			if st.Phase == plan.PhaseDone {
				break
			}
			if !pl.Active && pl.Error != "" && (retried || deviceOf(st, 2).Migration.Failed == "") {
				t.Fatalf("the plan stopped: %s\n%s", pl.Error, n.planStatus())
			}
		}
		if time.Now().After(deadline) {
			n.stop()
			n.wg.Wait()
			t.Fatalf("the plan did not end (the controller: %v):\n%s", n.churn, n.planStatus())
		}
		time.Sleep(10 * time.Millisecond)
	}
	rep := n.stopLoad()
	for _, e := range events {
		if e.window == nil {
			t.Fatalf("%s: restarted at %v, never set up again", e.name, e.at)
		}
	}
	t.Logf("traffic: %d datagrams sent, %d delivered, %d lost; the controller wrote %d updates, reconnected %d times, set a device up again %d times",
		rep.Sent, rep.Delivered, rep.Lost, n.ctl.Writes, len(n.ctl.Reconnects), n.ctl.Reinstalled())
	if !retried {
		t.Error("device 2 never stopped on its source's restart")
	}
	if lost := k.lostWhileUp(rep, func(netdemo.Loss) bool { return true }); lost > 0 || rep.Duplicates+rep.Misplaced+rep.WrongMAC > 0 {
		n.explainLosses(rep)
		t.Fatalf("%d datagrams lost outside the restarts (%v)", lost, rep.Clean())
	}
	n.checkMigrated()
}
