package client

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/lime-p4/lime/bmv2/sim/port"
	"github.com/lime-p4/lime/gnmi"
	"github.com/lime-p4/lime/gnmi/simports"
	"github.com/lime-p4/lime/internal/testcert"
)

// glog (under openconfig/gnmi's cache) starts its flush goroutine at init.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/golang/glog.(*fileSink).flushDaemon"))
}

// rig is a simulated switch: eth0 and eth1 wired to each other, eth2 with
// a host, served by the gNMI agent on 127.0.0.1.
type rig struct {
	set              *port.Set
	eth0, eth1, eth2 *port.Port
	host             *port.Host
	addr             string
	client           *Client
}

func newRig(t *testing.T, serverOpts ...grpc.ServerOption) *rig {
	t.Helper()
	r := &rig{}
	var err error
	for i, p := range []**port.Port{&r.eth0, &r.eth1, &r.eth2} {
		if *p, err = port.New([]string{"eth0", "eth1", "eth2"}[i], uint32(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	if r.set, err = port.NewSet(r.eth0, r.eth1, r.eth2); err != nil {
		t.Fatal(err)
	}
	w, err := port.Connect(r.eth0, r.eth1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	if r.host, err = port.ConnectHost(r.eth2, "h2"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.host.Close() })
	r.eth2.SetHandler(func(*port.Port, []byte) {})

	agent, err := gnmi.NewServer(simports.New(r.set), gnmi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer(serverOpts...)
	agent.Register(g)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(lis)
	t.Cleanup(func() {
		g.Stop()
		agent.Close()
	})
	r.addr = lis.Addr().String()
	if len(serverOpts) == 0 {
		if r.client, err = Dial(ctxT(t), r.addr); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.client.Close() })
	}
	return r
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestReadState(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	for name, want := range map[string]uint32{"eth0": 1, "eth1": 2, "eth2": 3} {
		if id, err := r.client.PortID(ctx, name); err != nil || id != want {
			t.Errorf("PortID(%s) = %d, %v; want %d", name, id, err, want)
		}
	}
	if _, err := r.client.PortID(ctx, "eth9"); status.Code(err) != codes.NotFound {
		t.Errorf("PortID(eth9): %v, want NOT_FOUND", err)
	}
	if o, err := r.client.OperStatus(ctx, "eth1"); err != nil || o != gnmi.OperUp {
		t.Errorf("OperStatus(eth1) = %v, %v", o, err)
	}
	if a, err := r.client.AdminStatus(ctx, "eth1"); err != nil || a != "UP" {
		t.Errorf("AdminStatus(eth1) = %v, %v", a, err)
	}
	if en, err := r.client.Enabled(ctx, "eth1"); err != nil || !en {
		t.Errorf("Enabled(eth1) = %v, %v", en, err)
	}

	frame := append([]byte{2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x88, 0xb5}, make([]byte, 50)...)
	for i := 0; i < 3; i++ {
		if err := r.host.Send(frame); err != nil {
			t.Fatal(err)
		}
	}
	c, err := r.client.Counters(ctx, "eth2")
	if err != nil {
		t.Fatal(err)
	}
	if c.InPkts != 3 || c.InOctets != 3*64 || c.InUnicastPkts != 3 {
		t.Errorf("eth2 counters %+v, want 3 frames of 64 octets in", c)
	}

	ifs, err := r.client.Interfaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ifs) != 3 || ifs[2].Name != "eth2" || ifs[2].ID != 3 || !ifs[2].Enabled || ifs[2].Oper != gnmi.OperUp || ifs[2].Counters.InPkts != 3 {
		t.Errorf("Interfaces = %+v", ifs)
	}
}

// collect reads events until every wanted one was seen (bounded wait).
func collect(t *testing.T, ch <-chan Event, want ...Event) {
	t.Helper()
	missing := map[Event]bool{}
	for _, w := range want {
		missing[w] = true
	}
	deadline := time.After(5 * time.Second)
	for len(missing) > 0 {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("channel closed; still missing %v", missing)
			}
			if e.Err != nil {
				t.Fatal(e.Err)
			}
			delete(missing, Event{Name: e.Name, Leaf: e.Leaf, Value: e.Value, Initial: e.Initial, Deleted: e.Deleted})
		case <-deadline:
			t.Fatalf("missing events %v", missing)
		}
	}
}

// TestToggleSeesOnChange: disabling a port with gNMI stops its traffic and
// is seen as ON_CHANGE events: its admin-status and oper-status go DOWN and
// the port wired to it, enabled, loses carrier (oper-status DOWN, as
// Stratum reports it: issue 15, point 6); enabling brings all back UP.
func TestToggleSeesOnChange(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	ch, err := r.client.SubscribeStatus(ctx, "eth0", "eth1", "eth2")
	if err != nil {
		t.Fatal(err)
	}
	var initial []Event
	for _, n := range []string{"eth0", "eth1", "eth2"} {
		initial = append(initial, Event{Name: n, Leaf: "oper-status", Value: "UP", Initial: true}, Event{Name: n, Leaf: "admin-status", Value: "UP", Initial: true})
	}
	collect(t, ch, initial...)

	if err := r.client.SetEnabled(ctx, "eth0", false); err != nil {
		t.Fatal(err)
	}
	if r.eth0.Enabled() {
		t.Fatal("eth0 still enabled")
	}
	collect(t, ch,
		Event{Name: "eth0", Leaf: "admin-status", Value: "DOWN"},
		Event{Name: "eth0", Leaf: "oper-status", Value: "DOWN"},
		Event{Name: "eth1", Leaf: "oper-status", Value: "DOWN"})
	if err := r.client.SetEnabled(ctx, "eth0", true); err != nil {
		t.Fatal(err)
	}
	collect(t, ch,
		Event{Name: "eth0", Leaf: "admin-status", Value: "UP"},
		Event{Name: "eth0", Leaf: "oper-status", Value: "UP"},
		Event{Name: "eth1", Leaf: "oper-status", Value: "UP"})

	// Traffic stops while disabled and resumes after.
	frame := append([]byte{2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x88, 0xb5}, make([]byte, 50)...)
	if err := r.client.SetEnabled(ctx, "eth2", false); err != nil {
		t.Fatal(err)
	}
	if err := r.host.Send(frame); !errors.Is(err, port.ErrNotUp) {
		t.Errorf("host sent through a disabled port: %v", err)
	}
	if err := r.client.SetEnabled(ctx, "eth2", true); err != nil {
		t.Fatal(err)
	}
	if err := r.host.Send(frame); err != nil {
		t.Errorf("host after re-enabling: %v", err)
	}
	cancel()
	for range ch { // closes once ctx is canceled
	}
}

func TestSubscribeOperStatusAllAndRemoval(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	ch, err := r.client.SubscribeOperStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	collect(t, ch,
		Event{Name: "eth0", Leaf: "oper-status", Value: "UP", Initial: true},
		Event{Name: "eth1", Leaf: "oper-status", Value: "UP", Initial: true},
		Event{Name: "eth2", Leaf: "oper-status", Value: "UP", Initial: true})
	r.host.SetUp(false) // the host's link goes down: DOWN, as Stratum says
	collect(t, ch, Event{Name: "eth2", Leaf: "oper-status", Value: "DOWN"})
	if _, err := r.set.Remove("eth2"); err != nil {
		t.Fatal(err)
	}
	collect(t, ch, Event{Name: "eth2", Leaf: "oper-status", Deleted: true})
}

func TestErrors(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	if err := r.client.SetEnabled(ctx, "eth9", false); status.Code(err) != codes.NotFound {
		t.Errorf("SetEnabled(eth9): %v, want NOT_FOUND", err)
	}
	other, err := Dial(ctx, r.addr, WithTarget("other"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.SubscribeOperStatus(ctx, "eth0"); status.Code(err) != codes.NotFound {
		t.Errorf("subscribe with an unknown target: %v, want NOT_FOUND", err)
	}
	if _, err := other.PortID(ctx, "eth0"); status.Code(err) != codes.NotFound {
		t.Errorf("PortID with an unknown target: %v, want NOT_FOUND", err)
	}

	// Nothing listening: Dial gives up when ctx ends.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := lis.Addr().String()
	lis.Close()
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := Dial(short, dead); err == nil {
		t.Error("Dial to a closed port succeeded")
	}
	// A gRPC server without gNMI.
	g := grpc.NewServer()
	lis, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(lis)
	defer g.Stop()
	if _, err := Dial(ctx, lis.Addr().String()); status.Code(err) != codes.Unimplemented {
		t.Errorf("Dial to a server without gNMI: %v, want UNIMPLEMENTED", err)
	}
}

func TestNewSharesConnection(t *testing.T) {
	r := newRig(t)
	c := New(r.client.conn)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.client.PortID(ctxT(t), "eth0"); err != nil {
		t.Errorf("the shared connection was closed: %v", err)
	}
}

// TestTLS: WithTLS talks to a TLS agent; a plaintext client cannot.
func TestTLS(t *testing.T) {
	self := testcert.SelfSigned(t, "lime test agent")
	cert, pool := self.TLS, self.Pool()
	r := newRig(t, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}})))
	ctx := ctxT(t)
	c, err := Dial(ctx, r.addr, WithTLS(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if id, err := c.PortID(ctx, "eth1"); err != nil || id != 2 {
		t.Errorf("PortID over TLS = %d, %v", id, err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := Dial(short, r.addr, WithInsecure()); err == nil {
		t.Error("a plaintext client reached a TLS agent")
	}
}
