package proxy

import (
	"context"
	"fmt"
	"slices"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/translate"
)

// Ports say how a migration maps the virtual device's ports onto its two
// devices.
type Ports struct {
	// Map takes every virtual port (the source's numbers) to the target's
	// port for the same host or link, the CPU port included.
	Map *translate.PortMap
	// Hosts are the ports whose hosts move, one at a time; the other
	// ports of Map (the CPU port, say) map directly.
	Hosts []uint64
	// Trunk joins the two devices while both carry traffic: what one of
	// them sends to a host that is on the other goes through it. Without
	// a trunk, traffic between hosts on different devices is lost while
	// they are apart.
	Trunk *Trunk
}

// Trunk is the pair of ports that joins the source and the target.
type Trunk struct {
	Source uint64 `json:"source"`
	Target uint64 `json:"target"`
}

func (p *Ports) check() error {
	if p.Map == nil {
		return fmt.Errorf("%w: a migration needs a port map", ErrInvalid)
	}
	mapped := p.Map.Numbers()
	for _, h := range p.Hosts {
		if !slices.Contains(mapped, h) {
			return fmt.Errorf("%w: host port %d is not in the port map", ErrInvalid, h)
		}
	}
	if t := p.Trunk; t != nil {
		if slices.Contains(mapped, t.Source) {
			return fmt.Errorf("%w: the source's trunk port %d is a port of the virtual device", ErrInvalid, t.Source)
		}
		if q, err := p.Map.Inverse(); err == nil {
			if _, err := q.Number(t.Target); err == nil {
				return fmt.Errorf("%w: the target's trunk port %d is mapped to from a virtual port", ErrInvalid, t.Target)
			}
		}
	}
	return nil
}

// translations give the source's and the target's translations with the
// hosts of moved on the target: keys (match fields, indexes, metadata) by
// the port map (the source keeps its numbers); what is sent to a host goes
// to its own port on the device it is on, else to the trunk. src is nil
// while the source sends nothing to the trunk: it then holds everything as
// the controller wrote it.
func (d *Device) translations(target *Backend, ports *Ports, moved map[uint64]bool) (src, dst *translate.Translator, err error) {
	keys := ports.Map
	same := translate.NewPortMap(nil)
	for _, p := range keys.Numbers() {
		same = same.With(p, p)
	}
	dstOut, srcOut := keys, same
	trunked := false // the source sends some host's traffic to the trunk
	if t := ports.Trunk; t != nil {
		for _, h := range ports.Hosts {
			if moved[h] {
				srcOut, trunked = srcOut.With(h, t.Source), true
			} else {
				dstOut = dstOut.With(h, t.Target)
			}
		}
	}
	if dst, err = translate.New(d.vinfo, target.Info(), translate.WithPorts(keys), translate.WithOutputPorts(dstOut)); err != nil {
		return nil, nil, fmt.Errorf("device %d: mirror %s: %w", d.id, target.Name, err)
	}
	if !trunked {
		return nil, dst, nil // the source holds what the controller wrote, as written
	}
	if src, err = translate.New(d.vinfo, d.auth.Info(), translate.WithPorts(same), translate.WithOutputPorts(srcOut)); err != nil {
		return nil, nil, fmt.Errorf("device %d: %s: %w", d.id, d.auth.Name, err)
	}
	return src, dst, nil
}

// heldOtherwise reports whether the source holds an entity the controller
// wrote as virt in another form, phys: one that sends to a moved host
// through the trunk. The source runs the controller's program with its own
// port numbers, so only such outputs tell the two forms apart.
// A parameter that differs tells it at once (the common case: a port
// turned into the trunk); else proto.Equal: the same message is the same
// configuration, and comparing configurations clones both.
func heldOtherwise(virt, phys *p4v1.Entity) bool {
	return virt != phys && (paramsDiffer(virt, phys) || !proto.Equal(virt, phys) && !entity.Equal(virt, phys))
}

// paramsDiffer reports whether two table entries with the same direct
// action give one of its parameters other values (canonically): then
// they are not the same configuration. A parameter given twice (which a
// switch refuses) leaves it to the whole comparison.
func paramsDiffer(a, b *p4v1.Entity) bool {
	x, y := a.GetTableEntry().GetAction().GetAction(), b.GetTableEntry().GetAction().GetAction()
	if x == nil || y == nil || x.ActionId != y.ActionId || repeatsParam(x) || repeatsParam(y) {
		return false
	}
	for _, p := range x.Params {
		for _, q := range y.Params {
			if p.ParamId == q.ParamId && !canon.Equal(p.Value, q.Value) {
				return true
			}
		}
	}
	return false
}

// repeatsParam reports whether a gives a parameter twice.
func repeatsParam(a *p4v1.Action) bool {
	for i, p := range a.Params {
		for _, q := range a.Params[:i] {
			if p.ParamId == q.ParamId {
				return true
			}
		}
	}
	return false
}

// heldForms says, for each of a write's updates ups (the controller's
// form) as the source gets them (phys), whether the source holds its
// entity in another form (heldOtherwise); nil while the source holds
// everything as written. Computed once per write: comparing costs.
func heldForms(auth *Backend, ups, phys []*p4v1.Update) []bool {
	if auth.phys() == nil {
		return nil
	}
	other := make([]bool, len(ups))
	for i, u := range ups {
		other[i] = u.Type != p4v1.Update_DELETE && heldOtherwise(u.Entity, phys[i].Entity)
	}
	return other
}

// shadowWas is a shadow entry as it was before a write's update (index i)
// replaced it.
type shadowWas struct {
	i   int
	k   entity.Key
	was *p4v1.Entity // nil: none
}

// preShadow records, before the source applies writes ups (the
// controller's form), the entities it will hold in another form (other,
// from heldForms): a read meanwhile (the controller's, a verify's) answers
// their controller's form, never the trunk. It returns what it replaced,
// for unShadow. writeMu is held.
func (d *Device) preShadow(ups []*p4v1.Update, other []bool) []shadowWas {
	if other == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ports == nil || len(d.moved) == 0 || d.auth != d.origin || d.auth.phys() == nil {
		return nil
	}
	var out []shadowWas
	for i, u := range ups {
		if !other[i] {
			continue
		}
		k, err := entity.Of(u.Entity)
		if err != nil {
			continue
		}
		out = append(out, shadowWas{i: i, k: k, was: d.shadow[k]})
		d.shadow[k] = u.Entity
	}
	return out
}

// unShadow puts back the shadow entries preShadow replaced for updates the
// source refused (applied lists those it applied, unsure those whose fate
// is unknown: they keep the new form).
func (d *Device) unShadow(was []shadowWas, applied []int, unsure []*p4v1.Update) {
	if len(was) == 0 || len(unsure) > 0 && len(applied) == 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, w := range was {
		if slices.Contains(applied, w.i) {
			continue
		}
		if w.was == nil {
			delete(d.shadow, w.k)
		} else {
			d.shadow[w.k] = w.was
		}
	}
}

// keepShadow records, after the source applied writes ups (the
// controller's form), which entities it now holds in another form than
// the controller's (other, from heldForms; nil: none). writeMu is held.
func (d *Device) keepShadow(ups []*p4v1.Update, other []bool, applied []int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	// Without trunked hosts the source holds what the controller writes
	// as written, and the shadow may still hold what a host moved back
	// left (a move rewrites a batch at a time): applied writes leave it.
	if d.ports == nil || d.auth != d.origin || d.auth.phys() == nil && len(d.shadow) == 0 {
		return
	}
	for _, i := range applied {
		k, err := entity.Of(ups[i].Entity)
		if err != nil {
			continue
		}
		if ups[i].Type == p4v1.Update_DELETE {
			// Kept: a read that began before the source deleted it may
			// still answer it in the source's form, and looks for its
			// controller's form here after this (a clone or a verify
			// racing the controller's DELETE then INSERT, as ONOS
			// modifies: the entry read in the trunk's form, its shadow
			// gone). A read after the DELETE finds no such entity; one
			// written again replaces the entry (preShadow, keepShadow).
			continue
		}
		if other != nil && other[i] {
			d.shadow[k] = ups[i].Entity
		} else {
			delete(d.shadow, k)
		}
	}
}

// journalShadows keeps in Options.Shadows, before the source applies
// writes ups (the controller's form), the entities it will hold in
// another form (other, from heldForms). writeMu is held.
func (d *Device) journalShadows(ups []*p4v1.Update, other []bool) error {
	store := d.opts.Shadows
	if store == nil || other == nil {
		return nil
	}
	d.mu.RLock()
	moved := d.ports != nil && len(d.moved) > 0 && d.auth == d.origin
	d.mu.RUnlock()
	if store == nil || !moved {
		return nil
	}
	var ents []*p4v1.Entity
	for i, u := range ups {
		if other[i] {
			ents = append(ents, u.Entity)
		}
	}
	if len(ents) == 0 {
		return nil
	}
	if err := store.KeepShadows(d.id, ents); err != nil {
		return fmt.Errorf("device %d: %w: it did not keep what the write sends through the trunk: %w", d.id, ErrJournal, err)
	}
	return nil
}

// forgetShadows empties the device's Options.Shadows (its mirror is gone,
// or new).
func (d *Device) forgetShadows() {
	if d.opts.Shadows == nil {
		return
	}
	if err := d.opts.Shadows.ForgetShadows(d.id); err != nil {
		d.log.Warn("the journal kept the trunk rewrites of a mirror gone", "err", err)
	}
}

// MirrorTranslator is how the virtual device's entities reach the mirror
// now (nil without one): a clone onto the mirror must use it, so that what
// it copies sends to the trunk where the proxy's writes do.
func (d *Device) MirrorTranslator() *translate.Translator {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.mirror == nil {
		return nil
	}
	return d.mirror.phys()
}

// Moved lists the ports whose hosts are on the mirror.
func (d *Device) Moved() []uint64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []uint64
	for p := range d.moved {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// MoveHost moves the host on virtual port p to the mirror, make before
// break (DESIGN.md step 5): the mirror's entities that send to p send to
// p's port there instead of the trunk, then the source's send to the trunk
// instead of p; packet-outs to p go to the mirror. The caller enables the
// host's port on the mirror before, and disables it on the source after.
// It rewrites what sends to p only (the index of outputs), a batch at a
// time: a controller's write waits only when it writes an entity of the
// batch being rewritten, and a batch at most. On error the
// host is where it was for the proxy, its entities put back; where they
// could not be, Halfway names p until a move of p, either way, ends.
func (d *Device) MoveHost(ctx context.Context, p uint64) error {
	return d.move(ctx, p, true)
}

// MoveBack returns the host on port p to the source (an abort), break
// before make reversed: the source's entities send to p again, then the
// mirror's to the trunk. The caller enables the host's port on the source
// before, and disables it on the mirror after.
func (d *Device) MoveBack(ctx context.Context, p uint64) error {
	return d.move(ctx, p, false)
}

// rewritten gives e (the controller's form) as translator now writes it,
// and whether that differs from how old wrote it; a nil translator writes
// e as it is.
func rewritten(old, now *translate.Translator, e *p4v1.Entity) (*p4v1.Entity, bool, error) {
	through := func(tr *translate.Translator) (*p4v1.Entity, error) {
		if tr == nil {
			return e, nil
		}
		return tr.Entity(e)
	}
	a, err := through(old)
	if err != nil {
		return nil, false, err
	}
	n, err := through(now)
	if err != nil {
		return nil, false, err
	}
	return n, !proto.Equal(a, n), nil
}
