//go:build linux

package bmv2ports

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"

	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/gnmi"
	"github.com/lime-p4/lime/gnmi/linkports"
	"github.com/lime-p4/lime/internal/watchers"
)

// Ports is the gnmi.Ports of one bmv2 switch. It is safe for concurrent
// use; Close it when done.
type Ports struct {
	ports  []Port // in the configured order
	byName map[string]Port
	links  map[string]*linkports.Ports // by namespace path
	cables map[string]*cable           // by port name: the far end of a veth port's link
	dev    DevMgr
	log    *slog.Logger

	setMu sync.Mutex // SetEnabled calls run one at a time

	mu        sync.Mutex // guards the fields below
	enabled   map[string]bool
	last      view   // the last reading of bmv2's ports
	thriftErr string // the last Thrift failure logged, to log each once

	watchers watchers.List[func()]

	unwatch  []func()
	stopPoll context.CancelFunc
	wg       sync.WaitGroup
	once     sync.Once
}

var _ gnmi.Ports = (*Ports)(nil)

// New opens the ports' links (one netlink follower per namespace), reads
// their state and bmv2's port list, and starts following both. It fails,
// naming the port, when a port's interface does not exist, when bmv2
// cannot be read, or when bmv2 attaches a port's number or interface
// differently (ErrConflict). ctx bounds these first reads only.
func New(ctx context.Context, opts Options) (*Ports, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	p := &Ports{
		ports:   slices.Clone(opts.Ports),
		byName:  make(map[string]Port, len(opts.Ports)),
		links:   map[string]*linkports.Ports{},
		cables:  map[string]*cable{},
		dev:     opts.Thrift,
		log:     opts.Logger,
		enabled: make(map[string]bool, len(opts.Ports)),
	}
	if err := p.open(ctx); err != nil {
		p.closeLinks()
		return nil, err
	}
	pollCtx, stop := context.WithCancel(context.Background())
	p.stopPoll = stop
	p.wg.Add(1)
	go p.poll(pollCtx, opts.PollInterval)
	return p, nil
}

// open opens the links, reads the first state and starts watching links.
func (p *Ports) open(ctx context.Context) error {
	ids := map[string]map[string]uint32{}
	for _, sp := range p.ports {
		p.byName[sp.Name] = sp
		if ids[sp.Namespace] == nil {
			ids[sp.Namespace] = map[string]uint32{}
		}
		ids[sp.Namespace][sp.Iface] = sp.ID
	}
	for _, ns := range slices.Sorted(maps.Keys(ids)) {
		lp, err := linkports.New(linkports.Options{Namespace: ns, IDs: ids[ns], Logger: p.log})
		if err != nil {
			return fmt.Errorf("bmv2ports: links of %s: %w", nsDesc(ns), err)
		}
		p.links[ns] = lp
	}

	links, err := p.linkStates(ctx)
	if err != nil {
		return err
	}
	for _, sp := range p.ports {
		if links[sp.Name] == nil {
			return fmt.Errorf("bmv2ports: port %q (id %d): %w: %q in %s", sp.Name, sp.ID, ErrNoLink, sp.Iface, nsDesc(sp.Namespace))
		}
	}
	infos, err := p.showPorts(ctx)
	if err != nil {
		return fmt.Errorf("bmv2ports: reading bmv2's ports (%s): %w", StepShowPorts, err)
	}
	v := viewOf(p.ports, infos)
	for _, sp := range p.ports {
		if c := v.ports[sp.Name].conflict; c != "" {
			return fmt.Errorf("bmv2ports: port %q: %w: %s", sp.Name, ErrConflict, c)
		}
	}
	for _, sp := range p.ports {
		c, err := findCable(sp)
		if err != nil {
			return fmt.Errorf("bmv2ports: port %q: the far end of %s: %w", sp.Name, sp.Iface, err)
		}
		cableIsUp := true
		if c != nil {
			p.cables[sp.Name] = c
			if cableIsUp, err = cableUp(c); err != nil {
				return fmt.Errorf("bmv2ports: port %q: %s: %w", sp.Name, c, err)
			}
		}
		a := v.ports[sp.Name]
		p.enabled[sp.Name] = a.attached && links[sp.Name].Enabled && cableIsUp
		p.log.Info("bmv2ports: serving port", "port", sp.Name, "id", sp.ID, "iface", sp.Iface,
			"netns", sp.Namespace, "enabled", p.enabled[sp.Name], "bmv2_attached", a.attached,
			"link_admin_up", links[sp.Name].Enabled, "far_end", c.String())
	}
	p.last = v

	for _, lp := range p.links {
		p.unwatch = append(p.unwatch, lp.Watch(p.notify))
	}
	return nil
}

// Close stops following bmv2 and the links. It does not close the Thrift
// client.
func (p *Ports) Close() error {
	p.once.Do(func() {
		p.stopPoll()
		p.wg.Wait()
		for _, u := range p.unwatch {
			u()
		}
		p.closeLinks()
	})
	return nil
}

func (p *Ports) closeLinks() {
	for _, lp := range p.links {
		lp.Close()
	}
}

// Ports returns every served port: the admin state last applied, the
// oper-status of link and bmv2 together, the link's counters.
func (p *Ports) Ports(ctx context.Context) ([]gnmi.PortState, error) {
	links, err := p.linkStates(ctx)
	if err != nil {
		return nil, err
	}
	v := p.readBMv2(ctx)
	p.observe(v)
	p.mu.Lock()
	enabled := maps.Clone(p.enabled)
	p.mu.Unlock()
	out := make([]gnmi.PortState, 0, len(p.ports))
	for _, sp := range p.ports {
		link := links[sp.Name]
		ps := gnmi.PortState{
			Name:    sp.Name,
			ID:      sp.ID,
			Enabled: enabled[sp.Name],
			Oper:    oper(link, v.known, v.ports[sp.Name]),
		}
		if link != nil {
			ps.Counters = link.Counters
		}
		out = append(out, ps)
	}
	return out, nil
}

// Watch calls notify (which must not block) after a served link changes,
// after bmv2's port list changes for a served port, and after SetEnabled
// applies a change.
func (p *Ports) Watch(notify func()) (cancel func()) { return p.watchers.Add(notify) }

func (p *Ports) notify() {
	for _, w := range p.watchers.Snapshot() {
		w()
	}
}

// linkStates reads the served links, by port name; a port whose interface
// does not exist is absent.
func (p *Ports) linkStates(ctx context.Context) (map[string]*gnmi.PortState, error) {
	byIface := map[string]map[string]*gnmi.PortState{}
	for ns, lp := range p.links {
		list, err := lp.Ports(ctx)
		if err != nil {
			return nil, fmt.Errorf("bmv2ports: reading links of %s: %w", nsDesc(ns), err)
		}
		m := make(map[string]*gnmi.PortState, len(list))
		for i := range list {
			m[list[i].Name] = &list[i]
		}
		byIface[ns] = m
	}
	out := make(map[string]*gnmi.PortState, len(p.ports))
	for _, sp := range p.ports {
		if st := byIface[sp.Namespace][sp.Iface]; st != nil {
			out[sp.Name] = st
		}
	}
	return out, nil
}

// link reads one port's link; nil when its interface does not exist.
func (p *Ports) link(ctx context.Context, sp Port) (*gnmi.PortState, error) {
	list, err := p.links[sp.Namespace].Ports(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading links of %s: %w", nsDesc(sp.Namespace), err)
	}
	for i := range list {
		if list[i].Name == sp.Iface {
			return &list[i], nil
		}
	}
	return nil, nil
}

// setLink sets a port's link up or down. A missing interface is ErrNoLink
// (not gnmi.ErrUnknownPort: the port is known, its link is gone).
func (p *Ports) setLink(ctx context.Context, sp Port, up bool) error {
	err := p.links[sp.Namespace].SetEnabled(ctx, sp.Iface, up)
	if errors.Is(err, gnmi.ErrUnknownPort) {
		return fmt.Errorf("%w: %q in %s", ErrNoLink, sp.Iface, nsDesc(sp.Namespace))
	}
	return err
}

// readBMv2 reads bmv2's port list; when the Thrift server does not answer
// it logs why (once per distinct failure) and returns the unknown view.
func (p *Ports) readBMv2(ctx context.Context) view {
	infos, err := p.showPorts(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		if msg := err.Error(); msg != p.thriftErr && ctx.Err() == nil {
			p.thriftErr = msg
			p.log.Warn("bmv2ports: cannot read bmv2's ports; oper-status is UNKNOWN until it answers", "err", err)
		}
		return unknownView()
	}
	if p.thriftErr != "" {
		p.thriftErr = ""
		p.log.Info("bmv2ports: bmv2's Thrift server answers again")
	}
	return viewOf(p.ports, infos)
}

// observe records a reading of bmv2 and tells the watchers when it differs
// from the previous one.
func (p *Ports) observe(v view) {
	p.mu.Lock()
	changed := !p.last.equal(v)
	if changed {
		for _, sp := range p.ports {
			if c := v.ports[sp.Name].conflict; c != "" && c != p.last.ports[sp.Name].conflict {
				p.log.Warn("bmv2ports: port attached differently in bmv2; oper-status is DOWN", "port", sp.Name, "conflict", c)
			}
		}
		p.last = v
	}
	p.mu.Unlock()
	if changed {
		p.notify()
	}
}

// stepContext bounds a call whose context has no deadline by
// DefaultStepTimeout.
func stepContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, DefaultStepTimeout)
}

// showPorts is bm_dev_mgr_show_ports bounded by stepContext.
func (p *Ports) showPorts(ctx context.Context) ([]thrift.PortInfo, error) {
	ctx, cancel := stepContext(ctx)
	defer cancel()
	return p.dev.DevMgrShowPorts(ctx)
}
