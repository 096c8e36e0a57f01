package simports

import (
	"context"
	"errors"
	"fmt"

	"github.com/lime-p4/lime/bmv2/sim/port"
	"github.com/lime-p4/lime/gnmi"
)

// Ports is a gnmi.Ports backed by a port.Set.
type Ports struct {
	set *port.Set
}

var _ gnmi.Ports = (*Ports)(nil)

// New returns the backend for set.
func New(set *port.Set) *Ports { return &Ports{set: set} }

// Ports returns the state of every port of the set, by id.
func (p *Ports) Ports(context.Context) ([]gnmi.PortState, error) {
	list := p.set.List()
	out := make([]gnmi.PortState, 0, len(list))
	for _, pt := range list {
		out = append(out, State(pt))
	}
	return out, nil
}

// SetEnabled sets the named port's admin state.
func (p *Ports) SetEnabled(_ context.Context, name string, enabled bool) error {
	pt, err := p.set.Lookup(name)
	if err != nil {
		if errors.Is(err, port.ErrUnknown) {
			return fmt.Errorf("simports: %q: %w", name, gnmi.ErrUnknownPort)
		}
		return err
	}
	pt.SetEnabled(enabled)
	return nil
}

// Watch calls notify after every event of the set.
func (p *Ports) Watch(notify func()) (cancel func()) {
	return p.set.Watch(func(port.Event) { notify() })
}

// State converts a port's state to what the agent serves.
func State(pt *port.Port) gnmi.PortState {
	st := pt.Status()
	c := pt.Counters()
	return gnmi.PortState{
		Name:    pt.Name(),
		ID:      pt.ID(),
		Enabled: st.Enabled,
		Oper:    Oper(st.Oper),
		Counters: gnmi.Counters{
			InOctets:           c.InOctets,
			InPkts:             c.InPkts,
			InUnicastPkts:      c.InUnicastPkts,
			InBroadcastPkts:    c.InBroadcastPkts,
			InMulticastPkts:    c.InMulticastPkts,
			InDiscards:         c.InDiscards,
			InErrors:           c.InErrors,
			OutOctets:          c.OutOctets,
			OutPkts:            c.OutPkts,
			OutUnicastPkts:     c.OutUnicastPkts,
			OutBroadcastPkts:   c.OutBroadcastPkts,
			OutMulticastPkts:   c.OutMulticastPkts,
			OutDiscards:        c.OutDiscards,
			OutErrors:          c.OutErrors,
			CarrierTransitions: c.CarrierTransitions,
		},
	}
}

// Oper converts a port's oper state to its OpenConfig value.
func Oper(o port.OperStatus) gnmi.OperStatus {
	switch o {
	case port.OperUp:
		return gnmi.OperUp
	case port.OperDown:
		return gnmi.OperDown
	case port.OperLowerLayerDown:
		return gnmi.OperLowerLayerDown
	default:
		return gnmi.OperUnknown
	}
}
