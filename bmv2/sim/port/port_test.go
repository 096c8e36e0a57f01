package port

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

var (
	macA     = []byte{0x02, 0, 0, 0, 0, 0x0a}
	macB     = []byte{0x02, 0, 0, 0, 0, 0x0b}
	macBcast = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	macMcast = []byte{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}
)

// ethFrame builds an Ethernet II frame.
func ethFrame(dst, src []byte, etherType uint16, payload []byte) []byte {
	f := append(append([]byte{}, dst...), src...)
	f = append(f, byte(etherType>>8), byte(etherType))
	return append(f, payload...)
}

func mustPort(t *testing.T, name string, id uint32) *Port {
	t.Helper()
	p, err := New(name, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// collector is a Handler that forwards frames to a channel.
func collector(n int) (Handler, chan []byte) {
	ch := make(chan []byte, n)
	return func(_ *Port, f []byte) { ch <- f }, ch
}

func recvFrame(t *testing.T, ch chan []byte) []byte {
	t.Helper()
	select {
	case f := <-ch:
		return f
	case <-time.After(5 * time.Second):
		t.Fatal("no frame within 5s")
		return nil
	}
}

func TestNewChecksName(t *testing.T) {
	// Port names are OpenConfig interface names, used as gNMI list keys.
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"eth0", true},
		{"1/1", true},
		{"", false},
		{"eth 0", false},
		{"eth\x00", false},
	} {
		_, err := New(tc.name, 1)
		if (err == nil) != tc.ok {
			t.Errorf("New(%q): err=%v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestWireCarriesFramesAndCounts(t *testing.T) {
	a, b := mustPort(t, "a", 1), mustPort(t, "b", 2)
	ha, cha := collector(16)
	hb, chb := collector(16)
	a.SetHandler(ha)
	b.SetHandler(hb)
	w, err := Connect(a, b)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if a.Oper() != OperUp || b.Oper() != OperUp {
		t.Fatalf("after Connect: a %v, b %v; want UP, UP", a.Oper(), b.Oper())
	}
	// OpenConfig counts unicast, multicast (broadcast excluded) and
	// broadcast separately by destination address.
	frames := []struct {
		name  string
		frame []byte
	}{
		{"unicast", ethFrame(macB, macA, 0x0800, []byte("hello"))},
		{"broadcast", ethFrame(macBcast, macA, 0x0806, make([]byte, 28))},
		{"multicast", ethFrame(macMcast, macA, 0x0800, make([]byte, 40))},
	}
	var octets uint64
	for _, f := range frames {
		if err := a.Transmit(f.frame); err != nil {
			t.Fatalf("%s: Transmit: %v", f.name, err)
		}
		got := recvFrame(t, chb)
		if string(got) != string(f.frame) {
			t.Fatalf("%s: b got %x, want %x", f.name, got, f.frame)
		}
		octets += uint64(len(f.frame))
	}
	back := ethFrame(macA, macB, 0x0800, []byte("reply"))
	if err := b.Transmit(back); err != nil {
		t.Fatal(err)
	}
	if got := recvFrame(t, cha); string(got) != string(back) {
		t.Fatalf("a got %x, want %x", got, back)
	}
	ca, cb := a.Counters(), b.Counters()
	want := Counters{OutOctets: octets, OutPkts: 3, OutUnicastPkts: 1, OutBroadcastPkts: 1, OutMulticastPkts: 1,
		InOctets: uint64(len(back)), InPkts: 1, InUnicastPkts: 1, CarrierTransitions: 1}
	if ca != want {
		t.Errorf("a counters %+v, want %+v", ca, want)
	}
	if cb.InPkts != 3 || cb.InOctets != octets || cb.InBroadcastPkts != 1 || cb.InMulticastPkts != 1 || cb.OutPkts != 1 {
		t.Errorf("b counters %+v", cb)
	}
}

func TestTransmitDoesNotKeepFrame(t *testing.T) {
	a, b := mustPort(t, "a", 1), mustPort(t, "b", 2)
	hb, chb := collector(1)
	b.SetHandler(hb)
	w, err := Connect(a, b)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	f := ethFrame(macB, macA, 0x0800, []byte("orig"))
	if err := a.Transmit(f); err != nil {
		t.Fatal(err)
	}
	copy(f[14:], "XXXX") // the caller reuses its buffer
	if got := recvFrame(t, chb); string(got[14:]) != "orig" {
		t.Errorf("received payload %q, want %q", got[14:], "orig")
	}
}

func TestOperStatusFollowsAdminAndCarrier(t *testing.T) {
	// Oper status as Linux and OpenConfig report it: DOWN when admin-down,
	// LOWER_LAYER_DOWN when enabled without carrier, UP otherwise; a wired
	// port loses carrier when its peer is disabled.
	a, b, c := mustPort(t, "a", 1), mustPort(t, "b", 2), mustPort(t, "c", 3)
	if got := a.Oper(); got != OperLowerLayerDown {
		t.Fatalf("unattached enabled port: %v, want LOWER_LAYER_DOWN", got)
	}
	w, err := Connect(a, b)
	if err != nil {
		t.Fatal(err)
	}
	h, err := ConnectHost(c, "h")
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		do           func()
		desc         string
		wantA, wantB OperStatus
		wantC        OperStatus
		wantHostLink bool
	}{
		{func() {}, "connected", OperUp, OperUp, OperUp, true},
		{func() { a.SetEnabled(false) }, "a disabled", OperDown, OperLowerLayerDown, OperUp, true},
		{func() { b.SetEnabled(false) }, "both disabled", OperDown, OperDown, OperUp, true},
		{func() { a.SetEnabled(true) }, "a enabled", OperLowerLayerDown, OperDown, OperUp, true},
		{func() { b.SetEnabled(true) }, "both enabled", OperUp, OperUp, OperUp, true},
		{func() { h.SetUp(false) }, "host down", OperUp, OperUp, OperLowerLayerDown, false},
		{func() { h.SetUp(true) }, "host up", OperUp, OperUp, OperUp, true},
		{func() { c.SetEnabled(false) }, "host port disabled", OperUp, OperUp, OperDown, false},
		{func() { c.SetEnabled(true) }, "host port enabled", OperUp, OperUp, OperUp, true},
		{func() { w.Close() }, "wire cut", OperLowerLayerDown, OperLowerLayerDown, OperUp, true},
		{func() { h.Close() }, "host closed", OperLowerLayerDown, OperLowerLayerDown, OperLowerLayerDown, false},
	}
	for _, s := range steps {
		s.do()
		if got := [3]OperStatus{a.Oper(), b.Oper(), c.Oper()}; got != [3]OperStatus{s.wantA, s.wantB, s.wantC} {
			t.Errorf("%s: oper (a,b,c) = %v, want %v", s.desc, got, [3]OperStatus{s.wantA, s.wantB, s.wantC})
		}
		if got := h.LinkUp(); got != s.wantHostLink {
			t.Errorf("%s: host link up = %v, want %v", s.desc, got, s.wantHostLink)
		}
	}
	if a.Attached() || b.Attached() || c.Attached() {
		t.Error("ports still attached after Close")
	}
}

func TestDisabledPortStopsTraffic(t *testing.T) {
	p := mustPort(t, "p", 1)
	h, err := ConnectHost(p, "h")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	hp, chp := collector(8)
	p.SetHandler(hp)
	f := ethFrame(macB, macA, 0x0800, []byte("x"))

	p.SetEnabled(false)
	if err := h.Send(f); !errors.Is(err, ErrNotUp) {
		t.Errorf("host Send on a disabled port: %v, want ErrNotUp", err)
	}
	if err := p.Transmit(f); !errors.Is(err, ErrNotUp) {
		t.Errorf("Transmit on a disabled port: %v, want ErrNotUp", err)
	}
	if _, err := h.RecvWithin(20 * time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("host received from a disabled port: %v", err)
	}
	if c := p.Counters(); c.OutDiscards != 1 || c.OutPkts != 0 {
		t.Errorf("disabled: counters %+v, want 1 out-discard", c)
	}

	p.SetEnabled(true)
	if err := h.Send(f); err != nil {
		t.Fatal(err)
	}
	recvFrame(t, chp)
	if err := p.Transmit(f); err != nil {
		t.Fatal(err)
	}
	if got, err := h.RecvWithin(5 * time.Second); err != nil || string(got) != string(f) {
		t.Fatalf("host Recv after enabling: %x, %v", got, err)
	}

	// A frame arriving while the port is not UP is discarded, not delivered.
	h.SetUp(false)
	if err := h.Send(f); !errors.Is(err, ErrNotUp) {
		t.Errorf("Send from a down host: %v", err)
	}
	p.receive(append([]byte(nil), f...)) // as if the frame were in flight
	if c := p.Counters(); c.InDiscards != 1 || c.InPkts != 1 {
		t.Errorf("counters %+v, want 1 in-discard, 1 in-pkt", c)
	}
}

func TestBadFramesAreCounted(t *testing.T) {
	p := mustPort(t, "p", 1)
	h, err := ConnectHost(p, "h")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	hp, _ := collector(1)
	p.SetHandler(hp)
	if err := p.Transmit(make([]byte, 13)); !errors.Is(err, ErrFrame) {
		t.Errorf("Transmit of a 13-byte frame: %v, want ErrFrame", err)
	}
	if err := h.Send(make([]byte, 5)); err != nil {
		t.Fatal(err)
	}
	if c := p.Counters(); c.OutErrors != 1 || c.InErrors != 1 || c.InPkts != 0 {
		t.Errorf("counters %+v, want 1 out-error and 1 in-error", c)
	}
}

func TestNoHandlerDiscards(t *testing.T) {
	p := mustPort(t, "p", 1)
	h, err := ConnectHost(p, "h")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.Send(ethFrame(macB, macA, 0x0800, nil)); err != nil {
		t.Fatal(err)
	}
	if c := p.Counters(); c.InDiscards != 1 {
		t.Errorf("counters %+v, want 1 in-discard", c)
	}
}

func TestWatchReportsChanges(t *testing.T) {
	a, b := mustPort(t, "a", 1), mustPort(t, "b", 2)
	var mu sync.Mutex
	var got []OperStatus
	cancel := a.Watch(func(_ *Port, st Status) {
		mu.Lock()
		got = append(got, st.Oper)
		mu.Unlock()
	})
	w, err := Connect(a, b)
	if err != nil {
		t.Fatal(err)
	}
	b.SetEnabled(false) // a loses carrier
	b.SetEnabled(true)
	a.SetEnabled(false)
	a.SetEnabled(false) // no change, no call
	a.SetEnabled(true)
	w.Close()
	cancel()
	a.SetEnabled(false) // after cancel: not reported
	mu.Lock()
	defer mu.Unlock()
	want := []OperStatus{OperUp, OperLowerLayerDown, OperUp, OperDown, OperUp, OperLowerLayerDown}
	if len(got) != len(want) {
		t.Fatalf("watched %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("watched %v, want %v", got, want)
		}
	}
	if c := a.Counters().CarrierTransitions; c != 6 { // every change to or from UP above
		t.Errorf("carrier transitions %d, want 6", c)
	}
}

func TestAttachRules(t *testing.T) {
	a, b, c := mustPort(t, "a", 1), mustPort(t, "b", 2), mustPort(t, "c", 3)
	w, err := Connect(a, b)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := Connect(a, c); !errors.Is(err, ErrAttached) {
		t.Errorf("Connect of an attached port: %v, want ErrAttached", err)
	}
	if c.Attached() {
		t.Error("failed Connect left c attached")
	}
	if _, err := ConnectHost(b, "h"); !errors.Is(err, ErrAttached) {
		t.Errorf("ConnectHost on an attached port: %v, want ErrAttached", err)
	}
	if _, err := Connect(c, c); err == nil {
		t.Error("Connect(c, c) succeeded")
	}
	a.Detach()
	if a.Attached() || b.Attached() {
		t.Error("Detach left the wire's ports attached")
	}
	h, err := ConnectHost(a, "h")
	if err != nil {
		t.Fatalf("re-attach after Detach: %v", err)
	}
	h.Close()
}

func TestHostQueueFull(t *testing.T) {
	p := mustPort(t, "p", 1)
	h, err := ConnectHost(p, "h")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	f := ethFrame(macB, macA, 0x0800, nil)
	for i := 0; i < QueueLen; i++ {
		if err := p.Transmit(f); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	if err := p.Transmit(f); !errors.Is(err, ErrQueueFull) {
		t.Errorf("Transmit to a full host queue: %v, want ErrQueueFull", err)
	}
	if h.Dropped() != 1 || h.Pending() != QueueLen || p.Counters().OutDiscards != 1 {
		t.Errorf("dropped %d pending %d counters %+v", h.Dropped(), h.Pending(), p.Counters())
	}
}

func TestHostRecvAfterClose(t *testing.T) {
	p := mustPort(t, "p", 1)
	h, err := ConnectHost(p, "h")
	if err != nil {
		t.Fatal(err)
	}
	f := ethFrame(macB, macA, 0x0800, nil)
	if err := p.Transmit(f); err != nil {
		t.Fatal(err)
	}
	h.Close()
	if _, err := h.RecvWithin(time.Second); err != nil {
		t.Errorf("queued frame after Close: %v", err)
	}
	if _, err := h.RecvWithin(time.Second); !errors.Is(err, ErrClosed) {
		t.Errorf("Recv on a closed, empty host: %v, want ErrClosed", err)
	}
	if err := h.Send(f); !errors.Is(err, ErrClosed) {
		t.Errorf("Send on a closed host: %v, want ErrClosed", err)
	}
}

// TestConcurrentTrafficAndToggles runs traffic both ways while the admin
// state flips; run with -race. Every transmitted frame is either counted as
// sent or as discarded.
func TestConcurrentTrafficAndToggles(t *testing.T) {
	a, b := mustPort(t, "a", 1), mustPort(t, "b", 2)
	var mu sync.Mutex
	received := map[*Port]uint64{}
	h := func(p *Port, _ []byte) {
		mu.Lock()
		received[p]++
		mu.Unlock()
	}
	a.SetHandler(h)
	b.SetHandler(h)
	stopWatch := a.Watch(func(*Port, Status) {})
	defer stopWatch()
	w, err := Connect(a, b)
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	var wg sync.WaitGroup
	for _, p := range []*Port{a, b} {
		wg.Add(1)
		go func(p *Port) {
			defer wg.Done()
			f := ethFrame(macB, macA, 0x0800, []byte("load"))
			for i := 0; i < n; i++ {
				_ = p.Transmit(f)
			}
		}(p)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			b.SetEnabled(i%2 == 1)
			_ = a.Status()
			_ = a.Counters()
		}
	}()
	wg.Wait()
	w.Close()
	for _, p := range []*Port{a, b} {
		c := p.Counters()
		if c.OutPkts+c.OutDiscards != n {
			t.Errorf("%s: out %d + discards %d != %d", p.Name(), c.OutPkts, c.OutDiscards, n)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if ca, cb := a.Counters(), b.Counters(); received[a] != ca.InPkts || received[b] != cb.InPkts {
		t.Errorf("handlers saw %d/%d frames, counters say %d/%d", received[a], received[b], ca.InPkts, cb.InPkts)
	}
}
