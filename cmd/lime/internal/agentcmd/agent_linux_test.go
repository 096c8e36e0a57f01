//go:build linux

package agentcmd

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/bmv2/thrift/thrifttest"
	"github.com/lime-p4/lime/gnmi/client"
	"github.com/lime-p4/lime/internal/freeport"
	"github.com/lime-p4/lime/internal/netns"
	"github.com/lime-p4/lime/internal/testcert"
)

// glog (under openconfig/gnmi's cache, imported through gnmi) starts its
// flush goroutine at init.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/golang/glog.(*fileSink).flushDaemon"))
}

// thriftServer serves b on loopback until the test ends and returns its
// address.
func thriftServer(t *testing.T, b thrift.Backend) string {
	addr, _ := thrifttest.Serve(t, b)
	return addr
}

// running is `lime agent` started in-process.
type running struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// startVerb runs `lime agent args...` until stop; the agent's gNMI address
// must be in args.
func startVerb(t *testing.T, args ...string) *running {
	t.Helper()
	cmd := New(testDeps(t))
	cmd.SetArgs(args)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = cmd.ExecuteContext(ctx)
	}()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels the verb's context, as SIGINT does, and waits (bounded) for
// it to return.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		return r.err
	case <-time.After(15 * time.Second):
		t.Fatal("lime agent did not stop within 15s of its context ending")
		return nil
	}
}

// dial connects a gNMI client, failing early if the verb exits instead.
func (r *running) dial(t *testing.T, addr string, opts ...client.Option) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() {
		select {
		case <-r.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	c, err := client.Dial(ctx, addr, opts...)
	if err != nil {
		select {
		case <-r.done:
			t.Fatalf("lime agent exited: %v", r.err)
		default:
		}
		t.Fatalf("dial the agent at %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitOper reads events until name's oper-status is one of want.
func waitOper(t *testing.T, ch <-chan client.Event, name string, want ...string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-ch:
			if !ok || e.Err != nil {
				t.Fatalf("subscription ended: %v", e.Err)
			}
			if e.Name == name && e.Leaf == "oper-status" && slices.Contains(want, e.Value) {
				return
			}
		case <-deadline:
			t.Fatalf("%s never became %v", name, want)
		}
	}
}

// TestAgentEndToEnd runs `lime agent` as a user would, against interfaces in
// a namespace (--netns by name) and a bmv2 Thrift stand-in, and drives it
// with lime's gNMI client the way the migrator moves a host: PortID gives
// the bmv2 port number (state/id), SetEnabled(false) takes the link down at
// its far end (bmv2 keeps the port), and the ON_CHANGE oper-status stream says DOWN, then
// UP again after SetEnabled(true). Cancelling the context stops it cleanly.
func TestAgentEndToEnd(t *testing.T) {
	sw, host := netns.New(t), netns.New(t)
	for i := 1; i <= 2; i++ {
		netns.Veth(t,
			netns.End{NS: sw, Name: fmt.Sprintf("p%d", i)},
			netns.End{NS: host, Name: fmt.Sprintf("h%d", i), Addr: netip.MustParsePrefix(fmt.Sprintf("10.199.%d.2/24", 20+i))})
	}
	mem := thrifttest.NewMemBackend()
	for i := int32(1); i <= 2; i++ {
		if err := mem.DevMgrAddPort(context.Background(), fmt.Sprintf("p%d", i), i, ""); err != nil {
			t.Fatal(err)
		}
	}
	thriftAddr := thriftServer(t, mem)
	addr := freeport.Addr(t)
	r := startVerb(t, "--listen", addr, "--thrift", thriftAddr, "--netns", sw.Name(),
		"--port", "h1=1@p1", "--port", "2@p2", "--poll-interval", "50ms")
	c := r.dial(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	for _, tc := range []struct {
		name string
		id   uint32
	}{{"h1", 1}, {"p2", 2}} {
		if id, err := c.PortID(ctx, tc.name); err != nil || id != tc.id {
			t.Errorf("PortID(%s) = %d, %v; want %d", tc.name, id, err, tc.id)
		}
	}
	sub, err := c.SubscribeOperStatus(ctx, "h1")
	if err != nil {
		t.Fatal(err)
	}
	waitOper(t, sub, "h1", "UP")

	if err := c.SetEnabled(ctx, "h1", false); err != nil {
		t.Fatal(err)
	}
	waitOper(t, sub, "h1", "DOWN")
	if got := mem.Attached(1); got != "p1" {
		t.Errorf("bmv2 port 1 attached to %q after SetEnabled(false), want p1 kept", got)
	}
	if host.LinkUp(t, "h1") || !sw.LinkUp(t, "p1") {
		t.Error("SetEnabled(false) did not take the link down at its far end h1, p1 staying up")
	}
	if a, err := c.AdminStatus(ctx, "h1"); err != nil || a != "DOWN" {
		t.Errorf("admin-status of h1 = %q, %v; want DOWN", a, err)
	}
	if o, err := c.OperStatus(ctx, "p2"); err != nil || o != "UP" {
		t.Errorf("oper-status of p2 = %q, %v; want UP (untouched)", o, err)
	}

	if err := c.SetEnabled(ctx, "h1", true); err != nil {
		t.Fatal(err)
	}
	waitOper(t, sub, "h1", "UP")
	if got := mem.Attached(1); got != "p1" {
		t.Errorf("bmv2 port 1 attached to %q after SetEnabled(true), want p1", got)
	}

	// Carrier loss on the host's side reaches the stream too: DOWN, as
	// Stratum serves an enabled port without a link (issue 15, point 6).
	host.SetLinkUp(t, "h1", false)
	waitOper(t, sub, "h1", "DOWN")
	host.SetLinkUp(t, "h1", true)
	waitOper(t, sub, "h1", "UP")

	cancel() // end the subscription before the agent
	if err := r.stop(t); err != nil {
		t.Errorf("lime agent returned %v after its context ended, want nil", err)
	}
}

// TestAgentStartErrors: what can only be found by reaching out (bmv2's
// Thrift server, the interfaces, bmv2's attachments) fails the start with
// an error naming it. These read only "lo" of the test's own namespace.
func TestAgentStartErrors(t *testing.T) {
	gone := freeport.Addr(t) // nothing listens there any more
	mem := thrifttest.NewMemBackend()
	if err := mem.DevMgrAddPort(context.Background(), "eth9", 1, ""); err != nil {
		t.Fatal(err)
	}
	thriftAddr := thriftServer(t, mem)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"thrift unreachable", []string{"--thrift", gone, "--port", "2@lo"}, "--thrift " + gone + ": bmv2's Thrift server does not answer"},
		{"missing interface", []string{"--thrift", thriftAddr, "--port", "2@limenosuch0"}, `port "limenosuch0" (id 2): interface not found`},
		{"attached elsewhere", []string{"--thrift", thriftAddr, "--port", "1@lo"}, `bmv2 has port 1 attached to interface "eth9", not "lo"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runVerb(t, append([]string{"--listen", freeport.Addr(t)}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestAgentListenTaken: a --listen address in use is reported as such.
func TestAgentListenTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	mem := thrifttest.NewMemBackend()
	if err := mem.DevMgrAddPort(context.Background(), "lo", 1, ""); err != nil {
		t.Fatal(err)
	}
	err = runVerb(t, "--listen", l.Addr().String(), "--thrift", thriftServer(t, mem), "--port", "1@lo")
	if err == nil || !strings.Contains(err.Error(), "--listen "+l.Addr().String()) {
		t.Errorf("error %v, want one naming --listen %s", err, l.Addr())
	}
}

// TestAgentTLS: with --tls-cert and --tls-key the agent serves gNMI over
// TLS (and may then listen beyond loopback); a client trusting the
// certificate reads state/id. It serves "lo" of the test's own namespace
// read-only: nothing is set.
func TestAgentTLS(t *testing.T) {
	self := testcert.SelfSigned(t, "lime agent test")
	certFile, keyFile := self.WriteFiles(t)
	pool := self.Pool()
	mem := thrifttest.NewMemBackend()
	if err := mem.DevMgrAddPort(context.Background(), "lo", 7, ""); err != nil {
		t.Fatal(err)
	}
	addr := freeport.Addr(t)
	r := startVerb(t, "--listen", addr, "--thrift", thriftServer(t, mem), "--port", "loop=7@lo",
		"--tls-cert", certFile, "--tls-key", keyFile)
	c := r.dial(t, addr, client.WithTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if id, err := c.PortID(ctx, "loop"); err != nil || id != 7 {
		t.Errorf("PortID(loop) over TLS = %d, %v; want 7", id, err)
	}
	if o, err := c.OperStatus(ctx, "loop"); err != nil || o != "UP" {
		t.Errorf("oper-status of loop = %q, %v; want UP", o, err)
	}
	if err := r.stop(t); err != nil {
		t.Errorf("lime agent returned %v, want nil", err)
	}
}
