//lint:file-ignore SA1019 P4Runtime 1.3 targets (bmv2, ONOS) use a replica's egress_port; lime carries it

package proxy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/migrator/snapshot"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/p4/translate"
)

// Reattach makes b the device's mirror again after the proxy restarted in
// the middle of a migration whose hosts on ports moved are on b already
// (DESIGN.md, "Faults"): as AttachMirror (MirrorLogging), with the
// translations of those moves, and with what the source holds in another
// form than the controller wrote it — entities that send to a moved host
// through the trunk — rebuilt from the two switches: where the source
// sends to the trunk, the target says to which host. moving, when set, is
// the host whose move may have stopped halfway: where the target does not
// know the host either (it still sends to the trunk), the source sent to
// that one. Writes wait while it reads. Without moved hosts nor moving it
// is AttachMirror.
func (d *Device) Reattach(ctx context.Context, b *Backend, ports Ports, moved []uint64, moving *uint64) error {
	if len(moved) == 0 && moving == nil {
		return d.AttachMirror(b, ports)
	}
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	d.mu.RLock()
	auth, origin, mirror, vinfo := d.auth, d.origin, d.mirror, d.vinfo
	d.mu.RUnlock()
	switch {
	case mirror != nil:
		return fmt.Errorf("device %d: %w: %s is already its mirror", d.id, ErrMigrating, mirror.Name)
	case auth != origin:
		return fmt.Errorf("device %d: %w: it was migrated onto %s already", d.id, ErrMigrating, auth.Name)
	case vinfo == nil || b.Info() == nil:
		return fmt.Errorf("device %d: %w: a mirror needs pipelines on both devices", d.id, ErrNoPipeline)
	case ports.Trunk == nil:
		return fmt.Errorf("device %d: %w: hosts %v were moved without a trunk", d.id, ErrInvalid, moved)
	case moving != nil && !slices.Contains(ports.Hosts, *moving):
		return fmt.Errorf("device %d: %w: moving port %d is not a host port of the migration", d.id, ErrInvalid, *moving)
	}
	if err := ports.check(); err != nil {
		return fmt.Errorf("device %d: %w", d.id, err)
	}
	mv := map[uint64]bool{}
	for _, p := range moved {
		if !slices.Contains(ports.Hosts, p) {
			return fmt.Errorf("device %d: %w: moved port %d is not a host port of the migration", d.id, ErrInvalid, p)
		}
		mv[p] = true
	}
	src, dst, err := d.translations(b, &ports, mv)
	if err != nil {
		return err
	}
	// How the source held what was written while the moving host was on
	// the target (its move ended, or half).
	var srcMoving *translate.Translator
	if moving != nil && !mv[*moving] {
		with := maps.Clone(mv)
		with[*moving] = true
		if srcMoving, _, err = d.translations(b, &ports, with); err != nil {
			return err
		}
	}
	// What the source reads fills the index of outputs whole.
	outs := newOutputIndex(&ports, vinfo, d.outputFilters())
	shadow, err := d.rebuildShadow(ctx, auth, b, src, dst, srcMoving, &ports, moving, outs)
	if err != nil {
		return err
	}
	if err := b.setTranslators(dst); err != nil {
		return err
	}
	if err := auth.setTranslators(src); err != nil {
		return err
	}
	d.mu.Lock()
	d.mirror, d.mode, d.journal = b, MirrorLogging, nil
	d.ports, d.moved, d.shadow = &ports, mv, shadow
	d.moves.outs, d.moves.halfway = outs, nil
	d.listenLocked(b)
	d.mu.Unlock()
	d.log.Info("mirror attached again", "mirror", b.Name, "moved", moved, "shadowed", len(shadow))
	return nil
}

// rebuildShadow finds the entities the source holds in another form than
// the controller's (they send to the trunk in place of a moved host) and
// gives their controller's form, by key: the source's entity with each
// output to the trunk replaced by the target's output in the same place,
// taken back to the virtual device's port. Where the source holds another
// form than the moved hosts give (a host move stopped halfway), it is put
// back as they give; the target is set right by the clone that follows.
// Every entity read from the source goes into outs, in the controller's
// form.
func (d *Device) rebuildShadow(ctx context.Context, auth, b *Backend, src, dst, srcMoving *translate.Translator, ports *Ports, moving *uint64, outs *outputIndex) (map[entity.Key]*p4v1.Entity, error) {
	inv, err := ports.Map.Inverse()
	if err != nil {
		return nil, fmt.Errorf("device %d: %w", d.id, err)
	}
	back, err := translate.New(b.Info(), d.vinfo, translate.WithPorts(inv.With(ports.Trunk.Target, ports.Trunk.Target)))
	if err != nil {
		return nil, fmt.Errorf("device %d: %s: %w", d.id, b.Name, err)
	}
	filters := d.outputFilters()
	// What the target holds, in the controller's terms (its trunk kept).
	onTarget := map[entity.Key]*p4v1.Entity{}
	for _, f := range filters {
		pf, err := dst.Filter(f)
		if err != nil {
			return nil, fmt.Errorf("device %d: %w", d.id, err)
		}
		err = readRaw(ctx, b, pf, func(e *p4v1.Entity) error {
			stripValues(e)
			v, err := back.Entity(e)
			if err != nil {
				return fmt.Errorf("%s holds %s: %w", b.Name, entity.Describe(e, b.Info()), err)
			}
			k, err := entity.Of(v)
			if err == nil {
				onTarget[k] = v
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("device %d: reading %s: %w", d.id, b.Name, err)
		}
	}
	kept, err := d.keptShadows()
	if err != nil {
		return nil, err
	}
	fill := trunkFill{src: ports.Trunk.Source, dst: ports.Trunk.Target, moving: moving}
	shadow := map[entity.Key]*p4v1.Entity{}
	var repairs []*p4v1.Update
	for _, f := range filters {
		err := readRaw(ctx, auth, f, func(e *p4v1.Entity) error {
			stripValues(e)
			if !fill.sendsTo(e, d.vinfo) {
				outs.add(e)
				return nil
			}
			k, err := entity.Of(e)
			if err != nil {
				return nil
			}
			// As the journal kept it before the write that made the
			// source hold it so (the target may not have it yet), else
			// as the target says.
			v := d.keptAs(kept[k], e, src, srcMoving)
			if v == nil {
				t := onTarget[k]
				if t == nil {
					return fmt.Errorf("%s sends to the trunk, and %s lacks it: which host it sends to is lost", entity.Describe(e, d.vinfo), b.Name)
				}
				v = proto.Clone(e).(*p4v1.Entity)
				if err := fill.in(v, t, d.vinfo); err != nil {
					return fmt.Errorf("%s: %w", entity.Describe(e, d.vinfo), err)
				}
			}
			want := v
			if src != nil {
				if want, err = src.Entity(v); err != nil {
					return fmt.Errorf("%s: %w", entity.Describe(e, d.vinfo), err)
				}
			}
			if !entity.Equal(want, e) {
				// A host move stopped halfway: its source sends to the
				// trunk, but the move did not end. Back as the journal
				// says; the move runs again.
				repairs = append(repairs, &p4v1.Update{Type: p4v1.Update_MODIFY, Entity: want})
			}
			if heldOtherwise(v, want) {
				shadow[k] = v
			}
			outs.add(v)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("device %d: rebuilding what %s sends to moved hosts: %w", d.id, auth.Name, err)
		}
	}
	outs.readWhole(filters)
	if len(repairs) > 0 {
		if err := auth.client.Write(ctx, repairs); err != nil {
			return nil, fmt.Errorf("device %d: putting back on %s what a host move stopped halfway changed: %w", d.id, auth.Name, err)
		}
		d.log.Warn("a host move had stopped halfway: the source's entities put back", "entities", len(repairs))
	}
	return shadow, nil
}

// keptAs is the journal's form j of e (as the source holds it), when
// one of the translators (the moved hosts', with the moving host or
// without) gives e from it; else nil.
func (d *Device) keptAs(j, e *p4v1.Entity, trs ...*translate.Translator) *p4v1.Entity {
	if j == nil {
		return nil
	}
	for _, tr := range trs {
		if tr == nil {
			continue
		}
		if jp, err := tr.Entity(j); err == nil && entity.Equal(stripped(jp), e) {
			return stripped(j)
		}
	}
	return nil
}

// keptShadows are the entities Options.Shadows kept for the device, by
// key.
func (d *Device) keptShadows() (map[entity.Key]*p4v1.Entity, error) {
	out := map[entity.Key]*p4v1.Entity{}
	if d.opts.Shadows == nil {
		return out, nil
	}
	ents, err := d.opts.Shadows.Shadows(d.id)
	if err != nil {
		return nil, fmt.Errorf("device %d: the journal's trunk rewrites: %w", d.id, err)
	}
	for _, e := range ents {
		if k, err := entity.Of(e); err == nil {
			out[k] = e
		}
	}
	return out, nil
}

// outputFilters read (in the controller's ids) what carries ports a packet
// is sent to: table and default entries (with their meter configs),
// members, groups (watch ports), multicast groups, clone sessions.
func (d *Device) outputFilters() []*p4v1.Entity {
	var filters []*p4v1.Entity
	for _, p := range d.vinfo.ActionProfiles {
		// Not all at once: bmv2 refuses reads of a one-shot selector's
		// members while it holds one-shot sets, which entries carry.
		if !p.OneShot {
			filters = append(filters, &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{ActionProfileId: p.ID}}})
		}
	}
	filters = append(filters, []*p4v1.Entity{
		{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
			Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{}}}}},
		{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
			Type: &p4v1.PacketReplicationEngineEntry_CloneSessionEntry{CloneSessionEntry: &p4v1.CloneSessionEntry{}}}}},
	}...)
	for _, p := range d.vinfo.ActionProfiles {
		if p.WithSelector && !p.OneShot { // watch ports
			filters = append(filters, &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: &p4v1.ActionProfileGroup{ActionProfileId: p.ID}}})
		}
	}
	for _, t := range d.vinfo.Tables {
		if t.IsConst {
			continue
		}
		// With their meter configs, which a MODIFY would reset.
		filters = append(filters, &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: snapshot.TableFilter(t)}})
		if t.ConstDefault == nil && t.Profile == nil {
			filters = append(filters, &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: t.ID, IsDefaultAction: true}}})
		}
	}
	return filters
}

// stripped is a copy of e without what stripValues removes.
func stripped(e *p4v1.Entity) *p4v1.Entity {
	c := proto.Clone(e).(*p4v1.Entity)
	stripValues(c)
	return c
}

// stripValues leaves what a rewrite of e writes: no read-only fields, no
// counter values (a rewrite leaves them as they are).
func stripValues(e *p4v1.Entity) {
	entity.StripReadOnly(e)
	if te := e.GetTableEntry(); te != nil {
		te.CounterData, te.MeterCounterData = nil, nil
	}
}

// readRaw reads filter f from b as b answers it, untranslated; const
// entries and the repeated reads of a weighted member (entity.Members) are
// left out.
func readRaw(ctx context.Context, b *Backend, f *p4v1.Entity, each func(*p4v1.Entity) error) error {
	var members entity.Members
	return readStream(ctx, b, []*p4v1.Entity{f}, func(resp *p4v1.ReadResponse) error {
		for _, e := range resp.GetEntities() {
			if e.GetTableEntry().GetIsConst() || members.Repeated(e) {
				continue
			}
			if err := each(e); err != nil {
				return err
			}
		}
		return nil
	})
}

// trunkFill says how to fill in the controller's form of an entity the
// source sends to its trunk, from the target's (taken back to the
// controller's terms, its own trunk kept): the target's port where it
// names one, else the host that was moving.
type trunkFill struct {
	src, dst uint64
	moving   *uint64
}

// sendsTo reports whether e sends to the source's trunk.
func (f trunkFill) sendsTo(e *p4v1.Entity, in *info.Info) bool {
	for _, o := range outputs(e, in) {
		if o.get() == f.src {
			return true
		}
	}
	return false
}

// in replaces in v each output that is the source's trunk with t's output
// in the same place (v and t: one entity as the source and the target hold
// it, in the controller's ids).
func (f trunkFill) in(v, t *p4v1.Entity, in *info.Info) error {
	ov, ot := outputs(v, in), outputs(t, in)
	if len(ov) != len(ot) {
		return fmt.Errorf("the switches hold it with %d and %d outputs", len(ov), len(ot))
	}
	for i, o := range ov {
		if o.get() != f.src {
			continue
		}
		switch q := ot[i].get(); {
		case q != f.dst:
			o.set(q)
		case f.moving != nil:
			o.set(*f.moving)
		default:
			return errors.New("both switches send it to their trunk: to which host is lost")
		}
	}
	return nil
}
