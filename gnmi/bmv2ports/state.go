package bmv2ports

import (
	"fmt"
	"maps"

	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/gnmi"
)

// attachment is what bmv2's device manager says of one served port.
type attachment struct {
	attached bool   // its number is attached to its interface
	up       bool   // and bmv2 reports it up (is_up)
	conflict string // why bmv2 holds its number or interface otherwise; "" if not
}

// view is one reading of bm_dev_mgr_show_ports, per served port name.
type view struct {
	known bool // the Thrift server answered
	ports map[string]attachment
}

func (v view) equal(w view) bool {
	return v.known == w.known && maps.Equal(v.ports, w.ports)
}

// viewOf reads the served ports out of bmv2's port list.
func viewOf(ports []Port, infos []thrift.PortInfo) view {
	byNum := make(map[int32]thrift.PortInfo, len(infos))
	byIface := make(map[string]thrift.PortInfo, len(infos))
	for _, pi := range infos {
		byNum[pi.Port] = pi
		byIface[pi.Iface] = pi
	}
	v := view{known: true, ports: make(map[string]attachment, len(ports))}
	for _, p := range ports {
		var a attachment
		num := int32(p.ID) // ValidatePorts keeps ids within i32
		if pi, ok := byNum[num]; ok {
			if pi.Iface == p.Iface {
				a.attached, a.up = true, pi.IsUp
			} else {
				a.conflict = fmt.Sprintf("bmv2 has port %d attached to interface %q, not %q", num, pi.Iface, p.Iface)
			}
		} else if pi, ok := byIface[p.Iface]; ok {
			a.conflict = fmt.Sprintf("bmv2 has interface %q attached as port %d, not %d", p.Iface, pi.Port, num)
		}
		v.ports[p.Name] = a
	}
	return v
}

// unknownView is the view while the Thrift server does not answer.
func unknownView() view { return view{} }

// oper is a port's oper-status from its link (nil when the interface does
// not exist) and bmv2's view of it: UP only when both are up.
func oper(link *gnmi.PortState, bmv2Known bool, a attachment) gnmi.OperStatus {
	switch {
	case link == nil:
		return gnmi.OperNotPresent
	case link.Oper != gnmi.OperUp:
		return link.Oper
	case !bmv2Known:
		return gnmi.OperUnknown
	case !a.attached || !a.up:
		return gnmi.OperDown
	}
	return gnmi.OperUp
}
