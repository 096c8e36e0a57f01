package proxy

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lime-p4/lime/gnmi"
	gnmiclient "github.com/lime-p4/lime/gnmi/client"
	"github.com/lime-p4/lime/p4/translate"
)

// SetGNMI gives the proxy the device's gNMI (its own, or lime agent's for
// bmv2): the virtual device's interfaces are served from it (see Ports).
func (b *Backend) SetGNMI(c *gnmiclient.Client) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.gnmi = c
}

func (b *Backend) gnmiClient() *gnmiclient.Client {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.gnmi
}

// Interfaces is the virtual device's interfaces as a gNMI backend (gnmi.Ports):
// named and numbered as on the switch the controllers first knew, each in
// the state of the switch that carries its host now (the source, the
// target once the host moved or after the cut over). Setting an
// interface's config/enabled goes to that switch.
type Interfaces struct{ d *Device }

// vports keeps the interfaces of the switch the controllers first knew,
// as last read: after the cut over (that switch released) they still name
// the virtual device's interfaces.
type vports struct {
	mu   sync.Mutex
	list []gnmi.PortState
}

func (v *vports) set(l []gnmi.PortState) {
	v.mu.Lock()
	v.list = l
	v.mu.Unlock()
}

func (v *vports) get() []gnmi.PortState {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.list
}

// readOrigin reads the origin's interfaces into the cache.
func (d *Device) readOrigin(ctx context.Context, origin *Backend) ([]gnmi.PortState, error) {
	l, err := interfaces(ctx, origin)
	if err != nil {
		return nil, err
	}
	d.vports.set(l)
	return l, nil
}

var _ gnmi.Ports = (*Interfaces)(nil)

// Interfaces returns the device's gNMI backend.
func (d *Device) Interfaces() *Interfaces { return &Interfaces{d: d} }

// ErrNoGNMI: a switch's gNMI was not given to the proxy.
var ErrNoGNMI = errors.New("no gNMI for this switch")

// portView is where a virtual port's state comes from.
type portView struct {
	origin, target *Backend
	mapping        *translate.PortMap // virtual -> target port
	onTarget       func(uint64) bool
}

func (d *Device) portView() portView {
	d.mu.RLock()
	defer d.mu.RUnlock()
	v := portView{origin: d.origin}
	switch {
	case d.auth != d.origin: // cut over
		v.origin, v.target, v.mapping = nil, d.auth, d.cutMap
		v.onTarget = func(uint64) bool { return true }
	case d.mirror != nil:
		moved := make(map[uint64]bool, len(d.moved))
		for p, m := range d.moved {
			moved[p] = m
		}
		v.target, v.mapping = d.mirror, d.ports.Map
		v.onTarget = func(p uint64) bool { return moved[p] }
	default:
		v.onTarget = func(uint64) bool { return false }
	}
	return v
}

func interfaces(ctx context.Context, b *Backend) ([]gnmi.PortState, error) {
	c := b.gnmiClient()
	if c == nil {
		return nil, fmt.Errorf("%s: %w", b.Name, ErrNoGNMI)
	}
	return c.Interfaces(ctx)
}

// Ports reads the virtual device's interfaces.
func (p *Interfaces) Ports(ctx context.Context) ([]gnmi.PortState, error) {
	v := p.d.portView()
	virtual := p.d.vports.get()
	if v.origin != nil {
		var err error
		if virtual, err = p.d.readOrigin(ctx, v.origin); err != nil {
			return nil, err
		}
	}
	if v.target == nil {
		return virtual, nil
	}
	tgt, err := interfaces(ctx, v.target)
	if err != nil {
		return nil, err
	}
	byID := make(map[uint32]gnmi.PortState, len(tgt))
	for _, t := range tgt {
		byID[t.ID] = t
	}
	out := make([]gnmi.PortState, 0, len(virtual))
	for _, vp := range virtual {
		if !v.onTarget(uint64(vp.ID)) {
			out = append(out, vp)
			continue
		}
		tp, err := v.mapping.Number(uint64(vp.ID))
		if err != nil {
			continue // no counterpart on the target
		}
		t, ok := byID[uint32(tp)]
		if !ok {
			continue
		}
		t.Name, t.ID = vp.Name, vp.ID
		out = append(out, t)
	}
	return out, nil
}

// SetEnabled sets a virtual interface's admin state on the switch that
// carries its host.
func (p *Interfaces) SetEnabled(ctx context.Context, name string, enabled bool) error {
	v := p.d.portView()
	var vp *gnmi.PortState
	for _, x := range p.d.vports.get() {
		if x.Name == name {
			vp = &x
		}
	}
	if vp == nil {
		return fmt.Errorf("proxy: interface %q: %w", name, gnmi.ErrUnknownPort)
	}
	if !v.onTarget(uint64(vp.ID)) {
		c := v.origin.gnmiClient()
		if c == nil {
			return fmt.Errorf("%s: %w", v.origin.Name, ErrNoGNMI)
		}
		return c.SetEnabled(ctx, name, enabled)
	}
	tp, err := v.mapping.Number(uint64(vp.ID))
	if err != nil {
		return fmt.Errorf("proxy: interface %q: %w", name, gnmi.ErrUnknownPort)
	}
	tgt, err := interfaces(ctx, v.target)
	if err != nil {
		return err
	}
	for _, t := range tgt {
		if uint64(t.ID) == tp {
			return v.target.gnmiClient().SetEnabled(ctx, t.Name, enabled)
		}
	}
	return fmt.Errorf("proxy: interface %q: port %d of %s: %w", name, tp, v.target.Name, gnmi.ErrUnknownPort)
}

// Watch calls notify when a port of either switch changes (or the proxy's
// view of which switch carries which host does).
func (p *Interfaces) Watch(notify func()) (cancel func()) { return p.d.portWatchers.Add(notify) }

// watchPorts follows the status of b's interfaces (an ON_CHANGE gNMI
// subscription, set up again when it ends) until ctx ends, telling the
// device's port watchers.
func (d *Device) watchPorts(ctx context.Context, b *Backend) {
	for ctx.Err() == nil {
		c := b.gnmiClient()
		if c != nil {
			if ch, err := c.SubscribeStatus(ctx); err == nil {
				for range ch {
					d.portsChanged()
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// portsChanged tells the port watchers.
func (d *Device) portsChanged() {
	for _, fn := range d.portWatchers.Snapshot() {
		fn()
	}
}
