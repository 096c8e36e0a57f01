package sim_test

import (
	"bytes"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/bmv2/sim/port"
	gclient "github.com/lime-p4/lime/gnmi/client"
	"github.com/lime-p4/lime/internal/simtest"
)

// nextEvent waits for an event of the named interface's leaf.
func nextEvent(t *testing.T, ch <-chan gclient.Event, name, leaf string) gclient.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("subscription ended")
			}
			if ev.Name == name && ev.Leaf == leaf {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event for %s", leaf, name)
		}
	}
}

// TestGNMITogglesPort: a gNMI client on the device's address disables a
// port with a typed bool_val, sees the ON_CHANGE oper-status events, and the
// port's traffic stops; enabling restores both (the gNMI bullet,
// OpenConfig interfaces as Stratum serves them).
func TestGNMITogglesPort(t *testing.T) {
	r := newRig(t, "onos-basic", p4rt.ProfileBMv2, 255, sim.PortSpec{Name: "eth1", ID: 1}, sim.PortSpec{Name: "eth2", ID: 2})
	t0 := r.inf.TableByName("ingress.table0_control.table0")
	setPort := r.inf.ActionByName("ingress.table0_control.set_egress_port")
	r.write(insert(tableEntity(&p4v1.TableEntry{TableId: t0.ID, Priority: 10, Match: []*p4v1.FieldMatch{ternary(1, []byte{1}, []byte{1, 0xff})}, Action: action(setPort.ID, []byte{2})})))

	gc := gclient.New(r.conn)
	if id, err := gc.PortID(ctx(t), "eth2"); err != nil || id != 2 {
		t.Fatalf("state/id of eth2: %d, %v", id, err)
	}
	events, err := gc.SubscribeStatus(ctx(t), "eth2")
	if err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, events, "eth2", "oper-status"); ev.Value != "UP" || !ev.Initial {
		t.Errorf("initial oper-status %+v, want UP", ev)
	}
	send := func() ([]byte, error) {
		f := simtest.Frame(2, 1, 0x0800, "x")
		if err := r.hosts["eth1"].Send(f); err != nil {
			t.Fatal(err)
		}
		return r.hosts["eth2"].RecvWithin(300 * time.Millisecond)
	}
	if _, err := send(); err != nil {
		t.Fatalf("traffic before: %v", err)
	}
	if err := gc.SetEnabled(ctx(t), "eth2", false); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, events, "eth2", "oper-status"); ev.Value != "DOWN" {
		t.Errorf("oper-status after disabling: %+v, want DOWN", ev)
	}
	if r.dev.Port("eth2").Enabled() || r.hosts["eth2"].LinkUp() {
		t.Error("port still enabled, or its host still sees the link")
	}
	if f, err := send(); err == nil {
		t.Errorf("a disabled port delivered %x", f)
	}
	if err := gc.SetEnabled(ctx(t), "eth2", true); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, events, "eth2", "oper-status"); ev.Value != "UP" {
		t.Errorf("oper-status after enabling: %+v, want UP", ev)
	}
	f, err := send()
	if err != nil || !bytes.Equal(f, simtest.Frame(2, 1, 0x0800, "x")) {
		t.Errorf("traffic after re-enabling: %x, %v", f, err)
	}
	if c := r.dev.Port("eth2").Counters(); c.OutPkts < 2 || c.OutDiscards < 1 {
		t.Errorf("eth2 counters %+v: want 2 frames out and at least 1 discarded", c)
	}
}

// TestLinkBetweenDevices: two devices joined by an in-memory wire between
// their "trunk" ports forward a frame from a host of one to a host of the
// other; disabling one end of the link takes the other end's oper state to
// LOWER_LAYER_DOWN.
func TestLinkBetweenDevices(t *testing.T) {
	a := newRig(t, "onos-basic", p4rt.ProfileBMv2, 255, sim.PortSpec{Name: "h1", ID: 1}, sim.PortSpec{Name: "trunk", ID: 9})
	b := newRig(t, "onos-basic", p4rt.ProfileBMv2, 255, sim.PortSpec{Name: "h2", ID: 1}, sim.PortSpec{Name: "trunk", ID: 9})
	w, err := port.Connect(a.dev.Port("trunk"), b.dev.Port("trunk"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, r := range []*rig{a, b} {
		t0 := r.inf.TableByName("ingress.table0_control.table0")
		setPort := r.inf.ActionByName("ingress.table0_control.set_egress_port")
		r.write(insert(tableEntity(&p4v1.TableEntry{TableId: t0.ID, Priority: 10, Match: []*p4v1.FieldMatch{ternary(1, []byte{1}, []byte{1, 0xff})}, Action: action(setPort.ID, []byte{9})})),
			insert(tableEntity(&p4v1.TableEntry{TableId: t0.ID, Priority: 10, Match: []*p4v1.FieldMatch{ternary(1, []byte{9}, []byte{1, 0xff})}, Action: action(setPort.ID, []byte{1})})))
	}
	f := simtest.Frame(2, 1, 0x0800, "across")
	if err := a.hosts["h1"].Send(f); err != nil {
		t.Fatal(err)
	}
	got, err := b.hosts["h2"].RecvWithin(5 * time.Second)
	if err != nil || !bytes.Equal(got, f) {
		t.Fatalf("h2 received %x, %v; want %x", got, err, f)
	}
	a.dev.Port("trunk").SetEnabled(false)
	deadline := time.Now().Add(5 * time.Second)
	for b.dev.Port("trunk").Oper() != port.OperLowerLayerDown {
		if time.Now().After(deadline) {
			t.Fatalf("peer oper state %v, want LOWER_LAYER_DOWN", b.dev.Port("trunk").Oper())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
