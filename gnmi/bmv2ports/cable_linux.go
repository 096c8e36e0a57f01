//go:build linux

package bmv2ports

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// cable is the far end of a port's link: the peer of its veth interface,
// whose admin state takes the link down without touching the interface
// bmv2 reads (bmv2 1.15.5 stops reading every port while one of its
// interfaces is administratively down).
type cable struct {
	Iface     string // the peer's name
	Namespace string // the peer's namespace path ("" the agent's own)
}

func (c *cable) String() string {
	if c == nil {
		return "none"
	}
	return fmt.Sprintf("%s in %s", c.Iface, nsDesc(c.Namespace))
}

// findCable finds the far end of sp's interface: nil when it is no veth,
// or its peer lives in a namespace the agent cannot name (neither its own,
// sp's, nor one in /var/run/netns).
func findCable(sp Port) (*cable, error) {
	h, closeH, err := handleIn(sp.Namespace)
	if err != nil {
		return nil, err
	}
	defer closeH()
	l, err := h.LinkByName(sp.Iface)
	if err != nil {
		return nil, err
	}
	if _, ok := l.(*netlink.Veth); !ok || l.Attrs().ParentIndex == 0 {
		return nil, nil
	}
	peer := l.Attrs().ParentIndex
	if id := l.Attrs().NetNsID; id < 0 { // the peer is in the same namespace
		return peerIn(sp.Namespace, peer)
	}
	candidates := []string{"/proc/1/ns/net"}
	if ents, err := os.ReadDir("/var/run/netns"); err == nil {
		for _, e := range ents {
			candidates = append(candidates, filepath.Join("/var/run/netns", e.Name()))
		}
	}
	for _, path := range candidates {
		ns, err := netns.GetFromPath(path)
		if err != nil {
			continue
		}
		id, err := h.GetNetNsIdByFd(int(ns))
		ns.Close()
		if err == nil && id == l.Attrs().NetNsID {
			if path == "/proc/1/ns/net" && sp.Namespace != "" {
				path = "" // the agent's own (the initial namespace)
			}
			return peerIn(path, peer)
		}
	}
	return nil, nil
}

// peerIn names interface index in namespace ns.
func peerIn(ns string, index int) (*cable, error) {
	h, closeH, err := handleIn(ns)
	if err != nil {
		return nil, err
	}
	defer closeH()
	l, err := h.LinkByIndex(index)
	if err != nil {
		return nil, nil // gone, or not where expected
	}
	return &cable{Iface: l.Attrs().Name, Namespace: ns}, nil
}

// handleIn is a netlink handle in namespace ns ("" the agent's own).
func handleIn(ns string) (*netlink.Handle, func(), error) {
	if ns == "" {
		h, err := netlink.NewHandle()
		if err != nil {
			return nil, nil, err
		}
		return h, h.Close, nil
	}
	nh, err := netns.GetFromPath(ns)
	if err != nil {
		return nil, nil, err
	}
	h, err := netlink.NewHandleAt(nh)
	if err != nil {
		nh.Close()
		return nil, nil, err
	}
	return h, func() { h.Close(); nh.Close() }, nil
}

// setCable sets the far end of a port's link up or down.
func setCable(c *cable, up bool) error {
	h, closeH, err := handleIn(c.Namespace)
	if err != nil {
		return err
	}
	defer closeH()
	l, err := h.LinkByName(c.Iface)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return fmt.Errorf("%w: the far end %s", ErrNoLink, c)
		}
		return err
	}
	if up {
		return h.LinkSetUp(l)
	}
	return h.LinkSetDown(l)
}

// cableUp reports whether the far end is administratively up.
func cableUp(c *cable) (bool, error) {
	h, closeH, err := handleIn(c.Namespace)
	if err != nil {
		return false, err
	}
	defer closeH()
	l, err := h.LinkByName(c.Iface)
	if err != nil {
		return false, err
	}
	return l.Attrs().Flags&(1<<0) != 0, nil // net.FlagUp
}
