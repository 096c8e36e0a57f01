package simports

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/lime-p4/lime/bmv2/sim/port"
	"github.com/lime-p4/lime/gnmi"
)

func TestPortsBackend(t *testing.T) {
	a, _ := port.New("eth0", 1)
	b, _ := port.New("eth1", 2)
	c, _ := port.New("eth2", 3)
	set, err := port.NewSet(c, a, b)
	if err != nil {
		t.Fatal(err)
	}
	w, err := port.Connect(a, b)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	be := New(set)
	var notes atomic.Int32
	cancel := be.Watch(func() { notes.Add(1) })
	defer cancel()

	ctx := context.Background()
	if err := be.SetEnabled(ctx, "eth1", false); err != nil {
		t.Fatal(err)
	}
	if err := be.SetEnabled(ctx, "nope", false); !errors.Is(err, gnmi.ErrUnknownPort) {
		t.Errorf("SetEnabled(nope): %v, want gnmi.ErrUnknownPort", err)
	}
	// The oper states OpenConfig names: eth1 disabled is DOWN, its peer
	// eth0 loses carrier (LOWER_LAYER_DOWN), eth2 is unattached.
	got, err := be.Ports(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []gnmi.PortState{
		{Name: "eth0", ID: 1, Enabled: true, Oper: gnmi.OperLowerLayerDown, Counters: gnmi.Counters{CarrierTransitions: 2}},
		{Name: "eth1", ID: 2, Enabled: false, Oper: gnmi.OperDown, Counters: gnmi.Counters{CarrierTransitions: 2}},
		{Name: "eth2", ID: 3, Enabled: true, Oper: gnmi.OperLowerLayerDown},
	}
	if len(got) != len(want) {
		t.Fatalf("Ports = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("port %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if notes.Load() < 2 {
		t.Errorf("%d notifications, want one per changed port", notes.Load())
	}
	before := notes.Load()
	if _, err := set.Remove("eth2"); err != nil {
		t.Fatal(err)
	}
	if notes.Load() != before+1 {
		t.Error("removing a port did not notify")
	}
}

func TestOper(t *testing.T) {
	for o, want := range map[port.OperStatus]gnmi.OperStatus{
		port.OperUp: gnmi.OperUp, port.OperDown: gnmi.OperDown, port.OperLowerLayerDown: gnmi.OperLowerLayerDown, port.OperStatus(99): gnmi.OperUnknown,
	} {
		if got := Oper(o); got != want {
			t.Errorf("Oper(%v) = %v, want %v", o, got, want)
		}
	}
}
