//go:build linux

package linkports

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/lime-p4/lime/gnmi"
	"github.com/lime-p4/lime/internal/watchers"
)

// Options select the links a Ports serves.
type Options struct {
	// Namespace is the path of the network namespace (/var/run/netns/NAME,
	// /proc/PID/ns/net); empty is the caller's.
	Namespace string
	// IDs lists the links served, with their P4Runtime port ids. Empty
	// serves every link but loopback, with its ifindex as id.
	IDs map[string]uint32
	// Logger receives warnings (default slog.Default()).
	Logger *slog.Logger
}

// Ports is a gnmi.Ports over Linux links. Close it when done.
type Ports struct {
	ids map[string]uint32
	log *slog.Logger
	ns  netns.NsHandle
	nl  *netlink.Handle

	watchers watchers.List[func()]

	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

var _ gnmi.Ports = (*Ports)(nil)

// New opens the namespace's links and follows their changes.
func New(opts Options) (*Ports, error) {
	p := &Ports{ids: opts.IDs, log: opts.Logger, ns: netns.None(), done: make(chan struct{})}
	if p.log == nil {
		p.log = slog.Default()
	}
	for name := range opts.IDs {
		if name == "" {
			return nil, errors.New("linkports: empty link name in IDs")
		}
	}
	if opts.Namespace != "" {
		ns, err := netns.GetFromPath(opts.Namespace)
		if err != nil {
			return nil, fmt.Errorf("linkports: network namespace %s: %w", opts.Namespace, err)
		}
		p.ns = ns
	}
	nl, err := netlink.NewHandleAt(p.ns)
	if err != nil {
		p.closeNS()
		return nil, fmt.Errorf("linkports: netlink: %w", err)
	}
	p.nl = nl
	updates := make(chan netlink.LinkUpdate, 64)
	sub := netlink.LinkSubscribeOptions{ErrorCallback: func(err error) {
		select {
		case <-p.done:
		default:
			p.log.Warn("linkports: link updates", "err", err)
		}
	}}
	if p.ns.IsOpen() {
		sub.Namespace = &p.ns
	}
	if err := netlink.LinkSubscribeWithOptions(updates, p.done, sub); err != nil {
		nl.Close()
		p.closeNS()
		return nil, fmt.Errorf("linkports: subscribe to link updates: %w", err)
	}
	p.wg.Add(1)
	go p.follow(updates)
	return p, nil
}

// Close stops following the links.
func (p *Ports) Close() error {
	p.once.Do(func() {
		close(p.done)
		p.wg.Wait() // the update channel closes once netlink sees done
		p.nl.Close()
		p.closeNS()
	})
	return nil
}

func (p *Ports) closeNS() {
	if p.ns.IsOpen() {
		p.ns.Close()
	}
}

func (p *Ports) follow(updates <-chan netlink.LinkUpdate) {
	defer p.wg.Done()
	for u := range updates {
		if u.Link == nil {
			continue
		}
		if _, ok := p.id(u.Link.Attrs()); ok {
			p.notify()
		}
	}
}

func (p *Ports) notify() {
	for _, w := range p.watchers.Snapshot() {
		w()
	}
}

// id says whether a link is served, and its port id.
func (p *Ports) id(a *netlink.LinkAttrs) (uint32, bool) {
	if len(p.ids) > 0 {
		id, ok := p.ids[a.Name]
		return id, ok
	}
	if a.Flags&net.FlagLoopback != 0 {
		return 0, false
	}
	return uint32(a.Index), true
}

// Ports returns the served links' state.
func (p *Ports) Ports(context.Context) ([]gnmi.PortState, error) {
	links, err := p.nl.LinkList()
	if err != nil {
		return nil, fmt.Errorf("linkports: list links: %w", err)
	}
	out := make([]gnmi.PortState, 0, len(links))
	for _, l := range links {
		a := l.Attrs()
		id, ok := p.id(a)
		if !ok {
			continue
		}
		out = append(out, State(a, id))
	}
	return out, nil
}

// SetEnabled sets the named link up or down.
func (p *Ports) SetEnabled(_ context.Context, name string, enabled bool) error {
	l, err := p.nl.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return fmt.Errorf("linkports: link %q: %w", name, gnmi.ErrUnknownPort)
		}
		return fmt.Errorf("linkports: link %q: %w", name, err)
	}
	if _, ok := p.id(l.Attrs()); !ok {
		return fmt.Errorf("linkports: link %q is not served: %w", name, gnmi.ErrUnknownPort)
	}
	if enabled {
		err = p.nl.LinkSetUp(l)
	} else {
		err = p.nl.LinkSetDown(l)
	}
	if err != nil {
		return fmt.Errorf("linkports: set %q enabled=%v: %w", name, enabled, err)
	}
	return nil
}

// Watch calls notify after each change of a served link.
func (p *Ports) Watch(notify func()) (cancel func()) { return p.watchers.Add(notify) }

// State converts a link's attributes to what the agent serves.
func State(a *netlink.LinkAttrs, id uint32) gnmi.PortState {
	ps := gnmi.PortState{Name: a.Name, ID: id, Enabled: a.Flags&net.FlagUp != 0, Oper: Oper(a)}
	if s := a.Statistics; s != nil {
		unicast := uint64(0)
		if s.RxPackets > s.Multicast {
			unicast = s.RxPackets - s.Multicast
		}
		ps.Counters = gnmi.Counters{
			InOctets:        s.RxBytes,
			InPkts:          s.RxPackets,
			InUnicastPkts:   unicast,
			InMulticastPkts: s.Multicast,
			InDiscards:      s.RxDropped,
			InErrors:        s.RxErrors,
			InFCSErrors:     s.RxCrcErrors,
			OutOctets:       s.TxBytes,
			OutPkts:         s.TxPackets,
			OutDiscards:     s.TxDropped,
			OutErrors:       s.TxErrors,
		}
	}
	return ps
}

// Oper maps the kernel's operstate (RFC 2863, as OpenConfig) to
// oper-status. Links that report "unknown" (loopback, tun) are UP when
// admin-up with carrier.
func Oper(a *netlink.LinkAttrs) gnmi.OperStatus {
	switch a.OperState {
	case netlink.OperUp:
		return gnmi.OperUp
	case netlink.OperDown:
		return gnmi.OperDown
	case netlink.OperLowerLayerDown:
		return gnmi.OperLowerLayerDown
	case netlink.OperTesting:
		return gnmi.OperTesting
	case netlink.OperDormant:
		return gnmi.OperDormant
	case netlink.OperNotPresent:
		return gnmi.OperNotPresent
	default:
		if a.Flags&net.FlagUp != 0 && a.RawFlags&unix.IFF_LOWER_UP != 0 {
			return gnmi.OperUp
		}
		if a.Flags&net.FlagUp == 0 {
			return gnmi.OperDown
		}
		return gnmi.OperUnknown
	}
}
