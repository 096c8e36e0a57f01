package bmv2ports

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/lime-p4/lime/bmv2/thrift"
)

// Port is one port of the bmv2 switch as the agent serves it.
type Port struct {
	// Name is the OpenConfig interface name (the list key clients use).
	Name string
	// ID is the bmv2 port number, which is also the P4Runtime port id
	// (state/id). bmv2's Thrift API carries it as i32, so it must be at
	// most 2^31-1.
	ID uint32
	// Iface is the Linux interface bmv2 attaches as the port.
	Iface string
	// Namespace is the path of the network namespace holding Iface
	// (/var/run/netns/NAME, /proc/PID/ns/net); empty is the agent's own.
	Namespace string
}

// DevMgr is the part of bmv2's Thrift runtime API the backend calls:
// *thrift.Client satisfies it (and so does any thrift.Backend).
type DevMgr interface {
	// DevMgrAddPort is bm_dev_mgr_add_port: attach iface as port.
	DevMgrAddPort(ctx context.Context, iface string, port int32, pcapPath string) error
	// DevMgrRemovePort is bm_dev_mgr_remove_port.
	DevMgrRemovePort(ctx context.Context, port int32) error
	// DevMgrShowPorts is bm_dev_mgr_show_ports.
	DevMgrShowPorts(ctx context.Context) ([]thrift.PortInfo, error)
}

var _ DevMgr = (*thrift.Client)(nil)

// maxIfaceName is IFNAMSIZ-1, the longest Linux interface name.
const maxIfaceName = 15

// ValidatePorts checks a port list before anything is opened: at least one
// port; every name, interface and id present and well formed; no name, id
// or interface (in one namespace) given twice. The error names the port.
func ValidatePorts(ports []Port) error {
	if len(ports) == 0 {
		return errors.New("bmv2ports: no ports to serve")
	}
	type ifaceKey struct{ ns, iface string }
	names := map[string]int{}
	ids := map[uint32]int{}
	ifaces := map[ifaceKey]int{}
	for i, p := range ports {
		switch {
		case p.Name == "":
			return fmt.Errorf("bmv2ports: port %d (id %d, interface %q): empty name", i, p.ID, p.Iface)
		case p.ID > math.MaxInt32:
			return fmt.Errorf("bmv2ports: port %q: id %d does not fit bmv2's port numbers (i32)", p.Name, p.ID)
		}
		if err := checkIfaceName(p.Iface); err != nil {
			return fmt.Errorf("bmv2ports: port %q: %w", p.Name, err)
		}
		if j, dup := names[p.Name]; dup {
			return fmt.Errorf("bmv2ports: port name %q given twice (ports %d and %d)", p.Name, j, i)
		}
		if j, dup := ids[p.ID]; dup {
			return fmt.Errorf("bmv2ports: port id %d given twice (ports %q and %q)", p.ID, ports[j].Name, p.Name)
		}
		k := ifaceKey{p.Namespace, p.Iface}
		if j, dup := ifaces[k]; dup {
			return fmt.Errorf("bmv2ports: interface %q in %s given twice (ports %q and %q)", p.Iface, nsDesc(p.Namespace), ports[j].Name, p.Name)
		}
		names[p.Name], ids[p.ID], ifaces[k] = i, i, i
	}
	return nil
}

// checkIfaceName applies the kernel's rules for interface names
// (dev_valid_name): 1 to 15 bytes, not "." or "..", no '/', ':' or space.
func checkIfaceName(name string) error {
	switch {
	case name == "":
		return errors.New("empty interface name")
	case len(name) > maxIfaceName:
		return fmt.Errorf("interface name %q is longer than %d bytes", name, maxIfaceName)
	case name == "." || name == "..":
		return fmt.Errorf("interface name %q is not allowed", name)
	case strings.ContainsAny(name, "/: \t\n\r\v\f"):
		return fmt.Errorf("interface name %q contains '/', ':' or white space", name)
	}
	return nil
}

// nsDesc names a namespace for messages.
func nsDesc(ns string) string {
	if ns == "" {
		return "the agent's network namespace"
	}
	return "network namespace " + ns
}
