package netdemo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"sync/atomic"
	"time"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/bmv2/sim/port"
)

// SimNet is the scenario's network on the simulator, in this process: the
// old switches s1..s3 and the new t1..t3 (bmv2 profile: registers over
// Thrift), each serving P4Runtime and gNMI on one loopback address and
// bmv2's Thrift API on another; in-memory links between them; every host
// with a link to its old switch and one to its new switch. The new
// switches' ports and the trunks start down: the plan brings them up.
type SimNet struct {
	Old, New map[int]*sim.Device // by switch, 1..Switches
	// OldT and NewT reach the switches.
	OldT, NewT map[int]Target
	// Hosts are the hosts' two links, by Hosts index.
	Hosts []*DualHost
	wires []*port.Wire
}

// portName is the simulator's interface name of port p.
func portName(p uint32) string {
	if p == TrunkPort || p == TrunkNew {
		return "trunk"
	}
	return fmt.Sprintf("eth%d", p)
}

// oldPorts are old switch s's ports.
func oldPorts(s int) []uint32 {
	ps := append([]uint32(nil), HostPorts...)
	ps = append(ps, slices.Sorted(maps.Keys(LinkPorts(s)))...)
	return append(ps, TrunkPort)
}

// SimOptions configure StartSim.
type SimOptions struct {
	// Log receives the switches' logs; nil discards them.
	Log *slog.Logger
	// NoHosts leaves the host ports unattached, for hosts of another kind
	// (Linux hosts in network namespaces, through AF_PACKET).
	NoHosts bool
}

// PortName is the simulator's interface name of port p of a switch.
func PortName(p uint32) string { return portName(p) }

// StartSim starts the network, its switches without a pipeline (the
// controller sets the old ones', the plan the new ones').
func StartSim(o SimOptions) (*SimNet, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &SimNet{Old: map[int]*sim.Device{}, New: map[int]*sim.Device{}, OldT: map[int]Target{}, NewT: map[int]Target{}}
	start := func(name string, id uint64, ports []uint32) (*sim.Device, Target, error) {
		var specs []sim.PortSpec
		for _, p := range ports {
			specs = append(specs, sim.PortSpec{Name: portName(p), ID: p})
		}
		d, err := sim.New(sim.Options{Name: name, DeviceID: id, Profile: p4rt.ProfileBMv2, Ports: specs, Logger: log.With("switch", name)})
		if err != nil {
			return nil, Target{}, err
		}
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			d.Close()
			return nil, Target{}, err
		}
		tl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			lis.Close()
			d.Close()
			return nil, Target{}, err
		}
		go d.Serve(lis)
		go d.ServeThrift(tl)
		a := lis.Addr().String()
		return d, Target{Addr: a, DeviceID: id, GNMI: a, Thrift: tl.Addr().String()}, nil
	}
	for s := 1; s <= Switches; s++ {
		old, ot, err := start(fmt.Sprintf("s%d", s), uint64(s), oldPorts(s))
		if err != nil {
			n.Close()
			return nil, err
		}
		n.Old[s], n.OldT[s] = old, ot
		var np []uint32
		for _, p := range oldPorts(s) {
			np = append(np, p+NewOffset)
		}
		nw, nt, err := start(fmt.Sprintf("t%d", s), uint64(s+NewOffset), np)
		if err != nil {
			n.Close()
			return nil, err
		}
		n.New[s], n.NewT[s] = nw, nt
		for _, p := range np {
			nw.Port(portName(p)).SetEnabled(false)
		}
		old.Port("trunk").SetEnabled(false)
	}
	wire := func(a, b *port.Port) error {
		w, err := port.Connect(a, b)
		if err == nil {
			n.wires = append(n.wires, w)
		}
		return err
	}
	var errs []error
	for _, l := range Links {
		errs = append(errs, wire(n.Old[l.A.Switch].Port(portName(l.A.Port)), n.Old[l.B.Switch].Port(portName(l.B.Port))))
		errs = append(errs, wire(n.New[l.A.Switch].Port(portName(l.A.Port+NewOffset)), n.New[l.B.Switch].Port(portName(l.B.Port+NewOffset))))
	}
	for s := 1; s <= Switches; s++ {
		errs = append(errs, wire(n.Old[s].Port("trunk"), n.New[s].Port("trunk")))
	}
	for _, h := range Hosts {
		if o.NoHosts {
			break
		}
		d, err := dualHost(h, n.Old[h.Switch].Port(portName(h.Port)), n.New[h.Switch].Port(portName(h.Port+NewOffset)))
		errs = append(errs, err)
		n.Hosts = append(n.Hosts, d)
	}
	if err := errors.Join(errs...); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

// Close stops everything.
func (n *SimNet) Close() {
	for _, h := range n.Hosts {
		if h != nil {
			h.Close()
		}
	}
	for _, w := range n.wires {
		w.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, m := range []map[int]*sim.Device{n.Old, n.New} {
		for _, d := range m {
			d.Shutdown(ctx)
			d.Close()
		}
	}
}

// DualHost is a host with a link to its old switch and one to its new. It
// sends through the link that came up last while it is up, else through
// the other, and receives on both: an active-backup bond that takes a link
// as soon as it comes up (a host that moves does so make before break: its
// new link up, its traffic there, its old link down).
type DualHost struct {
	Host    Host
	links   []*port.Host
	active  atomic.Int32 // index of the link in use
	unwatch []func()
}

func dualHost(h Host, old, new *port.Port) (*DualHost, error) {
	d := &DualHost{Host: h}
	for i, p := range []*port.Port{old, new} {
		if p == nil {
			return d, fmt.Errorf("netdemo: %s: no port", h.Name)
		}
		l, err := port.ConnectHost(p, h.Name+"@"+p.Name())
		if err != nil {
			return d, err
		}
		d.links = append(d.links, l)
		var up atomic.Bool
		up.Store(p.Oper() == port.OperUp)
		d.unwatch = append(d.unwatch, p.Watch(func(_ *port.Port, st port.Status) {
			if now := st.Oper == port.OperUp; now && !up.Swap(now) {
				d.active.Store(int32(i)) // a link that comes up takes over
			} else {
				up.Store(now)
			}
		}))
	}
	if !d.links[0].LinkUp() && d.links[1].LinkUp() {
		d.active.Store(1)
	}
	return d, nil
}

// ErrNoLink: neither of a host's links is up.
var ErrNoLink = errors.New("no link up")

// Send sends datagram seq to host to on its port dport (Sender).
func (d *DualHost) Send(to Host, dport uint16, seq uint64) error {
	return d.SendFrame(UDPPorts(d.Host, to, d.Host.UDPPort, dport, seq))
}

// SendFrame sends a frame through the link in use, or the other when it
// is down. A link that goes down under the frame passes it to the other,
// as a bond fails over.
func (d *DualHost) SendFrame(frame []byte) error {
	a := int(d.active.Load())
	for _, l := range []*port.Host{d.links[a], d.links[1-a]} {
		if !l.LinkUp() {
			continue
		}
		if err := l.Send(frame); !errors.Is(err, port.ErrNotUp) {
			return err
		}
	}
	return fmt.Errorf("%s: %w", d.Host.Name, ErrNoLink)
}

// OnOld reports whether the host sends through its link to its old
// switch.
func (d *DualHost) OnOld() bool {
	a := d.active.Load()
	return a == 0 && d.links[0].LinkUp() || a == 1 && !d.links[1].LinkUp()
}

// HostPort is a host as the scenario drives it: a DualHost on the
// simulator's in-memory links, or a Linux host in a network namespace.
type HostPort interface {
	Sender
	// OnOld reports whether the host sends through its old switch.
	OnOld() bool
	// Listen passes the scenario's datagrams the host receives to f
	// (withMAC: d.DstMAC is the frame's), until ctx ends.
	Listen(ctx context.Context, f func(d Datagram, withMAC bool))
}

// Listen passes the datagrams the host receives, on either link, to f,
// until ctx ends; it returns once the links' readers stopped.
func (d *DualHost) Listen(ctx context.Context, f func(Datagram, bool)) {
	d.ListenFrames(ctx, func(fr []byte) {
		if dg, ok := Parse(fr); ok {
			f(dg, true)
		}
	})
}

// ListenFrames passes every frame the host receives, on either link, to
// f, until ctx ends; it returns once the links' readers stopped.
func (d *DualHost) ListenFrames(ctx context.Context, f func([]byte)) {
	done := make(chan struct{}, len(d.links))
	for _, l := range d.links {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				fr, err := l.Recv(ctx)
				if err != nil {
					return
				}
				f(fr)
			}
		}()
	}
	for range d.links {
		<-done
	}
}

// Close unplugs the host.
func (d *DualHost) Close() {
	for _, u := range d.unwatch {
		u()
	}
	for _, l := range d.links {
		l.Close()
	}
}
