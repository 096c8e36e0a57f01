//go:build linux

package bmv2ports

import (
	"context"
	"fmt"

	"github.com/lime-p4/lime/gnmi"
)

// SetEnabled enables or disables the named port on bmv2 and its link, in
// the order the package documentation gives, undoing the steps taken when
// one fails (the error is then a *StepError). Enabling an enabled port or
// disabling a disabled one repeats the steps harmlessly. An unknown name
// gives an error wrapping gnmi.ErrUnknownPort.
func (p *Ports) SetEnabled(ctx context.Context, name string, enabled bool) error {
	sp, ok := p.byName[name]
	if !ok {
		return fmt.Errorf("bmv2ports: port %q: %w", name, gnmi.ErrUnknownPort)
	}
	p.setMu.Lock()
	defer p.setMu.Unlock()
	var err error
	if enabled {
		err = p.enable(ctx, sp)
	} else {
		err = p.disable(ctx, sp)
	}
	if err != nil {
		p.log.Warn("bmv2ports: set port enabled failed", "port", sp.Name, "enabled", enabled, "err", err)
		return err
	}
	p.mu.Lock()
	p.enabled[sp.Name] = enabled
	p.mu.Unlock()
	p.log.Info("bmv2ports: port set", "port", sp.Name, "id", sp.ID, "iface", sp.Iface, "enabled", enabled)
	p.notify()
	return nil
}

// undo is a step already taken and how to take it back.
type undo struct {
	step Step
	fn   func(ctx context.Context) error
}

// fail builds the StepError of a failed step after undoing the steps
// already taken, with a context of its own that outlives the request's.
func (p *Ports) fail(ctx context.Context, sp Port, enable bool, step Step, cause error, undos ...undo) error {
	e := &StepError{Port: sp, Enable: enable, Step: step, Err: cause}
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultStepTimeout)
	defer cancel()
	for i := len(undos) - 1; i >= 0; i-- {
		if err := undos[i].fn(uctx); err != nil {
			e.UndoErr = fmt.Errorf("undo %s: %w", undos[i].step, err)
			return e
		}
		e.Undone = append(e.Undone, undos[i].step)
	}
	return e
}

// enable: link up, then bm_dev_mgr_add_port unless already attached.
func (p *Ports) enable(ctx context.Context, sp Port) error {
	link, err := p.link(ctx, sp)
	if err != nil {
		return p.fail(ctx, sp, true, StepLinkUp, err)
	}
	if link == nil {
		return p.fail(ctx, sp, true, StepLinkUp, fmt.Errorf("%w: %q in %s", ErrNoLink, sp.Iface, nsDesc(sp.Namespace)))
	}
	if err := p.setLink(ctx, sp, true); err != nil {
		return p.fail(ctx, sp, true, StepLinkUp, err)
	}
	var undos []undo
	if !link.Enabled {
		undos = append(undos, undo{StepLinkUp, func(ctx context.Context) error { return p.setLink(ctx, sp, false) }})
	}
	if c := p.cables[sp.Name]; c != nil {
		wasUp, err := cableUp(c)
		if err == nil {
			err = setCable(c, true)
		}
		if err != nil {
			return p.fail(ctx, sp, true, StepLinkUp, fmt.Errorf("the far end %s: %w", c, err), undos...)
		}
		if !wasUp {
			undos = append(undos, undo{StepLinkUp, func(context.Context) error { return setCable(c, false) }})
		}
	}
	infos, err := p.showPorts(ctx)
	if err != nil {
		return p.fail(ctx, sp, true, StepShowPorts, err, undos...)
	}
	a := viewOf([]Port{sp}, infos).ports[sp.Name]
	switch {
	case a.conflict != "":
		return p.fail(ctx, sp, true, StepAddPort, fmt.Errorf("%w: %s", ErrConflict, a.conflict), undos...)
	case a.attached:
		return nil
	}
	sctx, cancel := stepContext(ctx)
	defer cancel()
	if err := p.dev.DevMgrAddPort(sctx, sp.Iface, int32(sp.ID), ""); err != nil {
		return p.fail(ctx, sp, true, StepAddPort, err, undos...)
	}
	return nil
}

// disable: the link down, by its far end when the port is a veth whose
// peer the agent can reach (bmv2's own interface stays administratively
// up: bmv2 1.15.5 stops reading every port while one of its interfaces is
// down), else by the port's own interface. bmv2 keeps the port attached and
// reports it down (is_up follows the carrier). Removing the port is no
// option: bm_dev_mgr_remove_port never returns on bmv2 1.15.5 (observed on
// simple_switch_grpc built with PI and Thrift: the switch logs "Removing
// port N" and blocks there).
func (p *Ports) disable(ctx context.Context, sp Port) error {
	infos, err := p.showPorts(ctx)
	if err != nil {
		return p.fail(ctx, sp, false, StepShowPorts, err)
	}
	if a := viewOf([]Port{sp}, infos).ports[sp.Name]; a.conflict != "" {
		return p.fail(ctx, sp, false, StepLinkDown, fmt.Errorf("%w: %s", ErrConflict, a.conflict))
	}
	if c := p.cables[sp.Name]; c != nil {
		// The far end: bmv2's own interface stays up and loses carrier.
		if err := setCable(c, false); err != nil {
			return p.fail(ctx, sp, false, StepLinkDown, fmt.Errorf("the far end %s: %w", c, err))
		}
		return nil
	}
	if err := p.setLink(ctx, sp, false); err != nil {
		return p.fail(ctx, sp, false, StepLinkDown, err)
	}
	return nil
}
