// Package fwdemo is the stateful-firewall scenario that `lime demo` and the
// migrator's end-to-end tests play: p4lang/tutorials' firewall (the
// registers-firewall fixture) on a switch with two internal hosts (h1, h2)
// and two external ones (h3, h4). A TCP SYN from inside sets two bits of a
// bloom filter (registers bloom_filter_1/2); a packet from outside passes
// only if its flow's bits are set. So the register values decide
// forwarding: a copy of the switch forwards like the original only if its
// registers were copied too.
package fwdemo

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/port"
	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/info"
)

// Pipeline is the fixture folder the scenario runs.
const Pipeline = "registers-firewall"

// Host is one end system of the scenario.
type Host struct {
	Name     string
	MAC      net.HardwareAddr
	IP       netip.Addr
	Index    int  // 1..4: which switch port (by position) it hangs on
	Internal bool // inside the firewall
}

// Hosts are h1, h2 (internal) and h3, h4 (external).
var Hosts = []Host{
	{"h1", net.HardwareAddr{0x08, 0, 0, 0, 0x01, 0x11}, netip.MustParseAddr("10.0.1.1"), 1, true},
	{"h2", net.HardwareAddr{0x08, 0, 0, 0, 0x02, 0x22}, netip.MustParseAddr("10.0.2.2"), 2, true},
	{"h3", net.HardwareAddr{0x08, 0, 0, 0, 0x03, 0x33}, netip.MustParseAddr("10.0.3.3"), 3, false},
	{"h4", net.HardwareAddr{0x08, 0, 0, 0, 0x04, 0x44}, netip.MustParseAddr("10.0.4.4"), 4, false},
}

// HostByName returns a host of Hosts.
func HostByName(name string) Host {
	for _, h := range Hosts {
		if h.Name == name {
			return h
		}
	}
	panic("fwdemo: no host " + name)
}

// routerMAC is the switch's own MAC, the hosts' next hop.
var routerMAC = net.HardwareAddr{0x00, 0x00, 0x00, 0x00, 0x01, 0x00}

// PortSpecs are the ports of a switch whose port i (1..4) has id ports[i-1].
func PortSpecs(ids ...uint32) []sim.PortSpec {
	var out []sim.PortSpec
	for i, id := range ids {
		out = append(out, sim.PortSpec{Name: fmt.Sprintf("eth%d", i+1), ID: id})
	}
	return out
}

// Entries are the controller's table entries for a switch whose port i
// (1..4) has id ports[i-1]: a /32 route per host, and the direction of each
// pair of ports (0: inside to outside, 1: outside to inside).
func Entries(in *info.Info, ports []uint32) ([]*p4v1.Update, error) {
	lpm := in.TableByName("MyIngress.ipv4_lpm")
	fwd := in.ActionByName("MyIngress.ipv4_forward")
	check := in.TableByName("MyIngress.check_ports")
	dir := in.ActionByName("MyIngress.set_direction")
	if lpm == nil || fwd == nil || check == nil || dir == nil {
		return nil, errors.New("fwdemo: the P4Info is not the firewall's")
	}
	var out []*p4v1.Update
	ins := func(te *p4v1.TableEntry) {
		out = append(out, &p4v1.Update{Type: p4v1.Update_INSERT, Entity: &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: te}}})
	}
	act := func(a *info.Action, params ...[]byte) *p4v1.TableAction {
		x := &p4v1.Action{ActionId: a.ID}
		for i, p := range params {
			x.Params = append(x.Params, &p4v1.Action_Param{ParamId: a.Params[i].ID, Value: canon.Canonical(p)})
		}
		return &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: x}}
	}
	u16 := func(v uint32) []byte { return canon.FromUint64(uint64(v)) }
	for _, h := range Hosts {
		ip := h.IP.As4()
		ins(&p4v1.TableEntry{TableId: lpm.ID,
			Match:  []*p4v1.FieldMatch{{FieldId: lpm.Fields[0].ID, FieldMatchType: &p4v1.FieldMatch_Lpm{Lpm: &p4v1.FieldMatch_LPM{Value: ip[:], PrefixLen: 32}}}},
			Action: act(fwd, h.MAC, u16(ports[h.Index-1]))})
	}
	for _, a := range Hosts {
		for _, b := range Hosts {
			if a.Internal == b.Internal {
				continue
			}
			d := byte(0)
			if !a.Internal {
				d = 1
			}
			ins(&p4v1.TableEntry{TableId: check.ID,
				Match: []*p4v1.FieldMatch{
					{FieldId: check.Fields[0].ID, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: u16(ports[a.Index-1])}}},
					{FieldId: check.Fields[1].ID, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: u16(ports[b.Index-1])}}},
				},
				Action: act(dir, []byte{d})})
		}
	}
	return out, nil
}

// TCP flags.
const (
	SYN = 0x02
	ACK = 0x10
)

// TCP builds an Ethernet/IPv4/TCP frame from one host to another, sent to
// the switch's MAC.
func TCP(from, to Host, sport, dport uint16, flags byte) []byte {
	f := make([]byte, 14+20+20)
	copy(f[0:6], routerMAC)
	copy(f[6:12], from.MAC)
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:34]
	ip[0], ip[8], ip[9] = 0x45, 64, 6
	binary.BigEndian.PutUint16(ip[2:], 40)
	src, dst := from.IP.As4(), to.IP.As4()
	copy(ip[12:16], src[:])
	copy(ip[16:20], dst[:])
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	tcp := f[34:]
	binary.BigEndian.PutUint16(tcp[0:], sport)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	tcp[12], tcp[13] = 5<<4, flags
	binary.BigEndian.PutUint16(tcp[14:], 64240)
	return f
}

// Net is the four hosts plugged into one simulated switch, or into two
// (each host with a link to either switch, for a migration).
type Net struct {
	nics map[string][]*port.Host // by host: its links, first the first switch's
}

// Attach plugs the hosts into the switch's ports eth1..eth4.
func Attach(d *sim.Device) (*Net, error) { return AttachDual(d, nil, "") }

// AttachDual gives each host a link to port eth<i> of a and, when b is
// set, one to port eth<infix><i> of b (infix "1" makes eth11..eth14): a
// host sends through its link to a while that switch port is enabled,
// else through its link to b, as an active-backup bond does; it receives
// on both.
func AttachDual(a, b *sim.Device, infix string) (*Net, error) {
	n := &Net{nics: map[string][]*port.Host{}}
	plug := func(d *sim.Device, name string, h Host) error {
		p := d.Port(name)
		if p == nil {
			return fmt.Errorf("fwdemo: switch %s has no port %s", d.Name(), name)
		}
		e, err := port.ConnectHost(p, h.Name+"@"+d.Name())
		if err != nil {
			return err
		}
		n.nics[h.Name] = append(n.nics[h.Name], e)
		return nil
	}
	for _, h := range Hosts {
		if err := plug(a, fmt.Sprintf("eth%d", h.Index), h); err != nil {
			n.Close()
			return nil, err
		}
		if b != nil {
			if err := plug(b, fmt.Sprintf("eth%s%d", infix, h.Index), h); err != nil {
				n.Close()
				return nil, err
			}
		}
	}
	return n, nil
}

// Close unplugs the hosts.
func (n *Net) Close() {
	for _, hs := range n.nics {
		for _, h := range hs {
			h.Close()
		}
	}
}

// active is the link a host sends through: the first whose switch port
// is enabled.
func (n *Net) active(name string) *port.Host {
	for _, h := range n.nics[name] {
		if h.Port().Enabled() {
			return h
		}
	}
	return n.nics[name][0]
}

// recv waits for a frame on any link of a host.
func (n *Net) recv(ctx context.Context, name string) ([]byte, error) {
	if hs := n.nics[name]; len(hs) == 1 {
		return hs[0].Recv(ctx)
	}
	for { // polled: a host on two switches
		for _, h := range n.nics[name] {
			if h.Pending() > 0 {
				return h.Recv(ctx)
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// Drain discards the frames waiting at every host.
func (n *Net) Drain() {
	for _, hs := range n.nics {
		for _, h := range hs {
			for h.Pending() > 0 {
				h.RecvWithin(time.Millisecond)
			}
		}
	}
}

// Send sends a TCP segment from one host to another and reports whether it
// arrived (within wait) at the destination, and only there.
func (n *Net) Send(ctx context.Context, from, to string, sport, dport uint16, flags byte, wait time.Duration) (bool, error) {
	a, b := HostByName(from), HostByName(to)
	if err := n.active(from).Send(TCP(a, b, sport, dport, flags)); err != nil {
		return false, err
	}
	rctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	frame, err := n.recv(rctx, to)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, nil
	}
	if len(frame) < 54 || !bytes.Equal(frame[0:6], b.MAC) || binary.BigEndian.Uint16(frame[34:]) != sport {
		return false, fmt.Errorf("fwdemo: %s received an unexpected frame % x", to, frame)
	}
	for name, hs := range n.nics {
		for _, h := range hs {
			if name != to && h.Pending() > 0 {
				return false, fmt.Errorf("fwdemo: %s also received a frame", name)
			}
		}
	}
	return true, nil
}
