package proxy

import (
	"context"
	"fmt"
	"slices"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/entity"
)

// CutOver makes the mirror the device (DESIGN.md step 6): the mirror must
// be live with every host moved. The source's counters are kept as offsets
// that reads add to the target's (a counter never goes back), the
// controller's pipeline is kept to answer GetForwardingPipelineConfig, and
// from then on everything goes to the target alone. keep, when set, is
// given what the device keeps from its source (CutOverState) before
// anything goes to the target alone, while writes wait: a journal makes
// it the commit point (a restarted proxy stands for the target from
// then); when keep fails nothing changes. It returns the former source,
// which the caller releases.
func (d *Device) CutOver(ctx context.Context, keep func(*CutOverState) error) (*Backend, error) {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	if err := d.drainTrail(ctx); err != nil {
		return nil, fmt.Errorf("device %d: the mirror did not apply every write: %w", d.id, err)
	}
	d.mu.RLock()
	src, b, mode, ports := d.auth, d.mirror, d.mode, d.ports
	var left []uint64
	if ports != nil { // with a mirror
		for _, h := range ports.Hosts {
			if !d.moved[h] {
				left = append(left, h)
			}
		}
	}
	d.mu.RUnlock()
	if b == nil || mode != MirrorLive {
		return nil, fmt.Errorf("device %d: %w: cut over needs a live mirror (mode %s)", d.id, ErrMigrating, mode)
	}
	if len(left) > 0 {
		return nil, fmt.Errorf("device %d: %w: hosts on ports %v are still on %s", d.id, ErrMigrating, left, src.Name)
	}
	cfg, err := src.client.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_ALL)
	if err != nil {
		return nil, fmt.Errorf("device %d: keeping the pipeline of %s: %w", d.id, src.Name, err)
	}
	final, err := d.counters(ctx, src)
	if err != nil {
		return nil, err
	}
	if src.gnmiClient() != nil {
		// The interfaces the controller knows, named after this switch.
		if _, err := d.readOrigin(ctx, src); err != nil {
			d.log.Warn("cut over without the source's interface list", "err", err)
		}
	}
	d.mu.RLock()
	offsets := sumCounters(d.offsets, final)
	d.mu.RUnlock()
	if keep != nil {
		st, err := cutOverState(cfg, ports.Map, offsets, d.vports.get())
		if err == nil {
			err = keep(st)
		}
		if err != nil {
			return nil, fmt.Errorf("device %d: keeping the cut over: %w", d.id, err)
		}
	}
	d.mu.Lock()
	d.unlistenLocked(src)
	d.auth, d.mirror, d.mode, d.virtual, d.cutMap = b, nil, MirrorOff, cfg, ports.Map
	d.ports, d.moved, d.shadow, d.seenMirror = nil, nil, nil, nil
	d.offsets = offsets
	n := len(d.offsets)
	d.mu.Unlock()
	d.digests.reset()
	d.portsChanged()
	d.forgetShadows()
	d.log.Info("cut over", "from", src.Name, "to", b.Name, "counter_offsets", n)
	return src, nil
}

// counters reads every direct and indirect counter of b that is not zero,
// by the key of its entity in the controller's terms.
func (d *Device) counters(ctx context.Context, b *Backend) (map[entity.Key]*p4v1.CounterData, error) {
	var filters []*p4v1.Entity
	for _, t := range d.vinfo.Tables {
		if t.DirectCounter != nil {
			filters = append(filters, &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: t.ID, CounterData: &p4v1.CounterData{}}}})
		}
	}
	for _, c := range d.vinfo.Counters {
		filters = append(filters, &p4v1.Entity{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: c.ID}}})
	}
	return d.readCounters(ctx, b, filters, true)
}

// readCounters reads what filters select from b and keeps the counter
// values, by counterKey in the controller's terms (with skipZero, only
// those that are not zero). Only keys are translated back: what an entry
// does (it may send to the trunk) does not name its counter.
func (d *Device) readCounters(ctx context.Context, b *Backend, filters []*p4v1.Entity, skipZero bool) (map[entity.Key]*p4v1.CounterData, error) {
	out := map[entity.Key]*p4v1.CounterData{}
	for _, f := range filters {
		if tr := b.phys(); tr != nil {
			var err error
			if f, err = tr.Filter(f); err != nil {
				return nil, fmt.Errorf("device %d: %w: counter filter: %w", d.id, ErrInvalid, err)
			}
		}
		err := readRaw(ctx, b, f, func(e *p4v1.Entity) error {
			c := counterOf(e)
			if c == nil || skipZero && c.GetByteCount() == 0 && c.GetPacketCount() == 0 {
				return nil
			}
			k := counterQuery(e)
			if back := b.virt(); back != nil {
				var err error
				if k, err = back.Entity(k); err != nil {
					return fmt.Errorf("%w: %s answered %s, which has no counterpart on the virtual device: %w",
						ErrBackend, b.Name, entity.Describe(e, b.Info()), err)
				}
			}
			if key, err := counterKey(k); err == nil {
				out[key] = c
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("device %d: reading the counters of %s: %w", d.id, b.Name, err)
		}
	}
	return out, nil
}

// counterQuery is what names e's counter: its table entry's key for a
// direct counter, its cell's for an indirect one.
func counterQuery(e *p4v1.Entity) *p4v1.Entity {
	if dc := e.GetDirectCounterEntry(); dc != nil {
		return entity.Query(&p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: dc.GetTableEntry()}})
	}
	return entity.Query(e)
}

// counterOf is the counter value an entity carries (a table entry's direct
// counter, a direct counter entry, a counter cell), or nil.
func counterOf(e *p4v1.Entity) *p4v1.CounterData {
	switch x := e.GetEntity().(type) {
	case *p4v1.Entity_TableEntry:
		return x.TableEntry.GetCounterData()
	case *p4v1.Entity_DirectCounterEntry:
		return x.DirectCounterEntry.GetData()
	case *p4v1.Entity_CounterEntry:
		return x.CounterEntry.GetData()
	}
	return nil
}

// counterKey identifies a counter: its table entry's key for a direct
// counter, its cell's for an indirect one.
func counterKey(e *p4v1.Entity) (entity.Key, error) {
	if dc := e.GetDirectCounterEntry(); dc != nil {
		return entity.Of(&p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: dc.GetTableEntry()}})
	}
	return entity.Of(e)
}

// addCounters adds to the counters in ents those of add, by key.
func addCounters(ents []*p4v1.Entity, add map[entity.Key]*p4v1.CounterData) {
	if len(add) == 0 {
		return
	}
	for _, e := range ents {
		c := counterOf(e)
		if c == nil {
			continue
		}
		k, err := counterKey(e)
		if err != nil {
			continue
		}
		if o := add[k]; o != nil {
			c.ByteCount += o.GetByteCount()
			c.PacketCount += o.GetPacketCount()
		}
	}
}

// sumCounters returns a new map with, for each key of a or b, the sum of
// their counts.
func sumCounters(a, b map[entity.Key]*p4v1.CounterData) map[entity.Key]*p4v1.CounterData {
	out := make(map[entity.Key]*p4v1.CounterData, len(a)+len(b))
	for _, m := range []map[entity.Key]*p4v1.CounterData{a, b} {
		for k, c := range m {
			o := out[k]
			if o == nil {
				o = &p4v1.CounterData{}
				out[k] = o
			}
			o.ByteCount += c.GetByteCount()
			o.PacketCount += c.GetPacketCount()
		}
	}
	return out
}

// keepHighest raises each counter of into to its value in from, when
// higher (into gains the keys it lacks).
func keepHighest(into, from map[entity.Key]*p4v1.CounterData) {
	for k, c := range from {
		o := into[k]
		if o == nil {
			into[k] = &p4v1.CounterData{ByteCount: c.GetByteCount(), PacketCount: c.GetPacketCount()}
			continue
		}
		o.ByteCount = max(o.ByteCount, c.GetByteCount())
		o.PacketCount = max(o.PacketCount, c.GetPacketCount())
	}
}

// asksCounters reports whether a read filter reads counter values.
func asksCounters(f *p4v1.Entity) bool {
	switch x := f.GetEntity().(type) {
	case *p4v1.Entity_TableEntry:
		return x.TableEntry.GetCounterData() != nil
	case *p4v1.Entity_DirectCounterEntry, *p4v1.Entity_CounterEntry:
		return true
	}
	return false
}

// forgetOffsets drops the offsets (and the mirror's counts seen) a write
// makes meaningless: of an entry deleted, or a counter the controller set.
func (d *Device) forgetOffsets(ups []*p4v1.Update, applied []int) {
	d.mu.RLock()
	none := len(d.offsets) == 0 && len(d.seenMirror) == 0
	d.mu.RUnlock()
	if none {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.offsets) == 0 && len(d.seenMirror) == 0 {
		return
	}
	for _, i := range applied {
		u := ups[i]
		if u.Type != p4v1.Update_DELETE && counterOf(u.Entity) == nil {
			continue
		}
		if k, err := counterKey(u.Entity); err == nil {
			delete(d.offsets, k)
			delete(d.seenMirror, k)
		}
	}
}

// mirrorCounters reads from mirror b the counters the filters ask for:
// while both devices carry traffic a counter is the sum of both (the clone
// leaves the target's counters at zero). When b does not answer, the
// highest values reads took from it stand in: a counter never goes back.
// same is false when b was brought in line again (Reseed) since gen: the
// counts it took became offsets meanwhile.
func (d *Device) mirrorCounters(ctx context.Context, b *Backend, filters []*p4v1.Entity, gen uint64) (got map[entity.Key]*p4v1.CounterData, same bool) {
	if b == nil || !slices.ContainsFunc(filters, asksCounters) {
		return nil, true
	}
	var asked []*p4v1.Entity
	for _, f := range filters {
		if asksCounters(f) {
			asked = append(asked, f)
		}
	}
	got, err := d.readCounters(ctx, b, asked, false)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.mirror != b {
		return got, true // detached meanwhile: its counts are newer offsets
	}
	if d.reseeds != gen {
		return nil, false
	}
	if err != nil {
		d.log.Warn("the mirror's counters did not read; adding those the controller saw last", "mirror", b.Name, "err", err)
		got = make(map[entity.Key]*p4v1.CounterData, len(d.seenMirror))
		keepHighest(got, d.seenMirror)
		return got, true
	}
	if d.seenMirror == nil {
		d.seenMirror = map[entity.Key]*p4v1.CounterData{}
	}
	keepHighest(d.seenMirror, got)
	// A mirror that restarted counts from zero again until Reseed makes
	// what it counted offsets: what the controller saw stands.
	for k := range got {
		got[k] = proto.Clone(d.seenMirror[k]).(*p4v1.CounterData)
	}
	return got, true
}

// mirrorFinal is what the live mirror b counted, for an abort to keep:
// read afresh, and where b does not answer, the highest values reads took
// from it (the controller saw no more).
func (d *Device) mirrorFinal(ctx context.Context, b *Backend) map[entity.Key]*p4v1.CounterData {
	d.mu.RLock()
	final := make(map[entity.Key]*p4v1.CounterData, len(d.seenMirror))
	keepHighest(final, d.seenMirror)
	d.mu.RUnlock()
	rctx, cancel := context.WithTimeout(ctx, d.opts.WriteTimeout)
	defer cancel()
	got, err := d.counters(rctx, b)
	if err != nil {
		d.log.Warn("detaching the mirror: its counters did not read; keeping those the controller saw", "mirror", b.Name, "err", err)
	}
	keepHighest(final, got)
	return final
}
