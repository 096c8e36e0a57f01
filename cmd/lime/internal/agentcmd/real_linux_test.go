//go:build linux

package agentcmd

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/lime-p4/lime/bmv2/launch"
	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/freeport"
	"github.com/lime-p4/lime/internal/netns"
)

// TestRealBMv2Agent runs `lime agent` in front of a real simple_switch_grpc
// (native, or the Docker image with --network host) started with two veth
// ports, -i 1@A -i 2@B, whose peers are in a host namespace. Through gNMI
// it disables port 1: its link goes down, bmv2's bm_dev_mgr_show_ports lists
// it down, and the stream says DOWN; enabling it brings it UP again (bmv2's
// is_up is the interface's operstate). Port 2 stays as it was. It runs the
// real bmv2 shared beside the checkout; without one it skips, saying what
// it looked for.
func TestRealBMv2Agent(t *testing.T) {
	if testing.Short() {
		t.Skip("real bmv2 test skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	binary := ""
	mode, why := launch.ModeNative, "the shared build"
	if bin, ok := fixtures.BMv2(); ok {
		binary, why = bin, bin
	} else if mode, why = launch.Available(ctx, launch.Config{}); mode == launch.ModeUnavailable {
		t.Skipf("no real bmv2 to test against: looked for ../shared/tools/bmv2, for %s on PATH and for a Docker engine answering \"docker info\": %s", launch.DefaultBinary, why)
	}
	t.Logf("using %v: %s", mode, why)

	// bmv2 attaches interfaces of its own namespace: the test process's
	// (also with Docker's --network host), so the switch ends live there
	// under unique names; the host ends are in a namespace of the test.
	host := netns.New(t)
	a, _ := netns.Veth(t, netns.End{}, netns.End{NS: host, Name: "h1", Addr: netip.MustParsePrefix("10.199.31.2/24")})
	b, _ := netns.Veth(t, netns.End{}, netns.End{NS: host, Name: "h2", Addr: netip.MustParsePrefix("10.199.32.2/24")})

	port := func() int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
	sw, err := launch.Start(ctx, launch.Config{
		Mode: mode, Binary: binary, DeviceID: 1,
		GRPCHost: "127.0.0.1", GRPCPort: port(), ThriftPort: port(),
		Interfaces: map[int]string{1: a.Name, 2: b.Name},
		LogFile:    t.TempDir() + "/bmv2", LogLevel: "info",
		StartTimeout: 2 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sw.Stop(); err != nil {
			t.Errorf("stopping bmv2: %v", err)
		}
	}()
	tc, err := thrift.Dial(ctx, sw.ThriftAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	bmv2Port := func(n int32) (thrift.PortInfo, bool) {
		t.Helper()
		infos, err := tc.DevMgrShowPorts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, pi := range infos {
			if pi.Port == n {
				return pi, true
			}
		}
		return thrift.PortInfo{}, false
	}

	addr := freeport.Addr(t)
	r := startVerb(t, "--listen", addr, "--thrift", sw.ThriftAddr(),
		"--port", "h1=1@"+a.Name, "--port", "h2=2@"+b.Name, "--poll-interval", "100ms")
	c := r.dial(t, addr)
	sctx, scancel := context.WithCancel(ctx)
	defer scancel()
	for _, n := range []uint32{1, 2} {
		name := "h" + strconv.Itoa(int(n))
		if id, err := c.PortID(ctx, name); err != nil || id != n {
			t.Errorf("PortID(%s) = %d, %v; want %d", name, id, err, n)
		}
	}
	sub, err := c.SubscribeOperStatus(sctx, "h1")
	if err != nil {
		t.Fatal(err)
	}
	waitOper(t, sub, "h1", "UP")

	if err := c.SetEnabled(ctx, "h1", false); err != nil {
		t.Fatal(err)
	}
	waitOper(t, sub, "h1", "DOWN")
	if pi, ok := bmv2Port(1); !ok || pi.IsUp {
		t.Errorf("bmv2 port 1 = %+v (listed %v) after SetEnabled(false), want kept and down", pi, ok)
	}
	if pi, ok := bmv2Port(2); !ok || pi.Iface != b.Name || !pi.IsUp {
		t.Errorf("bmv2 port 2 = %+v (listed %v), want %s up", pi, ok, b.Name)
	}

	if err := c.SetEnabled(ctx, "h1", true); err != nil {
		t.Fatal(err)
	}
	waitOper(t, sub, "h1", "UP")
	if pi, ok := bmv2Port(1); !ok || pi.Iface != a.Name || !pi.IsUp {
		t.Errorf("bmv2 port 1 = %+v (listed %v) after SetEnabled(true), want %s up", pi, ok, a.Name)
	}
	scancel()
	if err := r.stop(t); err != nil {
		t.Errorf("lime agent returned %v, want nil", err)
	}
}
