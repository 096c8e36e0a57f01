//go:build linux

package netns

import (
	"net"
	"testing"

	"github.com/vishvananda/netlink"
)

// withLink runs fn with a netlink handle in n and the link called name,
// failing the test on any error.
func (n *Namespace) withLink(t testing.TB, name string, fn func(*netlink.Handle, netlink.Link) error) {
	t.Helper()
	h, err := n.Netlink()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	l, err := h.LinkByName(name)
	if err != nil {
		t.Fatalf("netns %s: %v", n.name, err)
	}
	if err := fn(h, l); err != nil {
		t.Fatalf("netns %s: link %s: %v", n.name, name, err)
	}
}

// SetLinkUp sets interface name of n administratively up or down, behind
// the back of whatever serves it.
func (n *Namespace) SetLinkUp(t testing.TB, name string, up bool) {
	t.Helper()
	n.withLink(t, name, func(h *netlink.Handle, l netlink.Link) error {
		if up {
			return h.LinkSetUp(l)
		}
		return h.LinkSetDown(l)
	})
}

// Link returns interface name of n as the kernel describes it now.
func (n *Namespace) Link(t testing.TB, name string) netlink.Link {
	t.Helper()
	var link netlink.Link
	n.withLink(t, name, func(_ *netlink.Handle, l netlink.Link) error {
		link = l
		return nil
	})
	return link
}

// LinkUp says whether interface name of n is administratively up.
func (n *Namespace) LinkUp(t testing.TB, name string) bool {
	t.Helper()
	return n.Link(t, name).Attrs().Flags&net.FlagUp != 0
}

// DeleteLink removes interface name from n (a veth's peer goes with it).
func (n *Namespace) DeleteLink(t testing.TB, name string) {
	t.Helper()
	n.withLink(t, name, func(h *netlink.Handle, l netlink.Link) error { return h.LinkDel(l) })
}
