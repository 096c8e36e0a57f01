package proxy

import (
	"context"
	"fmt"
	"slices"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/entity"
)

// CatchUp replays the writes recorded since AttachMirror onto the mirror,
// idempotently and in order (the mirror may hold some of them already, from
// the clone that ran meanwhile), then switches to MirrorLive. Controllers
// keep writing while it runs: recorded writes are replayed in rounds while
// new ones are recorded, and the last few under the write lock, so that no
// write reaches the mirror out of order. A replayed write the mirror
// refuses because the clone copied a later state (a group naming a
// member that was gone by the time the clone read members, a member
// still in a group whose change was refused) is settled once the journal
// is replayed, under the write lock: the mirror is made to hold what the
// authoritative device holds for it (reconcileAll); only what that cannot
// settle is kept for repair. It returns how many updates it replayed. On
// error (ctx ended) what was not replayed stays recorded, what was refused
// is kept for repair, and the device stays in MirrorLogging.
func (d *Device) CatchUp(ctx context.Context) (int, error) {
	const rounds, few = 8, 64
	b, mode := d.Mirror()
	if b == nil || mode != MirrorLogging {
		return 0, fmt.Errorf("device %d: catch-up needs a mirror in mode logging (mode %s)", d.id, mode)
	}
	var refused []Repair
	failed := func(n int, err error) (int, error) {
		for _, r := range refused {
			d.addRepairs([]*p4v1.Update{r.Update}, r.Error)
		}
		return n, err
	}
	n := 0
	for round := 0; round < rounds; round++ {
		k, err := d.replay(ctx, b, &refused)
		n += k
		if err != nil {
			return failed(n, err)
		}
		d.mu.RLock()
		left := len(d.journal)
		d.mu.RUnlock()
		if left <= few {
			break
		}
	}
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	k, err := d.replay(ctx, b, &refused)
	n += k
	if err != nil {
		return failed(n, err)
	}
	if err := ctx.Err(); err != nil {
		return failed(n, err)
	}
	d.reconcileAll(ctx, d.Authoritative(), b, refused)
	d.mu.Lock()
	d.mode = MirrorLive
	d.mu.Unlock()
	d.log.Info("mirror live", "mirror", b.Name, "replayed", n, "settled", len(refused))
	return n, nil
}

// replay replays what is recorded now, adding to refused what the mirror
// refuses; on error, what it did not replay goes back in front of the
// journal.
func (d *Device) replay(ctx context.Context, b *Backend, refused *[]Repair) (int, error) {
	d.mu.Lock()
	todo := d.journal
	d.journal = nil
	d.mu.Unlock()
	n := 0
	for i, w := range todo {
		if err := ctx.Err(); err != nil {
			d.mu.Lock()
			d.journal = append(slices.Clip(todo[i:]), d.journal...)
			d.mu.Unlock()
			return n, err
		}
		d.mirrorPending(ctx, b, d.mirrorUpdates(b, w), nil, func(ps []pendingUpdate, err error) {
			for _, p := range ps {
				*refused = append(*refused, Repair{Update: p.virt, Error: fmt.Sprintf("%s refused it: %v", b.Name, err)})
			}
		})
		d.stats.replayed.Add(int64(len(w)))
		n += len(w)
	}
	return n, nil
}

// Repair reconciles the mirror with the authoritative device for every
// entity kept for repair: the authoritative device's entity is written to
// the mirror (INSERT or MODIFY), or deleted from it when the authoritative
// device has none. It returns the repairs that still fail.
func (d *Device) Repair(ctx context.Context) ([]Repair, error) {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	if err := d.drainTrail(ctx); err != nil {
		return d.Repairs(), err
	}
	d.mu.Lock()
	todo := d.repairs
	d.repairs = nil
	auth, b := d.auth, d.mirror
	d.mu.Unlock()
	if b == nil {
		return nil, nil
	}
	d.reconcileAll(ctx, auth, b, todo)
	return d.Repairs(), ctx.Err()
}

// reconcileAll makes mirror b hold what auth holds for the entity of each
// of todo (once per entity), writes held: the authoritative device's
// entities are written (INSERT, made MODIFY by intent) in dependency
// order (members before the groups that name them, groups before the
// entries), then those it lacks are deleted in the reverse order (entries
// before their groups, groups before their members). What still fails is
// kept for repair.
func (d *Device) reconcileAll(ctx context.Context, auth, b *Backend, todo []Repair) {
	seen := map[entity.Key]bool{}
	var ups []*p4v1.Update
	for _, r := range todo {
		e := r.Update.GetEntity()
		k, err := entity.Of(e)
		if err != nil {
			d.addRepairs([]*p4v1.Update{r.Update}, r.Error)
			continue
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		us, err := d.reconcile(ctx, auth, e)
		if err != nil {
			d.addRepairs([]*p4v1.Update{r.Update}, fmt.Sprintf("%s; reconciling it: %v", r.Error, err))
			continue
		}
		ups = append(ups, us...)
	}
	slices.SortStableFunc(ups, func(x, y *p4v1.Update) int {
		xd, yd := x.Type == p4v1.Update_DELETE, y.Type == p4v1.Update_DELETE
		kx, ky := int(entity.KindOf(x.Entity)), int(entity.KindOf(y.Entity))
		switch {
		case xd != yd && xd:
			return 1
		case xd != yd:
			return -1
		case xd:
			return ky - kx
		}
		return kx - ky
	})
	for _, u := range ups {
		d.mirrorWrite(ctx, b, []*p4v1.Update{u})
	}
}

// reconcile gives the updates (virtual form) that make the mirror hold what
// the authoritative device holds for e's key.
func (d *Device) reconcile(ctx context.Context, auth *Backend, e *p4v1.Entity) ([]*p4v1.Update, error) {
	var got []*p4v1.Entity
	err := d.readFrom(ctx, auth, []*p4v1.Entity{entity.Query(e)}, func(r *p4v1.ReadResponse) error {
		got = append(got, r.GetEntities()...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading it from %s: %w", auth.Name, err)
	}
	k := entity.MustOf(e)
	for _, g := range got {
		if gk, err := entity.Of(g); err == nil && gk == k {
			entity.StripReadOnly(g)
			// An INSERT is made MODIFY by intent when it exists.
			return []*p4v1.Update{{Type: entity.WriteType(entity.KindOf(g)), Entity: g}}, nil
		}
	}
	if !entity.Insertable(entity.KindOf(e)) {
		return nil, fmt.Errorf("%s has no such entity", auth.Name)
	}
	return []*p4v1.Update{{Type: p4v1.Update_DELETE, Entity: entity.Query(e)}}, nil
}
