package proxy

import (
	"context"
	"fmt"
	"maps"
	"slices"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

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
// proto.Equal first: the same message is the same configuration, and
// comparing configurations clones both.
func heldOtherwise(virt, phys *p4v1.Entity) bool {
	return virt != phys && !proto.Equal(virt, phys) && !entity.Equal(virt, phys)
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
// the controller's (other, from heldForms). writeMu is held.
func (d *Device) keepShadow(ups []*p4v1.Update, other []bool, applied []int) {
	if other == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ports == nil || d.auth != d.origin || d.auth.phys() == nil {
		return
	}
	for _, i := range applied {
		k, err := entity.Of(ups[i].Entity)
		if err != nil {
			continue
		}
		if ups[i].Type == p4v1.Update_DELETE {
			delete(d.shadow, k)
			continue
		}
		if other[i] {
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
// Writes wait while it runs. On error the host is where it was for the
// proxy (some entities may be rewritten already: run it again).
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

func (d *Device) move(ctx context.Context, p uint64, toMirror bool) error {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	if err := d.drainTrail(ctx); err != nil {
		return fmt.Errorf("device %d: moving port %d: the mirror did not apply every write: %w", d.id, p, err)
	}
	d.mu.RLock()
	auth, b, mode, ports := d.auth, d.mirror, d.mode, d.ports
	moved := map[uint64]bool{}
	for q := range d.moved {
		moved[q] = true
	}
	d.mu.RUnlock()
	if b == nil || mode != MirrorLive {
		return fmt.Errorf("device %d: %w: hosts move while the mirror is live (mode %s)", d.id, ErrMigrating, mode)
	}
	if !slices.Contains(ports.Hosts, p) {
		return fmt.Errorf("device %d: %w: port %d is not a host port of the migration", d.id, ErrInvalid, p)
	}
	if moved[p] == toMirror {
		return nil // there already
	}
	moved[p] = toMirror
	src, dst, err := d.translations(b, ports, moved)
	if err != nil {
		return err
	}
	ents, err := d.virtualState(ctx, auth)
	if err != nil {
		return err
	}
	oldSrc, oldDst := auth.phys(), b.phys()
	var srcUps, dstUps []*p4v1.Update
	shadow := map[entity.Key]*p4v1.Entity{}
	for _, e := range ents {
		k, err := entity.Of(e)
		if err != nil {
			continue
		}
		n, ok, err := rewritten(oldDst, dst, e)
		if err != nil {
			return fmt.Errorf("device %d: moving port %d: %s for %s: %w", d.id, p, entity.Describe(e, d.vinfo), b.Name, err)
		}
		if ok {
			dstUps = append(dstUps, &p4v1.Update{Type: p4v1.Update_MODIFY, Entity: n})
		}
		n, ok, err = rewritten(oldSrc, src, e)
		if err != nil {
			return fmt.Errorf("device %d: moving port %d: %s for %s: %w", d.id, p, entity.Describe(e, d.vinfo), auth.Name, err)
		}
		if ok {
			srcUps = append(srcUps, &p4v1.Update{Type: p4v1.Update_MODIFY, Entity: n})
		}
		if heldOtherwise(e, n) {
			shadow[k] = e
		}
	}
	// Make before break: the device the host goes to first.
	first, firstUps, second, secondUps := b, dstUps, auth, srcUps
	if !toMirror {
		first, firstUps, second, secondUps = auth, srcUps, b, dstUps
	}
	// The journal keeps what the source will hold otherwise first, for a
	// proxy that restarts in the middle (the switches alone cannot always
	// tell: a replica to the trunk stands for several hosts).
	if store := d.opts.Shadows; store != nil && len(shadow) > 0 {
		if err := store.KeepShadows(d.id, slices.Collect(maps.Values(shadow))); err != nil {
			return fmt.Errorf("device %d: moving port %d: %w: %w", d.id, p, ErrJournal, err)
		}
	}
	// While the devices change, reads answer the controller's form of
	// what sends to p either way (writes wait; what the shadow holds is
	// what the controller wrote).
	d.mu.Lock()
	during := make(map[entity.Key]*p4v1.Entity, len(d.shadow)+len(shadow))
	maps.Copy(during, d.shadow)
	maps.Copy(during, shadow)
	d.shadow = during
	d.mu.Unlock()
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.WriteTimeout)
	defer cancel()
	if err := first.client.Write(wctx, firstUps); err != nil {
		return fmt.Errorf("device %d: moving port %d: rewriting %s: %w", d.id, p, first.Name, err)
	}
	if err := second.client.Write(wctx, secondUps); err != nil {
		return fmt.Errorf("device %d: moving port %d: rewriting %s: %w", d.id, p, second.Name, err)
	}
	if err := b.setTranslators(dst); err != nil {
		return err
	}
	if err := auth.setTranslators(src); err != nil {
		return err
	}
	d.mu.Lock()
	if toMirror {
		d.moved[p] = true
	} else {
		delete(d.moved, p)
	}
	d.shadow = shadow
	d.mu.Unlock()
	d.portsChanged()
	d.log.Info("host moved", "port", p, "to", first.Name, "rewritten", len(dstUps)+len(srcUps))
	return nil
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

// virtualState reads what carries ports a packet is sent to (table and
// default entries, members, multicast groups, clone sessions) from the
// source, in the controller's form.
func (d *Device) virtualState(ctx context.Context, auth *Backend) ([]*p4v1.Entity, error) {
	var out []*p4v1.Entity
	var members entity.Members // bmv2 reads a weighted member once per unit of weight
	for _, f := range d.outputFilters() {
		err := d.readFrom(ctx, auth, []*p4v1.Entity{f}, func(r *p4v1.ReadResponse) error {
			for _, e := range r.GetEntities() {
				if e.GetTableEntry().GetIsConst() || members.Repeated(e) {
					continue
				}
				entity.StripReadOnly(e)
				if te := e.GetTableEntry(); te != nil {
					te.CounterData = nil // rewriting an entry leaves its counter as it is
				}
				out = append(out, e)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("device %d: reading %s: %w", d.id, auth.Name, err)
		}
	}
	return out, nil
}
