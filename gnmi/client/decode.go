package client

import (
	"fmt"
	"sort"

	"github.com/lime-p4/lime/gnmi"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
)

// ifaceLeaf splits an update's full path (prefix and path) into the
// interface name and the path below the interface.
func ifaceLeaf(prefix, p *gpb.Path) (string, []string, error) {
	elems := append(append([]*gpb.PathElem{}, prefix.GetElem()...), p.GetElem()...)
	if len(elems) < 2 || elems[0].GetName() != "interfaces" || elems[1].GetName() != "interface" {
		return "", nil, fmt.Errorf("%w: %s", errNoName, gnmi.PathString(&gpb.Path{Elem: elems}))
	}
	name := elems[1].GetKey()["name"]
	if name == "" {
		return "", nil, fmt.Errorf("%w: %s", errNoName, gnmi.PathString(&gpb.Path{Elem: elems}))
	}
	rel := make([]string, 0, len(elems)-2)
	for _, e := range elems[2:] {
		rel = append(rel, e.GetName())
	}
	return name, rel, nil
}

// counterFields maps the counters' leaf names to Counters fields.
var counterFields = map[string]func(*gnmi.Counters) *uint64{
	"in-octets":           func(c *gnmi.Counters) *uint64 { return &c.InOctets },
	"in-pkts":             func(c *gnmi.Counters) *uint64 { return &c.InPkts },
	"in-unicast-pkts":     func(c *gnmi.Counters) *uint64 { return &c.InUnicastPkts },
	"in-broadcast-pkts":   func(c *gnmi.Counters) *uint64 { return &c.InBroadcastPkts },
	"in-multicast-pkts":   func(c *gnmi.Counters) *uint64 { return &c.InMulticastPkts },
	"in-discards":         func(c *gnmi.Counters) *uint64 { return &c.InDiscards },
	"in-errors":           func(c *gnmi.Counters) *uint64 { return &c.InErrors },
	"in-unknown-protos":   func(c *gnmi.Counters) *uint64 { return &c.InUnknownProtos },
	"in-fcs-errors":       func(c *gnmi.Counters) *uint64 { return &c.InFCSErrors },
	"out-octets":          func(c *gnmi.Counters) *uint64 { return &c.OutOctets },
	"out-pkts":            func(c *gnmi.Counters) *uint64 { return &c.OutPkts },
	"out-unicast-pkts":    func(c *gnmi.Counters) *uint64 { return &c.OutUnicastPkts },
	"out-broadcast-pkts":  func(c *gnmi.Counters) *uint64 { return &c.OutBroadcastPkts },
	"out-multicast-pkts":  func(c *gnmi.Counters) *uint64 { return &c.OutMulticastPkts },
	"out-discards":        func(c *gnmi.Counters) *uint64 { return &c.OutDiscards },
	"out-errors":          func(c *gnmi.Counters) *uint64 { return &c.OutErrors },
	"carrier-transitions": func(c *gnmi.Counters) *uint64 { return &c.CarrierTransitions },
}

// decodeInterfaces gathers the leaves of PROTO notifications by interface.
// Leaves it does not know are skipped.
func decodeInterfaces(ns []*gpb.Notification) ([]gnmi.PortState, error) {
	byName := map[string]*gnmi.PortState{}
	for _, n := range ns {
		for _, u := range n.GetUpdate() {
			name, rel, err := ifaceLeaf(n.GetPrefix(), u.GetPath())
			if err != nil {
				return nil, err
			}
			p := byName[name]
			if p == nil {
				p = &gnmi.PortState{Name: name}
				byName[name] = p
			}
			v := u.GetVal()
			switch {
			case len(rel) == 2 && rel[0] == "state" && rel[1] == "id":
				p.ID = uint32(v.GetUintVal())
			case len(rel) == 2 && rel[0] == "state" && rel[1] == "enabled":
				p.Enabled = v.GetBoolVal()
			case len(rel) == 2 && rel[0] == "state" && rel[1] == "oper-status":
				p.Oper = gnmi.OperStatus(v.GetStringVal())
			case len(rel) == 3 && rel[0] == "state" && rel[1] == "counters":
				if f := counterFields[rel[2]]; f != nil {
					*f(&p.Counters) = v.GetUintVal()
				}
			}
		}
	}
	out := make([]gnmi.PortState, 0, len(byName))
	for _, p := range byName {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
