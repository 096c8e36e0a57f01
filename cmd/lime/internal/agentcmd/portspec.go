package agentcmd

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lime-p4/lime/gnmi/bmv2ports"
)

// parsePort reads one --port value: NAME=ID@IFACE, or ID@IFACE with the
// name defaulting to IFACE. ID is the bmv2 port number (the P4Runtime port
// id). A '=' after the first '@' belongs to the interface name.
func parsePort(spec string) (bmv2ports.Port, error) {
	bad := func(why string) error {
		return fmt.Errorf("--port %q: %s (want NAME=ID@IFACE or ID@IFACE, e.g. h1=1@veth0)", spec, why)
	}
	var p bmv2ports.Port
	rest := spec
	eq, at := strings.IndexByte(spec, '='), strings.IndexByte(spec, '@')
	if eq >= 0 && (at < 0 || eq < at) {
		p.Name, rest = spec[:eq], spec[eq+1:]
		if p.Name == "" {
			return p, bad("empty name before '='")
		}
	}
	idText, iface, ok := strings.Cut(rest, "@")
	if !ok {
		return p, bad("no '@' between the port id and the interface")
	}
	if iface == "" {
		return p, bad("no interface after '@'")
	}
	id, err := strconv.ParseUint(idText, 10, 31)
	if err != nil {
		return p, bad(fmt.Sprintf("port id %q is not a number from 0 to 2147483647", idText))
	}
	p.ID, p.Iface = uint32(id), iface
	if p.Name == "" {
		p.Name = iface
	}
	return p, nil
}

// parsePorts reads every --port value, all in namespace ns, and refuses a
// name, id or interface given twice, naming both flags.
func parsePorts(specs []string, ns string) ([]bmv2ports.Port, error) {
	if len(specs) == 0 {
		return nil, fmt.Errorf("no --port given: name at least one port as NAME=ID@IFACE or ID@IFACE")
	}
	ports := make([]bmv2ports.Port, 0, len(specs))
	names, ids, ifaces := map[string]string{}, map[uint32]string{}, map[string]string{}
	for _, spec := range specs {
		p, err := parsePort(spec)
		if err != nil {
			return nil, err
		}
		if prev, dup := names[p.Name]; dup {
			return nil, fmt.Errorf("--port %q: name %q already given by --port %q", spec, p.Name, prev)
		}
		if prev, dup := ids[p.ID]; dup {
			return nil, fmt.Errorf("--port %q: port id %d already given by --port %q", spec, p.ID, prev)
		}
		if prev, dup := ifaces[p.Iface]; dup {
			return nil, fmt.Errorf("--port %q: interface %q already given by --port %q", spec, p.Iface, prev)
		}
		names[p.Name], ids[p.ID], ifaces[p.Iface] = spec, spec, spec
		p.Namespace = ns
		ports = append(ports, p)
	}
	if err := bmv2ports.ValidatePorts(ports); err != nil {
		return nil, fmt.Errorf("--port: %w", err)
	}
	return ports, nil
}
