package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/migrator/snapshot"
	"github.com/lime-p4/lime/p4/entity"
)

// Read answers a controller's Read (spec section 11 "Read RPC") from the
// authoritative device, translated back to the controller's terms: what
// the controller wrote reads back as it wrote it.
func (d *Device) Read(ctx context.Context, req *p4v1.ReadRequest, send func(*p4v1.ReadResponse) error) error {
	if req.GetDeviceId() != d.id {
		return fmt.Errorf("%w: device %d (this is device %d)", ErrUnknownDevice, req.GetDeviceId(), d.id)
	}
	if err := d.checkHeld(); err != nil {
		return err
	}
	// The devices and the offsets of one moment: a mirror detached or a
	// source released meanwhile has its counts in newer offsets. A mirror
	// brought in line again after it restarted meanwhile (its counts
	// became offsets) makes the read take that moment again.
	var (
		auth, mirror *Backend
		view         shadowView
		offsets      map[entity.Key]*p4v1.CounterData
		mirrored     map[entity.Key]*p4v1.CounterData
	)
	for attempt := 0; ; attempt++ {
		d.mu.RLock()
		var gen uint64
		auth, mirror, offsets, gen = d.auth, d.mirror, d.offsets, d.reseeds
		view = d.shadowViewLocked(auth)
		d.mu.RUnlock()
		var same bool
		if mirrored, same = d.mirrorCounters(ctx, mirror, req.GetEntities(), gen); same {
			break
		}
		if attempt == 3 {
			return fmt.Errorf("device %d: %w: its mirror keeps being set up again; read again", d.id, ErrHeld)
		}
	}
	return d.readView(ctx, view, req.GetEntities(), func(r *p4v1.ReadResponse) error {
		addCounters(r.GetEntities(), mirrored)
		d.mu.RLock() // offsets lose the counters the controller deletes
		addCounters(r.GetEntities(), offsets)
		d.mu.RUnlock()
		return send(r)
	})
}

// readFrom reads filters (virtual form) from backend b and sends what it
// answers, in the controller's terms.
func (d *Device) readFrom(ctx context.Context, b *Backend, filters []*p4v1.Entity, send func(*p4v1.ReadResponse) error) error {
	d.mu.RLock()
	v := d.shadowViewLocked(b)
	d.mu.RUnlock()
	return d.readView(ctx, v, filters, send)
}

// readView is readFrom with the shadow a read of v.b began with.
func (d *Device) readView(ctx context.Context, v shadowView, filters []*p4v1.Entity, send func(*p4v1.ReadResponse) error) error {
	b := v.b
	if b.phys() != nil {
		phys := make([]*p4v1.Entity, len(filters))
		for i, f := range filters {
			p, err := b.phys().Filter(f)
			if err != nil {
				return fmt.Errorf("%w: read filter %d: %w", ErrInvalid, i, err)
			}
			phys[i] = p
		}
		filters = phys
	}
	return readStream(ctx, b, filters, func(resp *p4v1.ReadResponse) error {
		// The shadow stands even where b translates nothing (a host
		// move back's last batches: the source holds some entities in
		// another form still).
		back := b.virt()
		if back == nil && !v.any() {
			return send(resp)
		}
		for i, e := range resp.GetEntities() {
			if c := v.controllers(e); c != nil {
				resp.Entities[i] = c
				continue
			}
			if back != nil {
				if err := back.EntityInPlace(e); err != nil {
					return fmt.Errorf("%w: %s answered %s, which has no counterpart on the virtual device: %w",
						ErrBackend, b.Name, entity.Describe(e, b.Info()), err)
				}
			}
		}
		return send(resp)
	})
}

// readStream reads filters from b as b answers them, untranslated, passing
// each response to each.
func readStream(ctx context.Context, b *Backend, filters []*p4v1.Entity, each func(*p4v1.ReadResponse) error) error {
	stream, err := b.client.Raw().Read(ctx, &p4v1.ReadRequest{DeviceId: b.client.DeviceID(), Role: b.client.Role(), Entities: filters})
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
		if err := each(resp); err != nil {
			return err
		}
	}
}

// ControllerReader reads the authoritative device through r (which reads
// it in its own terms: its P4Runtime client, or a reader that takes
// registers over Thrift) as the controller wrote it: an entity it holds in
// another form (sending to a moved host through the trunk) reads as the
// controller's. A clone or a diff of a device whose hosts moved reads the
// source so.
func (d *Device) ControllerReader(r snapshot.Reader) snapshot.Reader {
	return snapshot.ReadFunc(func(ctx context.Context, filters ...*p4v1.Entity) iter.Seq2[*p4v1.Entity, error] {
		return func(yield func(*p4v1.Entity, error) bool) {
			d.mu.RLock()
			view := d.shadowViewLocked(d.auth)
			d.mu.RUnlock()
			feed := d.outputsFeed()
			whole := true
			for e, err := range r.Read(ctx, filters...) {
				if err == nil {
					if v := view.controllers(e); v != nil {
						e = v
					}
					if feed != nil {
						feed.add(e)
					}
				} else {
					whole = false
				}
				if !yield(e, err) {
					return
				}
			}
			if feed != nil && whole {
				feed.readWhole(filters)
			}
		}
	})
}

// shadowView is how a read of backend b finds the controller's form of
// what b holds in another form (the shadow: entities the source sends to
// a moved host through the trunk). It keeps the shadow the device had
// when the read began, if b was the source then: a cut over or a detach
// replaces the device's shadow but leaves that map as it was, so a read
// still streaming from the former source answers the controller's form,
// not the trunk. Writes and host moves change the map in place, under
// d.mu, while it is the device's. Without one at the start, it looks at
// the device's shadow as it is.
type shadowView struct {
	d *Device
	b *Backend
	m map[entity.Key]*p4v1.Entity
}

// shadowViewLocked is the view of a read of b beginning now; d.mu is held.
func (d *Device) shadowViewLocked(b *Backend) shadowView {
	v := shadowView{d: d, b: b}
	if b == d.origin {
		v.m = d.shadow
	}
	return v
}

// shadowLocked is the shadow the view reads; d.mu is held.
func (v shadowView) shadowLocked() map[entity.Key]*p4v1.Entity {
	if v.m != nil {
		return v.m
	}
	if v.b == v.d.origin {
		return v.d.shadow
	}
	return nil
}

// any reports whether b may hold entities in another form than the
// controller's (controllers may answer for some of them).
func (v shadowView) any() bool {
	v.d.mu.RLock()
	defer v.d.mu.RUnlock()
	return len(v.shadowLocked()) > 0
}

// controllers is the controller's form of e, read from b, when b holds e in
// another form (e sends to a moved host, through the trunk), with e's
// volatile values; else nil.
func (v shadowView) controllers(e *p4v1.Entity) *p4v1.Entity {
	v.d.mu.RLock()
	sh := v.shadowLocked()
	if len(sh) == 0 {
		v.d.mu.RUnlock()
		return nil
	}
	k, err := entity.Of(e)
	if err != nil {
		v.d.mu.RUnlock()
		return nil
	}
	s, ok := sh[k]
	v.d.mu.RUnlock()
	if !ok {
		return nil
	}
	c := proto.Clone(s).(*p4v1.Entity)
	if te, ce := e.GetTableEntry(), c.GetTableEntry(); te != nil && ce != nil {
		ce.CounterData, ce.MeterCounterData, ce.TimeSinceLastHit, ce.IsConst = te.CounterData, te.MeterCounterData, te.TimeSinceLastHit, te.IsConst
		if te.MeterConfig == nil {
			ce.MeterConfig = nil // not asked for
		}
	}
	return c
}
