//go:build linux

package netns

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"testing"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
)

// End is one end of a veth pair.
type End struct {
	// NS is the namespace the end lives in; nil means the test process's
	// own namespace, where no address may be set.
	NS *Namespace
	// Name is the interface name (at most 15 bytes). Empty: a unique name
	// is made (needed for ends in the process's own namespace, which other
	// tests share).
	Name string
	// MAC is the hardware address; nil lets the kernel choose one.
	MAC net.HardwareAddr
	// Addr is an IPv4 or IPv6 address with its prefix length, set on the
	// interface; the zero Prefix sets none.
	Addr netip.Prefix
	// KeepOffloads leaves TX checksum, TSO, GSO and GRO as the kernel sets
	// them. By default they are turned off, as bmv2's veth_setup.sh does,
	// so frames read from an AF_PACKET socket are complete and MTU-sized.
	KeepOffloads bool
}

// Veth makes a veth pair joining a and b, sets MACs and addresses, brings
// both ends up, and deletes the pair when the test ends. It returns the
// ends with their names filled in.
func Veth(t testing.TB, a, b End) (End, End) {
	t.Helper()
	if err := Check(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	a, b, del, err := MakeVeth(a, b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := del(); err != nil {
			t.Errorf("netns: %v", err)
		}
	})
	return a, b
}

// MakeVeth is Veth without the test: it returns a function that deletes
// the pair.
func MakeVeth(a, b End) (End, End, func() error, error) {
	for _, e := range []*End{&a, &b} {
		if e.Name == "" {
			e.Name = fmt.Sprintf("lv%dx%d", os.Getpid(), seq.Add(1))
		}
		if len(e.Name) > 15 {
			return a, b, nil, fmt.Errorf("netns: interface name %q is longer than 15 bytes", e.Name)
		}
		if e.NS == nil && e.Addr.IsValid() {
			return a, b, nil, fmt.Errorf("netns: refusing to set address %v on %s outside a namespace the test made", e.Addr, e.Name)
		}
	}
	// Create the pair from a's namespace with b's end placed in b's.
	if a.NS == nil && b.NS != nil {
		rb, ra, del, err := MakeVeth(b, a)
		return ra, rb, del, err
	}
	ha, err := handleFor(a.NS)
	if err != nil {
		return a, b, nil, err
	}
	defer ha.Close()
	veth := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: a.Name, HardwareAddr: a.MAC},
		PeerName:         b.Name,
		PeerHardwareAddr: b.MAC,
	}
	if b.NS != a.NS {
		var fd vnetns.NsHandle
		if b.NS != nil {
			fd = b.NS.h
		} else {
			own, err := vnetns.GetFromPid(os.Getpid())
			if err != nil {
				return a, b, nil, fmt.Errorf("netns: own namespace: %w", err)
			}
			defer own.Close()
			fd = own
		}
		veth.PeerNamespace = netlink.NsFd(fd)
	}
	if err := ha.LinkAdd(veth); err != nil {
		return a, b, nil, fmt.Errorf("netns: add veth %s (%s) - %s (%s): %w", a.Name, a.NS, b.Name, b.NS, err)
	}
	del := func() error {
		h, err := handleFor(a.NS)
		if err != nil {
			return err
		}
		defer h.Close()
		l, err := h.LinkByName(a.Name)
		if err != nil {
			var nf netlink.LinkNotFoundError
			if errors.As(err, &nf) {
				return nil // gone with its namespace
			}
			return fmt.Errorf("delete veth %s: %w", a.Name, err)
		}
		if err := h.LinkDel(l); err != nil {
			return fmt.Errorf("delete veth %s: %w", a.Name, err)
		}
		return nil
	}
	for _, e := range []End{a, b} {
		if err := setUp(e); err != nil {
			return a, b, nil, errors.Join(err, del())
		}
	}
	return a, b, del, nil
}

func handleFor(ns *Namespace) (*netlink.Handle, error) {
	if ns == nil {
		h, err := netlink.NewHandle()
		if err != nil {
			return nil, fmt.Errorf("netns: netlink: %w", err)
		}
		return h, nil
	}
	return ns.Netlink()
}

// setUp configures one end: offloads, address, link up.
func setUp(e End) error {
	h, err := handleFor(e.NS)
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(e.Name)
	if err != nil {
		return fmt.Errorf("netns: veth end %s: %w", e.Name, err)
	}
	if !e.KeepOffloads {
		off := func() error { return setOffloads(e.Name, false) }
		if e.NS != nil {
			err = e.NS.Do(off)
		} else {
			err = off()
		}
		if err != nil {
			return fmt.Errorf("netns: %s: %w", e.Name, err)
		}
	}
	if e.Addr.IsValid() {
		ipn := &net.IPNet{IP: e.Addr.Addr().AsSlice(), Mask: net.CIDRMask(e.Addr.Bits(), e.Addr.Addr().BitLen())}
		if err := h.AddrAdd(l, &netlink.Addr{IPNet: ipn}); err != nil {
			return fmt.Errorf("netns: address %v on %s: %w", e.Addr, e.Name, err)
		}
	}
	if err := h.LinkSetUp(l); err != nil {
		return fmt.Errorf("netns: %s up: %w", e.Name, err)
	}
	return nil
}
