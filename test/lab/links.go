//go:build linux

package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lime-p4/lime/bmv2/sim/port"
	"github.com/lime-p4/lime/internal/netns"
)

// linkUpTimeout bounds the wait for a host's link to come up.
const linkUpTimeout = 10 * time.Second

// hostQueue is how many received frames a veth host keeps.
const hostQueue = 256

// vethLink is one port's veth pair: the switch's end in the test process's
// namespace, the host's end in the switch's host namespace.
type vethLink struct {
	switchEnd string // interface name in this process's namespace
	hostEnd   string // interface name inside hostNS
	hostNS    *netns.Namespace
}

// makeVeths makes one veth pair per port, the host ends in one new
// namespace, and removes them when the test ends. It skips the test when
// veth pairs cannot be made here (not root).
func makeVeths(t testing.TB, ports []uint32) map[uint32]vethLink {
	t.Helper()
	if err := netns.Check(); err != nil {
		t.Skipf("skipping: veth links between switch ports and test hosts need root: %v", err)
	}
	ns := netns.New(t)
	out := map[uint32]vethLink{}
	for _, p := range ports {
		sw, host := netns.Veth(t, netns.End{}, netns.End{NS: ns, Name: fmt.Sprintf("eth%d", p)})
		if err := disableIPv6(sw.Name); err != nil {
			t.Fatal(err)
		}
		out[p] = vethLink{switchEnd: sw.Name, hostEnd: host.Name, hostNS: ns}
	}
	return out
}

// disableIPv6 keeps the kernel from sending router solicitations and MLD
// reports out of an interface of this process's namespace, which would
// reach the switch and the test hosts as stray frames.
func disableIPv6(ifname string) error {
	f := filepath.Join("/proc/sys/net/ipv6/conf", ifname, "disable_ipv6")
	if err := os.WriteFile(f, []byte("1"), 0o644); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("lab: disable IPv6 on %s: %w", ifname, err)
	}
	return nil
}

// vethHost is a test host on the host end of a veth: a NIC (a
// bmv2/sim/port Port used as the host's interface) bound to the interface
// with AF_PACKET. Frames the switch sends arrive in a queue; Send transmits
// through the NIC.
type vethHost struct {
	nic   *port.Port
	iface *port.Iface
	rx    chan []byte
}

// attachVethHost plugs a test host into the host end of l; it is unplugged
// when the test ends. It waits (bounded) until the link is up.
func attachVethHost(t testing.TB, name string, id uint32, l vethLink) Host {
	t.Helper()
	nic, err := port.New(name, id)
	if err != nil {
		t.Fatal(err)
	}
	h := &vethHost{nic: nic, rx: make(chan []byte, hostQueue)}
	nic.SetHandler(func(_ *port.Port, frame []byte) {
		select {
		case h.rx <- frame:
		default: // full: the test reads far less than this
		}
	})
	h.iface, err = port.AttachInterface(nic, l.hostEnd, port.InNamespace(l.hostNS.Path()),
		port.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("lab: host %s on %s in %s: %v", name, l.hostEnd, l.hostNS, err)
	}
	t.Cleanup(func() { h.iface.Close() })
	deadline := time.Now().Add(linkUpTimeout)
	for nic.Oper() != port.OperUp {
		if time.Now().After(deadline) {
			t.Fatalf("lab: host %s: link %s still %v after %v", name, l.hostEnd, nic.Oper(), linkUpTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return h
}

// Send transmits a frame on the host's interface.
func (h *vethHost) Send(frame []byte) error { return h.nic.Transmit(frame) }

// Recv returns the next frame the switch sent, waiting until ctx is done.
func (h *vethHost) Recv(ctx context.Context) ([]byte, error) {
	select {
	case f := <-h.rx:
		return f, nil
	default:
	}
	select {
	case f := <-h.rx:
		return f, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("host %s: no frame received: %w", h.nic.Name(), ctx.Err())
	}
}

// Pending returns how many received frames are queued.
func (h *vethHost) Pending() int { return len(h.rx) }
