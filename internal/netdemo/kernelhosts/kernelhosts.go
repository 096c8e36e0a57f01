//go:build linux

// Package kernelhosts attaches the hosts of internal/netdemo's network as
// Linux hosts, each in a network namespace of its own, to the simulated
// switches' ports through AF_PACKET (bmv2/sim/port), for tests and
// benchmarks as root.
//
// A host has two interfaces with its MAC: eth0 to its old switch, eth1 to
// its new switch. Its address lives on its loopback, with a route to the
// hosts' network through each interface; it sends through the one whose
// link came up last (its route gets the lowest metric when its carrier
// comes: a switch port enabled over gNMI brings its link up), through the
// other at once when that one loses carrier (the kernel's
// ignore_routes_with_linkdown: a port disabled takes its link down), and
// receives on both. This is an active-backup bond that takes a new link at
// once, so that a host moves make before break, without the bonding module
// (which the kernels these tests run on may lack) and without its link
// polling. Neighbours are static: the switches route every host's address,
// and no ARP crosses them.
package kernelhosts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/lime-p4/lime/bmv2/sim/port"
	"github.com/lime-p4/lime/internal/netdemo"
	"github.com/lime-p4/lime/internal/netns"
)

// ProbePort is the UDP port every host also listens on, for probes of a
// flow nobody opened.
const ProbePort = 7777

// Host is one Linux host of the scenario.
type Host struct {
	Host  netdemo.Host
	NS    *netns.Namespace
	conns []*net.UDPConn // its port, then ProbePort
}

// network is the hosts' network, which each host routes through its links.
var network = &net.IPNet{IP: net.IPv4(10, 0, 0, 0), Mask: net.CIDRMask(24, 32)}

// Options configure the hosts.
type Options struct {
	// UpDelay is how long a link has carrier before the host sends through
	// it (a bond's updelay): the time the switch takes to use a port whose
	// link came up (bmv2 adds the port just after).
	UpDelay time.Duration
}

// Attach makes the hosts and plugs them into the network's simulated
// switches, whose host ports must be unattached (netdemo.SimOptions.NoHosts).
// Everything is removed when the test ends. It skips the test where
// namespaces cannot be made (not root).
func Attach(t testing.TB, sn *netdemo.SimNet, o Options) []*Host {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	var out []*Host
	for _, h := range netdemo.Hosts {
		kh, ifaces := Make(t, h, o)
		ports := []*port.Port{sn.Old[h.Switch].Port(netdemo.PortName(h.Port)), sn.New[h.Switch].Port(netdemo.PortName(h.Port + netdemo.NewOffset))}
		for i, p := range ports {
			iface, err := port.AttachInterface(p, ifaces[i], port.MirrorAdmin(), port.WithLogger(quiet))
			if err != nil {
				t.Fatalf("kernelhosts: %s: %v", h.Name, err)
			}
			t.Cleanup(func() { iface.Close() })
		}
		out = append(out, kh)
	}
	return out
}

// Make makes host h, in a network namespace of its own, with its links
// (veth pairs), routes, neighbours and sockets, and returns it with the
// switch ends of its links (in this process's namespace): the old
// switch's, then the new switch's. Everything is removed when the test
// ends; it skips the test where namespaces cannot be made (not root).
func Make(t testing.TB, h netdemo.Host, o Options) (*Host, [2]string) {
	t.Helper()
	if err := netns.Check(); err != nil {
		t.Skipf("skipping: Linux hosts in network namespaces need root: %v", err)
	}
	ns := netns.New(t)
	kh := &Host{Host: h, NS: ns}
	var ifaces [2]string
	for i, name := range []string{"eth0", "eth1"} {
		sw, _ := netns.Veth(t, netns.End{}, netns.End{NS: ns, Name: name, MAC: h.MAC})
		if err := QuietIPv6(sw.Name); err != nil {
			t.Fatal(err)
		}
		ifaces[i] = sw.Name
	}
	if err := kh.configure(); err != nil {
		t.Fatalf("kernelhosts: %s: %v", h.Name, err)
	}
	stop, err := kh.follow(o.UpDelay)
	if err != nil {
		t.Fatalf("kernelhosts: %s: %v", h.Name, err)
	}
	t.Cleanup(stop)
	for _, p := range []uint16{h.UDPPort, ProbePort} {
		c, err := ns.ListenUDP(netip.AddrPortFrom(h.IP, p))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		kh.conns = append(kh.conns, c)
	}
	return kh, ifaces
}

// configure gives the host its address, routes, neighbours and the
// sysctls that make it fail over to eth1.
func (h *Host) configure() error {
	ip := h.Host.IP.String()
	cmds := [][]string{
		{"ip", "addr", "add", ip + "/32", "dev", "lo"},
		{"ip", "route", "add", network.String(), "dev", "eth0", "metric", "1000", "src", ip},
		{"ip", "route", "add", network.String(), "dev", "eth1", "metric", "1001", "src", ip},
	}
	for _, o := range netdemo.Hosts {
		if o.Name == h.Host.Name {
			continue
		}
		for _, dev := range []string{"eth0", "eth1"} {
			cmds = append(cmds, []string{"ip", "neigh", "replace", o.IP.String(), "lladdr", o.MAC.String(), "dev", dev, "nud", "permanent"})
		}
	}
	err := h.NS.Do(func() error {
		for _, dev := range []string{"all", "default", "eth0", "eth1"} {
			for k, v := range map[string]string{"ignore_routes_with_linkdown": "1", "rp_filter": "0"} {
				f := filepath.Join("/proc/sys/net/ipv4/conf", dev, k)
				if err := os.WriteFile(f, []byte(v), 0o644); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, c := range cmds {
		if out, err := h.NS.Exec(ctx, c[0], c[1:]...); err != nil {
			return fmt.Errorf("%s: %w: %s", strings.Join(c, " "), err, out)
		}
	}
	return nil
}

// follow watches the host's links and, when one has had carrier for
// upDelay, makes its route the preferred one (a metric below the
// other's); it returns how to stop.
func (h *Host) follow(upDelay time.Duration) (func(), error) {
	nl, err := h.NS.Netlink()
	if err != nil {
		return nil, err
	}
	ch, done := make(chan netlink.LinkUpdate, 64), make(chan struct{})
	ns := h.NS.Handle()
	if err := netlink.LinkSubscribeWithOptions(ch, done, netlink.LinkSubscribeOptions{Namespace: &ns}); err != nil {
		nl.Close()
		return nil, err
	}
	metric := map[string]int{"eth0": 1000, "eth1": 1001}
	index := map[string]int{}
	up := map[string]bool{}
	for name := range metric {
		if l, err := nl.LinkByName(name); err == nil {
			up[name], index[name] = l.Attrs().RawFlags&unix.IFF_LOWER_UP != 0, l.Attrs().Index
		}
	}
	next := 999
	take := func(name string) { // name's link takes over
		// A link set down administratively (lime agent takes a bmv2 port
		// down at this far end) lost its neighbours and its route.
		for _, o := range netdemo.Hosts {
			if o.Name != h.Host.Name {
				nl.NeighSet(&netlink.Neigh{LinkIndex: index[name], Family: netlink.FAMILY_V4, State: netlink.NUD_PERMANENT,
					IP: o.IP.AsSlice(), HardwareAddr: o.MAC})
			}
		}
		r := netlink.Route{LinkIndex: index[name], Dst: network, Src: h.Host.IP.AsSlice(), Scope: netlink.SCOPE_LINK, Priority: next}
		if err := nl.RouteAdd(&r); err == nil {
			r.Priority = metric[name]
			nl.RouteDel(&r)
			metric[name], next = next, next-1
		}
	}
	due := make(chan string, 4)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case u, ok := <-ch:
				if !ok {
					return
				}
				name := u.Attrs().Name
				if _, ours := metric[name]; !ours {
					continue
				}
				now := u.Attrs().RawFlags&unix.IFF_LOWER_UP != 0
				if now && !up[name] { // its link came up: it takes over, after upDelay
					if upDelay <= 0 {
						take(name)
					} else {
						time.AfterFunc(upDelay, func() {
							select {
							case due <- name:
							case <-done:
							}
						})
					}
				}
				up[name] = now
			case name := <-due:
				if up[name] {
					take(name)
				}
			}
		}
	}()
	return func() { close(done); <-stopped; nl.Close() }, nil
}

// QuietIPv6 keeps the kernel from sending router solicitations and MLD
// reports out of an interface in this process's namespace (a switch's end
// of a link).
func QuietIPv6(ifname string) error {
	f := filepath.Join("/proc/sys/net/ipv6/conf", ifname, "disable_ipv6")
	if err := os.WriteFile(f, []byte("1"), 0o644); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("kernelhosts: disable IPv6 on %s: %w", ifname, err)
	}
	return nil
}

// Send sends datagram seq to host to on its port dport, from the host's
// own port, through the kernel (netdemo.Sender).
func (h *Host) Send(to netdemo.Host, dport uint16, seq uint64) error {
	_, err := h.conns[0].WriteToUDPAddrPort(netdemo.Payload(h.Host, to, seq), netip.AddrPortFrom(to.IP, dport))
	return err
}

// OnOld reports whether the host sends through its old switch: the route
// the kernel picks for the hosts' network goes out of eth0.
func (h *Host) OnOld() bool {
	nl, err := h.NS.Netlink()
	if err != nil {
		return false
	}
	defer nl.Close()
	rs, err := nl.RouteGet(network.IP.To4())
	if err != nil || len(rs) == 0 {
		return false
	}
	l, err := nl.LinkByIndex(rs[0].LinkIndex)
	return err == nil && l.Attrs().Name == "eth0"
}

// Listen passes the datagrams the host receives, on its port and on
// ProbePort, to f until ctx ends.
func (h *Host) Listen(ctx context.Context, f func(netdemo.Datagram, bool)) {
	done := make(chan struct{}, len(h.conns))
	for i, c := range h.conns {
		port := h.Host.UDPPort
		if i == 1 {
			port = ProbePort
		}
		go func() {
			defer func() { done <- struct{}{} }()
			buf := make([]byte, 2048)
			for ctx.Err() == nil {
				c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
				n, from, err := c.ReadFromUDPAddrPort(buf)
				if err != nil {
					if errors.Is(err, os.ErrDeadlineExceeded) {
						continue
					}
					return
				}
				d, ok := netdemo.ParsePayload(buf[:n])
				if !ok {
					continue
				}
				d.SPort, d.DPort = from.Port(), port
				f(d, false)
			}
		}()
	}
	for range h.conns {
		<-done
	}
}
