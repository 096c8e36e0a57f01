//go:build linux

package test

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	gnmiclient "github.com/lime-p4/lime/gnmi/client"
	"github.com/lime-p4/lime/internal/netdemo"
	"github.com/lime-p4/lime/internal/netdemo/kernelhosts"
	"github.com/lime-p4/lime/internal/netns"
	"github.com/lime-p4/lime/test/lab"
)

// bmv2UpDelay is how long a Linux host waits, once a link has carrier,
// before it sends through it: lime agent brings a port's link up, then
// adds the port to bmv2, which only then reads from it.
const bmv2UpDelay = 100 * time.Millisecond

// bmv2Switches starts the network on real simple_switch_grpc: each switch a
// process with its ports on veth interfaces (each link between switches
// and each trunk a cable through a bridge), lime agent for its gNMI, and
// Linux hosts in network namespaces. It skips where no real bmv2 is found.
func bmv2Switches(t *testing.T, supervise bool) switches {
	t.Helper()
	b := lab.RealBMv2(t)
	b.Supervise = supervise
	if err := netns.Check(); err != nil {
		t.Skipf("skipping: real bmv2's ports are veth interfaces, which need root: %v", err)
	}
	ifaces := map[string]map[int]string{} // switch name -> port -> interface
	set := func(sw string, p uint32, iface string) {
		if ifaces[sw] == nil {
			ifaces[sw] = map[int]string{}
		}
		ifaces[sw][int(p)] = iface
	}
	sw := switches{old: map[int]netdemo.Target{}, new: map[int]netdemo.Target{}, settle: 3 * bmv2UpDelay}
	for _, h := range netdemo.Hosts {
		kh, ends := kernelhosts.Make(t, h, kernelhosts.Options{UpDelay: bmv2UpDelay})
		sw.hosts = append(sw.hosts, kh)
		set(fmt.Sprintf("s%d", h.Switch), h.Port, ends[0])
		set(fmt.Sprintf("t%d", h.Switch), h.Port+netdemo.NewOffset, ends[1])
	}
	// A link between two switches is a cable through a bridge in a
	// namespace of its own: the agent of either switch takes its own end
	// down there, never the other switch's interface.
	pair := func(a string, pa uint32, bb string, pb uint32) {
		wire := netns.New(t)
		for i, end := range []struct {
			sw string
			p  uint32
		}{{a, pa}, {bb, pb}} {
			x, _ := netns.Veth(t, netns.End{}, netns.End{NS: wire, Name: fmt.Sprintf("w%d", i)})
			if err := kernelhosts.QuietIPv6(x.Name); err != nil {
				t.Fatal(err)
			}
			set(end.sw, end.p, x.Name)
		}
		// ageing_time 0: the bridge learns no address, it passes every
		// frame to the other end, as a cable does (a host that moves
		// would otherwise be sought on the side it was last seen from).
		for _, c := range [][]string{{"link", "add", "br0", "type", "bridge", "ageing_time", "0"}, {"link", "set", "w0", "master", "br0"},
			{"link", "set", "w1", "master", "br0"}, {"link", "set", "br0", "up"}} {
			if out, err := wire.Exec(context.Background(), "ip", c...); err != nil {
				t.Fatalf("wire %s-%s: ip %v: %v: %s", a, bb, c, err, out)
			}
		}
	}
	for _, l := range netdemo.Links {
		pair(fmt.Sprintf("s%d", l.A.Switch), l.A.Port, fmt.Sprintf("s%d", l.B.Switch), l.B.Port)
		pair(fmt.Sprintf("t%d", l.A.Switch), l.A.Port+netdemo.NewOffset, fmt.Sprintf("t%d", l.B.Switch), l.B.Port+netdemo.NewOffset)
	}
	for s := 1; s <= netdemo.Switches; s++ {
		pair(fmt.Sprintf("s%d", s), netdemo.TrunkPort, fmt.Sprintf("t%d", s), netdemo.TrunkNew)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	running := map[string]*lab.Switch{}
	sw.restart = func(name string) error {
		s := running[name]
		if s == nil {
			return fmt.Errorf("no switch %q", name)
		}
		return s.Restart()
	}
	start := func(name string, id uint64, down func(int) bool) netdemo.Target {
		s := b.StartOn(t, lab.Spec{Name: name, DeviceID: id}, ifaces[name])
		running[name] = s
		args := []string{"agent", "--listen", "127.0.0.1:0", "--thrift", s.Thrift, "--poll-interval", "100ms"}
		for p, iface := range ifaces[name] {
			args = append(args, "--port", fmt.Sprintf("%d@%s", p, iface))
		}
		_, m := limeTool(t).Start(t, regexp.MustCompile(`gNMI on (\S+)`), args...)
		tg := netdemo.Target{Addr: s.Addr, DeviceID: id, GNMI: m[1], Thrift: s.Thrift}
		g, err := gnmiclient.Dial(ctx, tg.GNMI, gnmiclient.WithInsecure())
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		for p, iface := range ifaces[name] {
			if down(p) {
				if err := g.SetEnabled(ctx, iface, false); err != nil {
					t.Fatalf("%s port %d down: %v", name, p, err)
				}
			}
		}
		return tg
	}
	for s := 1; s <= netdemo.Switches; s++ {
		sw.old[s] = start(fmt.Sprintf("s%d", s), uint64(s), func(p int) bool { return p == netdemo.TrunkPort })
		sw.new[s] = start(fmt.Sprintf("t%d", s), uint64(s+netdemo.NewOffset), func(int) bool { return true })
	}
	return sw
}
