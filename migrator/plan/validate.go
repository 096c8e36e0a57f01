package plan

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
)

// Validate checks that the plan holds together (Parse does it; a plan that
// arrives as JSON is checked again): every device once, with a target no
// other device uses; every mapped port with one role (host, link, CPU); each
// link's peer in the plan and linking back; a trunk per device that is no
// port of the virtual device; every host in exactly one group. It fills
// defaults (the CPU port, Parallel). The error lists every problem with its
// file line.
func (p *Plan) Validate() error { return p.validate().err() }

func (p *Plan) validate() problems {
	var ps problems
	if len(p.Devices) == 0 {
		ps.add(p.Where(0), "no devices: a plan moves at least one virtual device")
		return ps
	}
	switch {
	case p.Parallel < 0:
		ps.add(p.Where(0), "parallel %d: want a positive bound on the device steps that run at once", p.Parallel)
	case p.Parallel == 0:
		p.Parallel = DefaultParallel
	}
	byVID := map[uint64]*Device{}
	targets := map[string]uint64{}
	thrifts := map[string]uint64{}
	var devs []*Device // those whose links and hosts are checked
	for i := range p.Devices {
		d := &p.Devices[i]
		at := p.Where(d.Lines.Device)
		if d.VID == 0 {
			ps.add(at, "device %d of the plan has no vid (the virtual device's id at the proxy)", i+1)
			continue
		}
		if o := byVID[d.VID]; o != nil {
			ps.add(at, "device %d is in the plan twice (first at line %d)", d.VID, o.Lines.Device)
			continue
		}
		byVID[d.VID] = d
		devs = append(devs, d)
		ps = append(ps, p.validateDevice(d, targets, thrifts)...)
	}
	for _, d := range devs {
		for _, lp := range d.LinkPorts() {
			ps = append(ps, p.validateLink(d, lp, byVID)...)
		}
	}
	ps = append(ps, p.validateGroups(devs, byVID)...)
	for _, g := range p.PauseAfter {
		if g < 1 || g > len(p.Groups) {
			ps.add(p.Where(p.PauseAfterLine), "pause_after %d: the plan has groups 1 to %d", g, len(p.Groups))
		}
	}
	return ps
}

// validateDevice checks one device's target, ports, roles and trunk.
func (p *Plan) validateDevice(d *Device, targets, thrifts map[string]uint64) problems {
	var ps problems
	l := &d.Lines
	to := p.Where(cmp.Or(l.To, l.Device))
	if d.To.Addr == "" {
		ps.add(to, "device %d: no target address (to: {addr: HOST:PORT, device_id: N})", d.VID)
	} else {
		key := fmt.Sprintf("%s/%d", d.To.Addr, d.To.DeviceID)
		if o, dup := targets[key]; dup {
			ps.add(to, "device %d: target %s (device id %d) is the target of device %d too", d.VID, d.To.Addr, d.To.DeviceID, o)
		}
		targets[key] = d.VID
	}
	if d.To.Thrift != "" {
		if o, dup := thrifts[d.To.Thrift]; dup {
			ps.add(to, "device %d: target Thrift %s is the target Thrift of device %d too", d.VID, d.To.Thrift, o)
		}
		thrifts[d.To.Thrift] = d.VID
	}
	if len(d.Ports) == 0 {
		ps.add(p.Where(cmp.Or(l.Ports, l.Device)), "device %d: no ports: map every port of the source to the target's (ports: {1: 11, ...})", d.VID)
	}
	back := map[uint64]uint64{}
	for _, v := range sortedKeys(d.Ports) {
		t := d.Ports[v]
		if o, dup := back[t]; dup {
			ps.add(p.Where(l.port(v)), "device %d: ports %d and %d both map to target port %d", d.VID, o, v, t)
		}
		back[t] = v
	}
	role := map[uint64]string{}
	give := func(port uint64, r string, line int) {
		if _, ok := d.Ports[port]; !ok {
			ps.add(p.Where(line), "device %d: %s port %d is not in its ports (map it to the target's)", d.VID, r, port)
			return
		}
		if o := role[port]; o != "" {
			ps.add(p.Where(line), "device %d: port %d is a %s port and a %s port; a port has one role", d.VID, port, o, r)
			return
		}
		role[port] = r
	}
	for _, h := range d.Hosts {
		give(h, "host", l.Hosts)
	}
	for _, lp := range d.LinkPorts() {
		give(lp, "link", l.link(lp))
	}
	if len(d.CPU) == 0 {
		if _, ok := d.Ports[DefaultCPUPort]; ok && role[DefaultCPUPort] == "" {
			d.CPU = []uint64{DefaultCPUPort}
		}
	}
	for _, c := range d.CPU {
		give(c, "CPU", l.CPU)
	}
	for _, v := range sortedKeys(d.Ports) {
		if role[v] == "" {
			ps.add(p.Where(l.port(v)), "device %d: port %d has no role: list it under hosts, links or cpu", d.VID, v)
		}
	}
	tl := p.Where(cmp.Or(l.Trunk, l.Device))
	switch t := d.Trunk; {
	case t == nil:
		ps.add(tl, "device %d: no trunk (trunk: SOURCE_PORT=TARGET_PORT): while its hosts are split between the old and the new switch, their traffic crosses it", d.VID)
	default:
		if _, ok := d.Ports[t.Source]; ok {
			ps.add(tl, "device %d: trunk port %d of the source is a port of the virtual device", d.VID, t.Source)
		}
		if v, ok := back[t.Target]; ok {
			ps.add(tl, "device %d: trunk port %d of the target is where virtual port %d goes", d.VID, t.Target, v)
		}
	}
	return ps
}

// validateLink checks that link lp of d joins a device of the plan that
// links back.
func (p *Plan) validateLink(d *Device, lp uint64, byVID map[uint64]*Device) problems {
	var ps problems
	r := d.Links[lp]
	at := p.Where(d.Lines.link(lp))
	peer := byVID[r.Device]
	switch {
	case r.Device == d.VID:
		ps.add(at, "device %d: link %d goes to the device itself (%v)", d.VID, lp, r)
	case peer == nil:
		ps.add(at, "device %d: link %d goes to device %d, which is not in the plan (a port to a switch outside the plan is a host port)", d.VID, lp, r.Device)
	default:
		back, ok := peer.Links[r.Port]
		want := Ref{Device: d.VID, Port: lp}
		switch {
		case !ok:
			ps.add(at, "device %d: link %d goes to %v, but port %d of device %d is no link", d.VID, lp, r, r.Port, r.Device)
		case back != want:
			ps.add(at, "device %d: link %d goes to %v, but %v links back to %v, not %v", d.VID, lp, r, r, back, want)
		}
	}
	return ps
}

// validateGroups checks that every host of the plan is in exactly one
// group, and nothing else is.
func (p *Plan) validateGroups(devs []*Device, byVID map[uint64]*Device) problems {
	var ps problems
	in := map[Ref]int{} // host -> its group (1-based)
	lineOf := func(g, j int) int {
		if g < len(p.GroupLines) && j < len(p.GroupLines[g]) {
			return p.GroupLines[g][j]
		}
		return 0
	}
	for g, grp := range p.Groups {
		if len(grp) == 0 {
			ps.add(p.Where(lineOf(g, 0)), "group %d is empty", g+1)
		}
		for j, r := range grp {
			at := p.Where(lineOf(g, j))
			d := byVID[r.Device]
			switch {
			case d == nil:
				ps.add(at, "group %d: %v: device %d is not in the plan", g+1, r, r.Device)
				continue
			case !slices.Contains(d.Hosts, r.Port):
				ps.add(at, "group %d: %v: port %d of device %d is no host port", g+1, r, r.Port, r.Device)
				continue
			}
			if o := in[r]; o != 0 {
				ps.add(at, "host %v is in group %d and in group %d; a host moves once", r, o, g+1)
				continue
			}
			in[r] = g + 1
		}
	}
	for _, d := range devs {
		for _, h := range d.Hosts {
			if r := (Ref{Device: d.VID, Port: h}); in[r] == 0 {
				ps.add(p.Where(cmp.Or(d.Lines.Hosts, d.Lines.Device)), "host %v is in no group (list it in groups, or leave groups out to move the hosts device by device)", r)
			}
		}
	}
	return ps
}

// HostOrder is the order device vid's hosts move in: the plan's groups,
// in order.
func (p *Plan) HostOrder(vid uint64) []uint64 {
	var out []uint64
	for _, g := range p.Groups {
		for _, r := range g {
			if r.Device == vid {
				out = append(out, r.Port)
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[uint64]V) []uint64 { return slices.Sorted(maps.Keys(m)) }
