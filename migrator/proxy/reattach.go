package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/lime-p4/lime/migrator/snapshot"
	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/translate"
)

// Reattach makes b the device's mirror again after the proxy restarted in
// the middle of a migration whose hosts on ports moved are on b already
// (DESIGN.md, "Faults"): as AttachMirror (MirrorLogging), with the
// translations of those moves, and with what the source holds in another
// form than the controller wrote it — entities that send to a moved host
// through the trunk — rebuilt from the two switches: where the source
// sends to the trunk, the target says to which host. Writes wait while it
// reads. Without moved hosts it is AttachMirror.
func (d *Device) Reattach(ctx context.Context, b *Backend, ports Ports, moved []uint64) error {
	if len(moved) == 0 {
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
	case vinfo == nil || b.info == nil:
		return fmt.Errorf("device %d: %w: a mirror needs pipelines on both devices", d.id, ErrNoPipeline)
	case ports.Trunk == nil:
		return fmt.Errorf("device %d: %w: hosts %v were moved without a trunk", d.id, ErrInvalid, moved)
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
	shadow, err := d.rebuildShadow(ctx, auth, b, src, dst, &ports)
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
	d.listenLocked(b)
	d.mu.Unlock()
	d.log.Info("mirror attached again", "mirror", b.Name, "moved", moved, "shadowed", len(shadow))
	return nil
}

// rebuildShadow finds the entities the source holds in another form than
// the controller's (they send to the trunk in place of a moved host) and
// gives their controller's form, by key: the source's entity with each
// output to the trunk replaced by the target's output in the same place,
// taken back to the virtual device's port. Each result is checked: its
// translation for either switch must be what that switch holds.
func (d *Device) rebuildShadow(ctx context.Context, auth, b *Backend, src, dst *translate.Translator, ports *Ports) (map[entity.Key]*p4v1.Entity, error) {
	inv, err := ports.Map.Inverse()
	if err != nil {
		return nil, fmt.Errorf("device %d: %w", d.id, err)
	}
	back, err := translate.New(b.info, d.vinfo, translate.WithPorts(inv.With(ports.Trunk.Target, ports.Trunk.Target)))
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
				return fmt.Errorf("%s holds %s: %w", b.Name, entity.Describe(e, b.info), err)
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
	trunk := canon.FromUint64(ports.Trunk.Source)
	shadow := map[entity.Key]*p4v1.Entity{}
	for _, f := range filters {
		err := readRaw(ctx, auth, f, func(e *p4v1.Entity) error {
			stripValues(e)
			if !sendsTo(e.ProtoReflect(), trunk, ports.Trunk.Source) {
				return nil
			}
			k, err := entity.Of(e)
			if err != nil {
				return nil
			}
			t := onTarget[k]
			if t == nil {
				return fmt.Errorf("%s sends to the trunk, and %s lacks it: which host it sends to is lost", entity.Describe(e, d.vinfo), b.Name)
			}
			v := proto.Clone(e).(*p4v1.Entity)
			if err := fillTrunk(v.ProtoReflect(), t.ProtoReflect(), trunk, ports.Trunk.Source); err != nil {
				return fmt.Errorf("%s: %w", entity.Describe(e, d.vinfo), err)
			}
			if !heldOtherwise(v, e) {
				return nil // the trunk's number in a field that is no output
			}
			if err := sameThrough(src, v, e); err != nil {
				return fmt.Errorf("%s: the source holds another form: %w", entity.Describe(e, d.vinfo), err)
			}
			shadow[k] = v
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("device %d: rebuilding what %s sends to moved hosts: %w", d.id, auth.Name, err)
		}
	}
	return shadow, nil
}

// sameThrough checks that tr takes v to what a switch holds, held.
func sameThrough(tr *translate.Translator, v, held *p4v1.Entity) error {
	got, err := tr.Entity(v)
	if err != nil {
		return err
	}
	if fields := entity.Diff(got, held); len(fields) > 0 {
		return fmt.Errorf("%v", fields)
	}
	return nil
}

// outputFilters read (in the controller's ids) what carries ports a packet
// is sent to: table and default entries (with their meter configs),
// members, multicast groups, clone sessions.
func (d *Device) outputFilters() []*p4v1.Entity {
	filters := []*p4v1.Entity{
		{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{}}},
		{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
			Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{}}}}},
		{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
			Type: &p4v1.PacketReplicationEngineEntry_CloneSessionEntry{CloneSessionEntry: &p4v1.CloneSessionEntry{}}}}},
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

// stripValues leaves what a rewrite of e writes: no read-only fields, no
// counter values (a rewrite leaves them as they are).
func stripValues(e *p4v1.Entity) {
	entity.StripReadOnly(e)
	if te := e.GetTableEntry(); te != nil {
		te.CounterData, te.MeterCounterData = nil, nil
	}
}

// readRaw reads filter f from b as b answers it, untranslated; const
// entries are left out.
func readRaw(ctx context.Context, b *Backend, f *p4v1.Entity, each func(*p4v1.Entity) error) error {
	stream, err := b.client.Raw().Read(ctx, &p4v1.ReadRequest{DeviceId: b.client.DeviceID(), Role: b.client.Role(), Entities: []*p4v1.Entity{f}})
	if err != nil {
		return err
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, e := range resp.GetEntities() {
			if e.GetTableEntry().GetIsConst() {
				continue
			}
			if err := each(e); err != nil {
				return err
			}
		}
	}
}

// sendsTo reports whether some bytes or integer field of m holds port p
// (trunk, its canonical bytes): whether the entity may send to it.
func sendsTo(m protoreflect.Message, trunk []byte, p uint64) bool {
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		check := func(v protoreflect.Value) {
			switch fd.Kind() {
			case protoreflect.MessageKind:
				found = found || sendsTo(v.Message(), trunk, p)
			case protoreflect.BytesKind:
				found = found || bytes.Equal(canon.Canonical(v.Bytes()), trunk)
			case protoreflect.Uint32Kind, protoreflect.Uint64Kind:
				found = found || v.Uint() == p
			}
		}
		if fd.IsList() {
			for i := 0; i < v.List().Len(); i++ {
				check(v.List().Get(i))
			}
		} else if !fd.IsMap() {
			check(v)
		}
		return !found
	})
	return found
}

// fillTrunk replaces in v, field by field, each value that is the trunk
// port with t's value in the same place (v and t: one entity as the source
// and the target hold it, taken back to the controller's terms). Values
// that differ otherwise keep v's (the source is the truth); a difference
// of shape is an error.
func fillTrunk(v, t protoreflect.Message, trunk []byte, p uint64) error {
	fields := v.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.IsMap() {
			continue
		}
		if v.Has(fd) != t.Has(fd) && (fd.Kind() == protoreflect.MessageKind || fd.IsList()) {
			return fmt.Errorf("the switches hold it in two shapes (%s)", fd.Name())
		}
		if fd.IsList() {
			lv, lt := v.Get(fd).List(), t.Get(fd).List()
			if lv.Len() != lt.Len() {
				return fmt.Errorf("the switches hold %d and %d %s", lv.Len(), lt.Len(), fd.Name())
			}
			for j := 0; j < lv.Len(); j++ {
				if fd.Kind() == protoreflect.MessageKind {
					if err := fillTrunk(lv.Get(j).Message(), lt.Get(j).Message(), trunk, p); err != nil {
						return err
					}
					continue
				}
				if x, ok := trunked(fd, lv.Get(j), lt.Get(j), trunk, p); ok {
					lv.Set(j, x)
				}
			}
			continue
		}
		if !v.Has(fd) {
			continue
		}
		if fd.Kind() == protoreflect.MessageKind {
			if err := fillTrunk(v.Mutable(fd).Message(), t.Get(fd).Message(), trunk, p); err != nil {
				return err
			}
			continue
		}
		if x, ok := trunked(fd, v.Get(fd), t.Get(fd), trunk, p); ok {
			v.Set(fd, x)
		}
	}
	return nil
}

// trunked gives t's value where v's is the trunk port and t's differs.
func trunked(fd protoreflect.FieldDescriptor, v, t protoreflect.Value, trunk []byte, p uint64) (protoreflect.Value, bool) {
	switch fd.Kind() {
	case protoreflect.BytesKind:
		if bytes.Equal(canon.Canonical(v.Bytes()), trunk) && !bytes.Equal(canon.Canonical(t.Bytes()), trunk) {
			return protoreflect.ValueOfBytes(slices.Clone(t.Bytes())), true
		}
	case protoreflect.Uint32Kind, protoreflect.Uint64Kind:
		if v.Uint() == p && t.Uint() != p {
			return t, true
		}
	}
	return protoreflect.Value{}, false
}
