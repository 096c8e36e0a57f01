//go:build linux

package bmv2ports

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/gnmi"
	"go.uber.org/goleak"
)

// glog (under openconfig/gnmi's cache, imported through gnmi) starts its
// flush goroutine at init.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/golang/glog.(*fileSink).flushDaemon"))
}

// TestInitialState: a port is enabled at start when bmv2 has it attached
// (bm_dev_mgr_show_ports lists its number with its interface) and its link
// is administratively up; oper-status is UP only when both hold. p3's link
// is up but bmv2 never attached it, so it is disabled and DOWN.
func TestInitialState(t *testing.T) {
	r := newRig(t)
	for _, tc := range []struct {
		name    string
		id      uint32
		enabled bool
		oper    gnmi.OperStatus
	}{
		{"h1", 1, true, gnmi.OperUp},
		{"h2", 2, true, gnmi.OperUp},
		{"h3", 3, false, gnmi.OperDown},
	} {
		ps := r.waitOper(t, tc.name, tc.oper)
		if ps.ID != tc.id || ps.Enabled != tc.enabled {
			t.Errorf("%s: id %d enabled %v, want id %d enabled %v", tc.name, ps.ID, ps.Enabled, tc.id, tc.enabled)
		}
	}
	list, err := r.ports.Ports(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ps := range list {
		names = append(names, ps.Name)
	}
	if !slices.Equal(names, []string{"h1", "h2", "h3"}) {
		t.Errorf("ports reported %v, want h1, h2, h3 in configuration order", names)
	}
}

// TestCounters: state/counters are the link's statistics (gnmi/linkports):
// a ping from the host across h1-p1 moves p1's in and out counts.
func TestCounters(t *testing.T) {
	r := newRig(t)
	before := r.state(t, "h1").Counters
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.host.Ping(ctx, netip.MustParseAddr("10.199.11.1")); err != nil {
		t.Fatal(err)
	}
	after := r.state(t, "h1").Counters
	if after.InPkts <= before.InPkts || after.OutPkts <= before.OutPkts || after.InOctets <= before.InOctets {
		t.Errorf("h1 counters did not move with a ping: before %+v after %+v", before, after)
	}
}

// TestDisableEnable: disabling sets the link down at its far end (the
// veth peer h1: bmv2's own p1 stays up, as bmv2 1.15.5 stops reading every
// port while one of its interfaces is down), bmv2 keeping the port attached
// (bm_dev_mgr_remove_port never returns on bmv2 1.15.5), and oper-status
// becomes DOWN; enabling sets the link up, and oper-status
// returns to UP; a port bmv2 does not have is added
// (bm_dev_mgr_add_port(iface, port, "")). Repeating either is harmless and
// calls bmv2 no more.
func TestDisableEnable(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.drain()
	if err := r.ports.SetEnabled(ctx, "h1", false); err != nil {
		t.Fatal(err)
	}
	r.waitChanged(t, "disabling h1")
	if got := r.dev.Attached(1); got != "p1" {
		t.Errorf("bmv2 port 1 attached to %q after disable, want p1 kept", got)
	}
	if n := r.dev.removes.Load(); n != 0 {
		t.Errorf("disabling called bm_dev_mgr_remove_port (%d calls)", n)
	}
	if r.host.LinkUp(t, "h1") || !r.sw.LinkUp(t, "p1") {
		t.Error("disabling did not take the link down at its far end h1, bmv2's p1 staying up")
	}
	if ps := r.waitOper(t, "h1", gnmi.OperDown); ps.Enabled {
		t.Error("h1 still enabled after disable")
	}
	if ps := r.state(t, "h2"); !ps.Enabled || ps.Oper != gnmi.OperUp {
		t.Errorf("h2 changed with h1: %+v", ps)
	}
	if err := r.ports.SetEnabled(ctx, "h1", false); err != nil {
		t.Fatalf("disabling a disabled port: %v", err)
	}
	if r.host.LinkUp(t, "h1") || !r.sw.LinkUp(t, "p1") || r.dev.removes.Load() != 0 {
		t.Error("disabling a disabled port changed something")
	}
	// A port bmv2 does not have (removed behind the agent's back) is added
	// as it is enabled.
	if err := r.dev.MemBackend.DevMgrRemovePort(ctx, 1); err != nil {
		t.Fatal(err)
	}

	r.drain()
	if err := r.ports.SetEnabled(ctx, "h1", true); err != nil {
		t.Fatal(err)
	}
	r.waitChanged(t, "enabling h1")
	if got := r.dev.Attached(1); got != "p1" {
		t.Errorf("bmv2 port 1 attached to %q after enable, want p1", got)
	}
	if !r.sw.LinkUp(t, "p1") || !r.host.LinkUp(t, "h1") {
		t.Error("link p1 or its far end h1 down after enable")
	}
	if ps := r.waitOper(t, "h1", gnmi.OperUp); !ps.Enabled {
		t.Error("h1 not enabled after enable")
	}
	adds := r.dev.adds.Load()
	if err := r.ports.SetEnabled(ctx, "h1", true); err != nil {
		t.Fatalf("enabling an enabled port: %v", err)
	}
	if n := r.dev.adds.Load(); n != adds {
		t.Errorf("enabling an attached port called bm_dev_mgr_add_port again (%d calls, was %d)", n, adds)
	}
}

// TestEnableHalfSetUp: ports found half set up at start are disabled and
// enabling completes them: p3 has its link up but no bmv2 port (the port
// is added); a port attached in bmv2 whose link is down gets its link up
// and no second bm_dev_mgr_add_port (bmv2 would refuse it).
func TestEnableHalfSetUp(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	if err := r.ports.SetEnabled(ctx, "h3", true); err != nil {
		t.Fatal(err)
	}
	if got := r.dev.Attached(3); got != "p3" {
		t.Errorf("bmv2 port 3 attached to %q, want p3", got)
	}
	r.waitOper(t, "h3", gnmi.OperUp)

	// Restart the backend over a link that is down while bmv2 has it.
	r.ports.Close()
	r.sw.SetLinkUp(t, "p2", false)
	var err error
	if r.ports, err = New(ctx, Options{Ports: r.config(), Thrift: r.tc, PollInterval: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if ps := r.state(t, "h2"); ps.Enabled || ps.Oper != gnmi.OperDown {
		t.Errorf("h2 with its link down at start: enabled %v oper %s, want disabled and DOWN", ps.Enabled, ps.Oper)
	}
	adds := r.dev.adds.Load()
	if err := r.ports.SetEnabled(ctx, "h2", true); err != nil {
		t.Fatal(err)
	}
	if n := r.dev.adds.Load(); n != adds {
		t.Errorf("bm_dev_mgr_add_port called for a port bmv2 already has (%d calls, was %d)", n, adds)
	}
	r.waitOper(t, "h2", gnmi.OperUp)
}

// TestRollback: a failing step undoes the steps before it and the error
// names the port and the step (bmv2 answers a refused device-manager call
// with InvalidDevMgrOperation ERROR).
func TestRollback(t *testing.T) {
	for _, tc := range []struct {
		name   string
		port   string
		enable bool
		setup  func(t *testing.T, r *rig)
		step   Step
		undone []Step
		cause  error
		// what must hold afterwards
		attached string // bmv2 port's interface ("" none)
		linkUp   bool
		enabled  bool
	}{
		{
			name: "disable, show_ports refused", port: "h1", enable: false,
			setup:  func(t *testing.T, r *rig) { r.dev.failShow.Store(true) },
			step:   StepShowPorts,
			cause:  thrift.DevMgrFailed,
			linkUp: true, attached: "p1", enabled: true,
		},
		{
			name: "enable, add refused, link was down", port: "h3", enable: true,
			setup:  func(t *testing.T, r *rig) { r.sw.SetLinkUp(t, "p3", false); r.dev.failAdd.Store(true) },
			step:   StepAddPort,
			undone: []Step{StepLinkUp},
			cause:  thrift.DevMgrFailed,
			linkUp: false, attached: "", enabled: false,
		},
		{
			name: "enable, add refused, link was already up", port: "h3", enable: true,
			setup:  func(t *testing.T, r *rig) { r.dev.failAdd.Store(true) },
			step:   StepAddPort,
			cause:  thrift.DevMgrFailed,
			linkUp: true, attached: "", enabled: false,
		},
		{
			name: "enable, show_ports refused", port: "h3", enable: true,
			setup:  func(t *testing.T, r *rig) { r.sw.SetLinkUp(t, "p3", false); r.dev.failShow.Store(true) },
			step:   StepShowPorts,
			undone: []Step{StepLinkUp},
			cause:  thrift.DevMgrFailed,
			linkUp: false, attached: "", enabled: false,
		},
		{
			name: "disable, link gone", port: "h1", enable: false,
			setup:    func(t *testing.T, r *rig) { r.host.DeleteLink(t, "h1") },
			step:     StepLinkDown,
			cause:    ErrNoLink,
			attached: "p1", enabled: true,
		},
		{
			name: "enable, bmv2 holds the number for another interface", port: "h3", enable: true,
			setup: func(t *testing.T, r *rig) {
				r.sw.SetLinkUp(t, "p3", false)
				if err := r.dev.MemBackend.DevMgrAddPort(context.Background(), "other0", 3, ""); err != nil {
					t.Fatal(err)
				}
			},
			step:   StepAddPort,
			undone: []Step{StepLinkUp},
			cause:  ErrConflict,
			linkUp: false, attached: "other0", enabled: false,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			tc.setup(t, r)
			err := r.ports.SetEnabled(context.Background(), tc.port, tc.enable)
			var se *StepError
			if !errors.As(err, &se) {
				t.Fatalf("SetEnabled(%s, %v) = %v, want a *StepError", tc.port, tc.enable, err)
			}
			if se.Port.Name != tc.port || se.Step != tc.step || !slices.Equal(se.Undone, tc.undone) || se.UndoErr != nil {
				t.Errorf("error for port %q step %q undone %v undo error %v; want port %q step %q undone %v",
					se.Port.Name, se.Step, se.Undone, se.UndoErr, tc.port, tc.step, tc.undone)
			}
			if !errors.Is(err, tc.cause) {
				t.Errorf("error %v does not wrap %v", err, tc.cause)
			}
			if errors.Is(err, gnmi.ErrUnknownPort) {
				t.Errorf("error %v wraps gnmi.ErrUnknownPort for a configured port", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, `"`+tc.port+`"`) || !strings.Contains(msg, string(tc.step)) {
				t.Errorf("error %q does not name port %q and step %q", msg, tc.port, tc.step)
			}
			r.dev.failAdd.Store(false)
			r.dev.failShow.Store(false)
			sp := r.ports.byName[tc.port]
			if got := r.dev.Attached(int32(sp.ID)); got != tc.attached {
				t.Errorf("bmv2 port %d attached to %q, want %q", sp.ID, got, tc.attached)
			}
			if tc.step != StepLinkDown { // there the link is gone
				if up := r.sw.LinkUp(t, sp.Iface); up != tc.linkUp {
					t.Errorf("link %s up = %v, want %v", sp.Iface, up, tc.linkUp)
				}
			}
			if ps := r.state(t, tc.port); ps.Enabled != tc.enabled {
				t.Errorf("%s enabled = %v after the failure, want %v (unchanged)", tc.port, ps.Enabled, tc.enabled)
			}
		})
	}
}

// TestUndoFails: when undoing fails too, the error says the port is left
// half changed and carries both causes. (p3's link comes up, bmv2 refuses
// to add the port, and the link is gone when it is to be set down again.)
func TestUndoFails(t *testing.T) {
	r := newRig(t)
	r.sw.SetLinkUp(t, "p3", false)
	r.dev.failAdd.Store(true)
	gone := func() { r.host.DeleteLink(t, "h3") } // its peer p3 goes with it
	r.dev.beforeAdd.Store(&gone)
	err := r.ports.SetEnabled(context.Background(), "h3", true)
	var se *StepError
	if !errors.As(err, &se) || se.Step != StepAddPort || se.UndoErr == nil {
		t.Fatalf("SetEnabled = %v, want a StepError at %q with an undo error", err, StepAddPort)
	}
	if !errors.Is(err, thrift.DevMgrFailed) || !errors.Is(err, ErrNoLink) {
		t.Errorf("error %v should wrap both the refused add and the missing link", err)
	}
	if !strings.Contains(err.Error(), "half changed") {
		t.Errorf("error %q does not say the port is left half changed", err)
	}
	if ps := r.state(t, "h3"); ps.Oper != gnmi.OperNotPresent {
		t.Errorf("h3 oper-status %s with its interface gone, want NOT_PRESENT", ps.Oper)
	}
}

// TestThriftServerGone: with bmv2's Thrift server closed, SetEnabled fails
// at bm_dev_mgr_show_ports and restores the link; oper-status of the ports
// bmv2 carried becomes UNKNOWN, with a notification.
func TestThriftServerGone(t *testing.T) {
	r := newRig(t)
	r.waitOper(t, "h1", gnmi.OperUp)
	r.sw.SetLinkUp(t, "p3", false)
	r.stopThrift()
	r.drain()
	err := r.ports.SetEnabled(context.Background(), "h3", true)
	var se *StepError
	if !errors.As(err, &se) || se.Step != StepShowPorts || !slices.Equal(se.Undone, []Step{StepLinkUp}) {
		t.Fatalf("SetEnabled(h3) with bmv2 gone = %v, want a StepError at %q with the link undone", err, StepShowPorts)
	}
	if r.sw.LinkUp(t, "p3") {
		t.Error("link p3 left up")
	}
	r.waitChanged(t, "the Thrift server went away")
	if ps := r.waitOper(t, "h1", gnmi.OperUnknown); !ps.Enabled {
		t.Error("h1's admin state changed with bmv2 unreachable")
	}
}

// TestCarrierLoss: the host taking its end down takes p1's carrier; the
// netlink update reaches the watchers at once and oper-status is what the
// kernel says (DOWN or LOWER_LAYER_DOWN for a veth), admin unchanged.
func TestCarrierLoss(t *testing.T) {
	r := newRig(t)
	r.waitOper(t, "h1", gnmi.OperUp)
	r.drain()
	r.host.SetLinkUp(t, "h1", false)
	r.waitChanged(t, "the peer went down")
	if ps := r.waitOper(t, "h1", gnmi.OperDown, gnmi.OperLowerLayerDown); !ps.Enabled {
		t.Error("h1 admin state changed with the carrier")
	}
	r.host.SetLinkUp(t, "h1", true)
	r.waitOper(t, "h1", gnmi.OperUp)
}

// TestBMv2ChangePolled: bmv2 sends no port events; a port removed behind
// the agent's back (e.g. with simple_switch_CLI port_remove) is noticed by
// the poll, notified, and reported DOWN, admin unchanged; added back, UP.
func TestBMv2ChangePolled(t *testing.T) {
	r := newRig(t)
	r.waitOper(t, "h2", gnmi.OperUp)
	r.drain()
	if err := r.dev.MemBackend.DevMgrRemovePort(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	r.waitChanged(t, "bmv2 dropped port 2")
	if ps := r.waitOper(t, "h2", gnmi.OperDown); !ps.Enabled {
		t.Error("h2 admin state changed with bmv2's port")
	}
	r.drain()
	if err := r.dev.MemBackend.DevMgrAddPort(context.Background(), "p2", 2, ""); err != nil {
		t.Fatal(err)
	}
	r.waitChanged(t, "bmv2 attached port 2 again")
	r.waitOper(t, "h2", gnmi.OperUp)
}

// TestUnknownPort: names the backend does not serve wrap
// gnmi.ErrUnknownPort (the agent answers NOT_FOUND).
func TestUnknownPort(t *testing.T) {
	r := newRig(t)
	for _, name := range []string{"p1", "nosuch", ""} {
		if err := r.ports.SetEnabled(context.Background(), name, false); !errors.Is(err, gnmi.ErrUnknownPort) {
			t.Errorf("SetEnabled(%q) = %v, want gnmi.ErrUnknownPort", name, err)
		}
	}
}

// TestConcurrent: SetEnabled calls are serialized against each other and
// safe beside reads (run with -race); the last call for each port wins.
func TestConcurrent(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, name := range []string{"h1", "h2", "h3"} {
		wg.Go(func() {
			for i := range 4 {
				if err := r.ports.SetEnabled(ctx, name, i%2 == 1); err != nil {
					t.Errorf("SetEnabled(%s): %v", name, err)
				}
			}
		})
		wg.Go(func() {
			for range 8 {
				if _, err := r.ports.Ports(ctx); err != nil {
					t.Errorf("Ports: %v", err)
				}
			}
		})
	}
	wg.Wait()
	for _, tc := range []struct {
		name  string
		id    int32
		iface string
	}{{"h1", 1, "p1"}, {"h2", 2, "p2"}, {"h3", 3, "p3"}} {
		if ps := r.waitOper(t, tc.name, gnmi.OperUp); !ps.Enabled {
			t.Errorf("%s not enabled after its last SetEnabled(true)", tc.name)
		}
		if got := r.dev.Attached(tc.id); got != tc.iface {
			t.Errorf("bmv2 port %d attached to %q, want %q", tc.id, got, tc.iface)
		}
	}
}
