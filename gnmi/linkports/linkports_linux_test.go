//go:build linux

package linkports

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lime-p4/lime/gnmi"
	"github.com/lime-p4/lime/gnmi/client"
	"github.com/lime-p4/lime/internal/netns"
)

// glog (under openconfig/gnmi's cache) starts its flush goroutine at init.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/golang/glog.(*fileSink).flushDaemon"))
}

type rig struct {
	a, b   *netns.Namespace
	ports  *Ports
	client *client.Client
}

// newRig: namespace a holds p0 (served, port id 10), namespace b its veth
// peer p1; the agent serves a's links on 127.0.0.1.
func newRig(t *testing.T, ids map[string]uint32) *rig {
	t.Helper()
	r := &rig{a: netns.New(t), b: netns.New(t)}
	netns.Veth(t,
		netns.End{NS: r.a, Name: "p0", Addr: netip.MustParsePrefix("10.199.2.1/24")},
		netns.End{NS: r.b, Name: "p1", Addr: netip.MustParsePrefix("10.199.2.2/24")})
	var err error
	if r.ports, err = New(Options{Namespace: r.a.Path(), IDs: ids}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.ports.Close() })
	agent, err := gnmi.NewServer(r.ports, gnmi.Options{RefreshInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
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
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if r.client, err = client.Dial(ctx, lis.Addr().String()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.client.Close() })
	return r
}

// waitOper reads events until name's oper-status is one of want.
func waitOper(t *testing.T, ch <-chan client.Event, name string, want ...string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
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

// TestLinkAdminAndOper: gNMI sets the link up and down; the kernel's oper
// state, including the peer's carrier, reaches ON_CHANGE subscribers.
func TestLinkAdminAndOper(t *testing.T) {
	r := newRig(t, map[string]uint32{"p0": 10})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if id, err := r.client.PortID(ctx, "p0"); err != nil || id != 10 {
		t.Fatalf("PortID(p0) = %d, %v; want 10", id, err)
	}
	ch, err := r.client.SubscribeOperStatus(ctx, "p0")
	if err != nil {
		t.Fatal(err)
	}
	waitOper(t, ch, "p0", "UP")

	if err := r.client.SetEnabled(ctx, "p0", false); err != nil {
		t.Fatal(err)
	}
	if r.a.LinkUp(t, "p0") {
		t.Fatal("p0 still up after SetEnabled false")
	}
	waitOper(t, ch, "p0", "DOWN")
	if err := r.client.SetEnabled(ctx, "p0", true); err != nil {
		t.Fatal(err)
	}
	waitOper(t, ch, "p0", "UP")

	// The peer going down takes p0's carrier. The kernel says
	// LOWERLAYERDOWN or DOWN for a veth depending on whether the peer's
	// ifindex equals its own; the agent serves DOWN either way, as Stratum
	// does for an enabled port without a link (issue 15, point 6).
	r.b.SetLinkUp(t, "p1", false)
	waitOper(t, ch, "p0", "DOWN")
	if a, err := r.client.AdminStatus(ctx, "p0"); err != nil || a != "UP" {
		t.Errorf("p0 admin-status %q, %v while only the carrier is gone; want UP", a, err)
	}
	r.b.SetLinkUp(t, "p1", true)
	waitOper(t, ch, "p0", "UP")
}

func TestLinkCounters(t *testing.T) {
	r := newRig(t, map[string]uint32{"p0": 10})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	before, err := r.client.Counters(ctx, "p0")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.a.Ping(ctx, netip.MustParseAddr("10.199.2.2")); err != nil {
		t.Fatal(err)
	}
	after, err := r.client.Counters(ctx, "p0")
	if err != nil {
		t.Fatal(err)
	}
	if after.OutPkts <= before.OutPkts || after.InPkts <= before.InPkts || after.OutOctets <= before.OutOctets {
		t.Errorf("counters did not move with a ping: before %+v after %+v", before, after)
	}
}

func TestServedLinks(t *testing.T) {
	// Without IDs every link but loopback is served, its ifindex as id.
	r := newRig(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ifs, err := r.client.Interfaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p0 := r.a.Link(t, "p0")
	if len(ifs) != 1 || ifs[0].Name != "p0" || ifs[0].ID != uint32(p0.Attrs().Index) {
		t.Errorf("Interfaces = %+v, want p0 with id %d", ifs, p0.Attrs().Index)
	}
	for _, name := range []string{"lo", "nosuch"} {
		if err := r.client.SetEnabled(ctx, name, false); status.Code(err) != codes.NotFound {
			t.Errorf("SetEnabled(%s): %v, want NOT_FOUND", name, err)
		}
	}
}

func TestOperMapping(t *testing.T) {
	// RFC 2863 operstates, as the kernel reports them, are OpenConfig's.
	for _, tc := range []struct {
		a    netlink.LinkAttrs
		want gnmi.OperStatus
	}{
		{netlink.LinkAttrs{OperState: netlink.OperUp, Flags: net.FlagUp}, gnmi.OperUp},
		{netlink.LinkAttrs{OperState: netlink.OperDown}, gnmi.OperDown},
		{netlink.LinkAttrs{OperState: netlink.OperLowerLayerDown, Flags: net.FlagUp}, gnmi.OperLowerLayerDown},
		{netlink.LinkAttrs{OperState: netlink.OperDormant, Flags: net.FlagUp}, gnmi.OperDormant},
		{netlink.LinkAttrs{OperState: netlink.OperUnknown, Flags: net.FlagUp, RawFlags: 0x10000}, gnmi.OperUp},
		{netlink.LinkAttrs{OperState: netlink.OperUnknown}, gnmi.OperDown},
		{netlink.LinkAttrs{OperState: netlink.OperUnknown, Flags: net.FlagUp}, gnmi.OperUnknown},
	} {
		if got := Oper(&tc.a); got != tc.want {
			t.Errorf("Oper(%v, flags %v, raw %#x) = %v, want %v", tc.a.OperState, tc.a.Flags, tc.a.RawFlags, got, tc.want)
		}
	}
}
