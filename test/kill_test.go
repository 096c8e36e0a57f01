//go:build linux

package test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lime-p4/lime/internal/failpoint"
	"github.com/lime-p4/lime/internal/netdemo"
	"github.com/lime-p4/lime/migrator/migrate"
	"github.com/lime-p4/lime/migrator/plan"
	"github.com/lime-p4/lime/migrator/service"
	"github.com/lime-p4/lime/test/lab"
)

// killPoints are instants of the network plan where
// TestSimNetworkKilledAtEachStep kills the proxy: before a task starts,
// and after it ended but before the journal knows — in each phase, host
// moves and cut-over included. Each is reached after the one before it
// whatever the other devices do meanwhile: a later step of the same
// device, or a task of a later phase (phases wait for every device).
var killPoints = []string{
	"before device 2: mirror",
	"after device 2: clone",
	"before device 2: verify",
	"after device 2: fabric-up",
	"before device 1: move-host 1", // host group 1
	"after device 1: move-host 1",
	"after device 2: move-host 1", // group 2
	"before device 2: move-host 2",
	"before device 3: move-host 2", // group 3
	"after device 1: cut-over",
	"before device 2: teardown",
}

// DESIGN.md "Faults": lime proxy killed with SIGKILL at each point of
// killPoints in turn, and at random instants besides (seeded), while the
// controller writes and every pair of hosts exchanges traffic; started
// again on its journal each time, it takes the plan up by itself, and the
// plan ends. Afterwards nothing is lost: every virtual device reads back
// what the controller wrote (no write missing or resurrected, no counter
// gone back: the controller checks them as it goes), lime diff finds each
// new switch equal to its virtual device, and no datagram was lost but
// while the proxy was down.
func TestSimNetworkKilledAtEachStep(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*scenarioTimeout)
	defer cancel()
	n := startNetwork(t, ctx, simSwitches(t, lab.Memory))
	n.openFlows()
	n.startLoad()
	k := n.killAt(killPoints, "migrate", "--admin", n.admin, "--admin-token-file", n.token(), "--plan", n.plan)
	st := n.waitPlan(ctx, 2*time.Minute)
	rep := n.stopLoad()
	t.Logf("%d kills (%d at failpoints), the plan %s; traffic: %d datagrams sent, %d delivered, %d lost; the controller wrote %d updates and reconnected %d times",
		k.kills, len(killPoints), st.Phase, rep.Sent, rep.Delivered, rep.Lost, n.ctl.Writes, len(n.ctl.Reconnects))
	if st.Phase != plan.PhaseDone {
		t.Fatalf("the plan ended %s:\n%s", st.Phase, n.planStatus())
	}
	if lost := k.lostWhileUp(rep, func(netdemo.Loss) bool { return true }); lost > 0 || rep.Duplicates+rep.Misplaced+rep.WrongMAC > 0 {
		n.explainLosses(rep)
		t.Fatalf("%d datagrams lost while the proxy ran (%v)", lost, rep.Clean())
	}
	n.checkMigrated()
}

// The same for one device (lime migrate --device): s1 moves alone onto
// t1, its hosts h11 and h12 with it, while the controller writes to every
// device; the proxy is killed before, after and during its steps. The
// migration ends; device 1 reads back what the controller wrote and equals
// t1 (lime diff). The traffic that does not need s1's links (which a
// switch moving alone leaves behind) loses nothing while the proxy runs.
func TestSimMigrateKilledAtEachStep(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*scenarioTimeout)
	defer cancel()
	n := startNetwork(t, ctx, simSwitches(t, lab.Memory))
	n.openFlows()
	n.startLoad()
	points := []string{"before device 1: mirror", "after device 1: clone", "before device 1: verify",
		"after device 1: move-host 1", "before device 1: move-host 2", "device 1: cut over, trunk up"}
	o, nt := n.old[1], n.new[1]
	dir, err := filepath.Abs("../pipelines/lime_router")
	if err != nil {
		t.Fatal(err)
	}
	k := n.killAt(points, "migrate", "--admin", n.admin, "--admin-token-file", n.token(), "--device", "1",
		"--to-addr", nt.Addr, "--to-device-id", fmt.Sprint(nt.DeviceID), "--to-gnmi", nt.GNMI, "--to-thrift", nt.Thrift,
		"--from-gnmi", o.GNMI, "--from-thrift", o.Thrift, "--pipeline", dir, "--hosts", "1,2",
		"--trunk", fmt.Sprintf("%d=%d", netdemo.TrunkPort, netdemo.TrunkNew), "--port-map", portMapOf(1)+",255=255")
	c := n.adminClient()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		sts, err := c.Status(ctx)
		st, _ := service.Of(sts, 1)
		m := st.Migration
		if err == nil && m != nil && m.Running == "" && m.State.Failed != "" {
			t.Fatalf("the migration stopped: %s\n%s", m.State.Failed, n.planStatus())
		}
		// Cut over: done, or (restarted since) standing for t1.
		if err == nil && st.Authoritative == nt.Addr && (m == nil || m.Running == "" && m.State.Step == migrate.Done) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the migration did not end:\n%s", n.planStatus())
		}
		time.Sleep(50 * time.Millisecond)
	}
	rep := n.stopLoad()
	t.Logf("%d kills (%d at failpoints); traffic: %d datagrams sent, %d delivered, %d lost; the controller wrote %d updates and reconnected %d times",
		k.kills, len(points), rep.Sent, rep.Delivered, rep.Lost, n.ctl.Writes, len(n.ctl.Reconnects))
	onS1 := func(h string) bool { return h == "h11" || h == "h12" }
	if lost := k.lostWhileUp(rep, func(l netdemo.Loss) bool { return onS1(l.From) == onS1(l.To) }); lost > 0 {
		n.explainLosses(rep)
		t.Fatalf("%d datagrams lost while the proxy ran, between hosts whose path does not leave s1's hosts or avoids s1", lost)
	}
	if err := n.ctl.Check(ctx); err != nil {
		t.Fatal(err)
	}
	n.diffMigrated(1)
	// The cut over takes the trunk down, a proxy killed as it cut over
	// included (its restart does).
	for _, x := range []struct {
		name string
		sw   netdemo.Target
		port uint32
	}{{"s1", o, netdemo.TrunkPort}, {"t1", nt, netdemo.TrunkNew}} {
		if n.portEnabled(x.name, x.sw, x.port) {
			t.Errorf("%s's trunk port %d is still up after the cut over", x.name, x.port)
		}
	}
}

// kills is what killAt did: how many times it killed the proxy, and when
// the proxy was down.
type kills struct {
	kills int
	down  []window
}

// killAt runs lime with args (a migration the proxy runs) and kills the
// proxy (SIGKILL) at each failpoint of points in turn, after a random
// while there (the proxy serves the controller meanwhile), and now and
// then at a random instant between two; it starts the proxy again on its
// journal each time (without failpoints after the last).
func (n *network) killAt(points []string, args ...string) *kills {
	t := n.t
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 42))
	t.Logf("seed %d (random kill instants)", seed)
	k := &kills{}
	restart := func(next string) {
		from := time.Now()
		n.proxy.Kill()
		k.kills++
		time.Sleep(time.Duration(rng.IntN(200)) * time.Millisecond)
		var env []string
		if next != "" {
			env = []string{failpoint.Env + "=" + next}
		}
		n.startProxyEnv(env)
		k.down = append(k.down, window{from, time.Now()})
	}
	// The proxy stops at the first point; then the migration starts.
	restart(points[0])
	k.kills--
	// lime migrate follows the migration until the proxy dies under it;
	// the migration goes on without it.
	go limeTool(t).Run(n.ctx, args...)
	for i, p := range points {
		if !n.proxy.WaitOutput("lime: failpoint "+p, time.Minute) {
			t.Fatalf("the migration did not reach %q:\n%s\nstatus:\n%s", p, n.proxy.Output(), n.planStatus())
		}
		next := ""
		if i+1 < len(points) {
			next = points[i+1]
		}
		// Held there, the proxy serves the controller's writes, which the
		// kill cuts.
		time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
		restart(next)
		if rng.IntN(2) == 0 && next != "" {
			time.Sleep(time.Duration(50+rng.IntN(400)) * time.Millisecond)
			if !strings.Contains(n.proxy.Output(), "lime: failpoint "+next) {
				restart(next)
			}
		}
	}
	return k
}

// lostWhileUp counts the datagrams of rep that counts lost while the
// proxy was up.
func (k *kills) lostWhileUp(rep netdemo.Report, counts func(netdemo.Loss) bool) int {
	n := 0
	for _, l := range rep.Losses {
		if !counts(l) {
			continue
		}
		down := false
		for _, w := range k.down {
			if !l.Sent.Before(w.from) && l.Sent.Before(w.to) {
				down = true
			}
		}
		if !down {
			n++
		}
	}
	return n
}

// window is a span of time.
type window struct{ from, to time.Time }

// waitPlan waits until the plan ends (done or aborted) or stops on a
// failure, at most timeout; it returns where it stands.
func (n *network) waitPlan(ctx context.Context, timeout time.Duration) plan.State {
	n.t.Helper()
	c := n.adminClient()
	deadline := time.Now().Add(timeout)
	for {
		pl, err := c.Plan(ctx)
		if err == nil && pl != nil {
			switch ph := pl.State.Phase; {
			case ph == plan.PhaseDone, ph == plan.PhaseAborted, !pl.Active && pl.Error != "":
				return pl.State
			}
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("the plan did not end within %v:\n%s", timeout, n.planStatus())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// planStatus is what lime status says, for messages.
func (n *network) planStatus() string {
	r, err := limeTool(n.t).Run(n.ctx, "status", "--admin", n.admin, "--admin-token-file", n.token())
	if err != nil {
		return err.Error()
	}
	return fmt.Sprint(r.Stdout, r.Stderr)
}
