package proxy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/translate"
)

// moveBatch is how many of a host's entities a move reads and holds at
// once (a controller's write of one of them waits for the batch), and
// moveChunk how many it writes to a switch at once (a controller's write
// to that switch waits behind at most those).
const (
	moveBatch = 128
	moveChunk = 32
)

// hostMoves is what a device knows for its host moves (issue 14).
type hostMoves struct {
	run sync.Mutex // one move at a time
	// rewritten and total count the entities of the move running now
	// (MoveProgress).
	rewritten, total atomic.Int64

	// Guarded by Device.mu:
	// outs is the index of outputs of the migration under way.
	outs *outputIndex
	// halfway are the host ports whose move stopped and whose entities
	// could not all be put back: some send as the other side of the move
	// says. A move of the port, either way, rewrites them all.
	halfway map[uint64]bool
	// busy are the keys of the batch a move rewrites now: a controller's
	// write of one of them waits until done closes; the others go on.
	busy map[entity.Key]struct{}
	done chan struct{}
}

// lockWrites takes writeMu for a controller's write of ups, once no batch
// of a host move rewrites an entity it writes (a write of other entities
// goes on beside a batch).
func (d *Device) lockWrites(ups []*p4v1.Update) {
	for {
		d.writeMu.Lock()
		d.mu.RLock()
		busy, done := d.moves.busy, d.moves.done
		d.mu.RUnlock()
		if !touches(busy, ups) {
			return
		}
		d.writeMu.Unlock()
		<-done
	}
}

// touches reports whether one of ups writes an entity of busy (which no
// one changes: a batch sets a new map).
func touches(busy map[entity.Key]struct{}, ups []*p4v1.Update) bool {
	if len(busy) == 0 {
		return false
	}
	for _, u := range ups {
		k, err := entity.Of(u.GetEntity())
		if err != nil {
			continue
		}
		if _, ok := busy[k]; ok {
			return true
		}
	}
	return false
}

// holdKeys makes keys busy for a batch of a host move, once no write is
// under way (writeMu, briefly): from then on until release, a controller's
// write of one of them waits (lockWrites).
func (d *Device) holdKeys(keys []entity.Key) (release func()) {
	busy := make(map[entity.Key]struct{}, len(keys))
	for _, k := range keys {
		busy[k] = struct{}{}
	}
	done := make(chan struct{})
	d.writeMu.Lock()
	d.mu.Lock()
	d.moves.busy, d.moves.done = busy, done
	d.mu.Unlock()
	d.writeMu.Unlock()
	return func() {
		d.mu.Lock()
		d.moves.busy, d.moves.done = nil, nil
		d.mu.Unlock()
		close(done)
	}
}

// outputIndex is the index of outputs of the migration under way, made at
// its first use after the mirror was attached; nil without a mirror (or
// once cut over).
func (d *Device) outputIndex() *outputIndex {
	d.mu.RLock()
	x, ports := d.moves.outs, d.ports
	d.mu.RUnlock()
	if x != nil && x.ports == ports {
		return x
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	m := &d.moves
	if d.ports == nil || d.vinfo == nil || d.auth != d.origin {
		m.outs, m.halfway = nil, nil
		return nil
	}
	if m.outs == nil || m.outs.ports != d.ports {
		m.outs, m.halfway = newOutputIndex(d.ports, d.vinfo, d.outputFilters()), nil
	}
	return m.outs
}

// outputsWritten keeps the index of outputs up to date with a controller's
// write the source answered (see outputIndex.written). writeMu is held.
func (d *Device) outputsWritten(ups []*p4v1.Update, applied []int, unsure []*p4v1.Update) {
	if len(applied) == 0 && len(unsure) == 0 {
		return
	}
	d.mu.RLock()
	none := d.ports == nil && d.moves.outs == nil
	d.mu.RUnlock()
	if none {
		return
	}
	if x := d.outputIndex(); x != nil {
		x.written(ups, applied, unsure)
	}
}

// outputsFeed is the index of outputs when it is not whole yet (a read of
// the source through ControllerReader fills it), else nil.
func (d *Device) outputsFeed() *outputIndex {
	if x := d.outputIndex(); x != nil && !x.whole() {
		return x
	}
	return nil
}

// outputsWhole gives the index of outputs, whole: when no read through
// ControllerReader (a clone) read everything since the mirror was
// attached, it reads what sends to ports from the source itself, while
// writes go on.
func (d *Device) outputsWhole(ctx context.Context) (*outputIndex, error) {
	x := d.outputIndex()
	if x == nil {
		return nil, fmt.Errorf("device %d: %w: no mirror", d.id, ErrMigrating)
	}
	if x.whole() {
		return x, nil
	}
	auth := d.Authoritative()
	d.mu.RLock()
	filters := d.outputFilters()
	d.mu.RUnlock()
	for _, f := range filters {
		var members entity.Members
		err := d.readFrom(ctx, auth, []*p4v1.Entity{f}, func(r *p4v1.ReadResponse) error {
			for _, e := range r.GetEntities() {
				if !e.GetTableEntry().GetIsConst() && !members.Repeated(e) {
					x.add(e)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("device %d: reading what %s sends to its ports: %w", d.id, auth.Name, err)
		}
		x.readWhole([]*p4v1.Entity{f})
	}
	return x, nil
}

// Halfway lists the host ports whose move stopped and whose entities
// could not all be put back (see hostMoves): an abort moves them back
// (MoveBack) before it detaches the mirror.
func (d *Device) Halfway() []uint64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return slices.Sorted(maps.Keys(d.moves.halfway))
}

// hostMove is one move of the host on port p: the translations before and
// after it.
type hostMove struct {
	p                        uint64
	toMirror                 bool
	auth, b                  *Backend
	oldSrc, oldDst, src, dst *translate.Translator
}

// undone is the move that takes m back.
func (m *hostMove) undone() *hostMove {
	return &hostMove{p: m.p, toMirror: !m.toMirror, auth: m.auth, b: m.b,
		oldSrc: m.src, oldDst: m.dst, src: m.oldSrc, dst: m.oldDst}
}

func (d *Device) move(ctx context.Context, p uint64, toMirror bool) error {
	d.moves.run.Lock()
	defer d.moves.run.Unlock()
	d.moves.rewritten.Store(0)
	d.moves.total.Store(0)
	if _, err := d.checkMove(p); err != nil {
		return err
	}
	x, err := d.outputsWhole(ctx)
	if err != nil {
		return err
	}
	m, err := d.beginMove(ctx, p, toMirror)
	if err != nil || m == nil {
		return err
	}
	n, err := d.rewriteHost(ctx, m, x)
	if err != nil {
		return d.undoMove(ctx, m, x, err)
	}
	d.mu.Lock()
	delete(d.moves.halfway, p)
	d.mu.Unlock()
	d.portsChanged()
	to := m.b
	if !toMirror {
		to = m.auth
	}
	d.log.Info("host moved", "port", p, "to", to.Name, "rewritten", n)
	return nil
}

// checkMove refuses a move without a live mirror, or of a port that is
// not a host port of the migration; it gives the mirror.
func (d *Device) checkMove(p uint64) (*Backend, error) {
	d.mu.RLock()
	b, mode, ports := d.mirror, d.mode, d.ports
	d.mu.RUnlock()
	if b == nil || mode != MirrorLive {
		return nil, fmt.Errorf("device %d: %w: hosts move while the mirror is live (mode %s)", d.id, ErrMigrating, mode)
	}
	if !slices.Contains(ports.Hosts, p) {
		return nil, fmt.Errorf("device %d: %w: port %d is not a host port of the migration", d.id, ErrInvalid, p)
	}
	return b, nil
}

// beginMove puts the host on port p on the side toMirror says for the
// proxy (writes from now on reach both devices as after the move) and
// gives the move, whose entities are yet to be rewritten; nil when the
// host is there already.
func (d *Device) beginMove(ctx context.Context, p uint64, toMirror bool) (*hostMove, error) {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	b, err := d.checkMove(p)
	if err != nil {
		return nil, err
	}
	// The mirror applied every write before the translations change
	// (it may trail the source while no host is on it).
	if err := d.drainTrail(ctx); err != nil {
		return nil, fmt.Errorf("device %d: moving port %d: the mirror did not apply every write: %w", d.id, p, err)
	}
	d.mu.RLock()
	auth, ports := d.auth, d.ports
	moved, halfway := maps.Clone(d.moved), d.moves.halfway[p]
	d.mu.RUnlock()
	if moved[p] == toMirror && !halfway {
		return nil, nil // there already
	}
	before, after := maps.Clone(moved), maps.Clone(moved)
	before[p], after[p] = !toMirror, toMirror
	m := &hostMove{p: p, toMirror: toMirror, auth: auth, b: b}
	if m.oldSrc, m.oldDst, err = d.translations(b, ports, before); err != nil {
		return nil, err
	}
	if m.src, m.dst, err = d.translations(b, ports, after); err != nil {
		return nil, err
	}
	if err := d.setMoved(m, toMirror); err != nil {
		return nil, err
	}
	return m, nil
}

// setMoved sets, for the proxy, the host of move m on the mirror (on) or
// on the source, with the translations that say so; the host counts as
// halfway until its entities are rewritten. writeMu is held.
func (d *Device) setMoved(m *hostMove, on bool) error {
	src, dst := m.oldSrc, m.oldDst
	if on == m.toMirror {
		src, dst = m.src, m.dst
	}
	if err := m.b.setTranslators(dst); err != nil {
		return err
	}
	if err := m.auth.setTranslators(src); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if on {
		d.moved[m.p] = true
	} else {
		delete(d.moved, m.p)
	}
	if d.moves.halfway == nil {
		d.moves.halfway = map[uint64]bool{}
	}
	d.moves.halfway[m.p] = true
	return nil
}

// undoMove takes the host of a move that failed with cause back where it
// was for the proxy, and its entities back as they were.
func (d *Device) undoMove(ctx context.Context, m *hostMove, x *outputIndex, cause error) error {
	d.writeMu.Lock()
	err := d.setMoved(m, !m.toMirror)
	d.writeMu.Unlock()
	if err == nil {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.WriteTimeout)
		defer cancel()
		_, err = d.rewriteHost(uctx, m.undone(), x)
	}
	if err != nil {
		d.log.Warn("a host move stopped halfway and its entities could not all be put back", "port", m.p, "err", err)
		return fmt.Errorf("%w (its entities could not all be put back: %v; run the move again, or move the host back)", cause, err)
	}
	d.mu.Lock()
	delete(d.moves.halfway, m.p)
	d.mu.Unlock()
	return cause
}

// rewriteHost rewrites, a batch at a time, every entity that sends to the
// host of move m, as its translations after the move say; it returns how
// many updates it wrote.
//
// The shadow entries of what the source holds as the controller wrote it
// once rewritten go at the end, not as each batch ends: a controller's
// read the source answered before a batch was written may be translated
// back after it (the entry is the controller's form either way).
func (d *Device) rewriteHost(ctx context.Context, m *hostMove, x *outputIndex) (int, error) {
	keys := x.keys(m.p)
	n := 0
	plain := map[entity.Key]*p4v1.Entity{}
	defer d.unshadow(plain)
	d.moves.total.Store(int64(len(keys)))
	for i := 0; i < len(keys); i += moveBatch {
		k, err := d.rewriteBatch(ctx, m, keys[i:min(i+moveBatch, len(keys))], plain)
		n += k
		d.moves.rewritten.Store(int64(min(i+moveBatch, len(keys))))
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// MoveProgress is how far the host move running now (MoveHost, MoveBack)
// has gone: the host's entities looked at, of those that sent to its port
// when it began (0, 0 before the first move).
func (d *Device) MoveProgress() (done, total int64) {
	return d.moves.rewritten.Load(), d.moves.total.Load()
}

// unshadow drops the shadow entries of plain (by key, the entry as it
// was) that no write replaced since.
func (d *Device) unshadow(plain map[entity.Key]*p4v1.Entity) {
	if len(plain) == 0 {
		return
	}
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, was := range plain {
		if d.shadow[k] == was {
			delete(d.shadow, k)
		}
	}
}

// rewriteBatch rewrites the entities with keys (those that still send to
// the host) on both devices, make before break: the device the host goes
// to first. A controller's write of one of these entities waits
// meanwhile; the others go on (steps of the migration, which take writeMu,
// do not run during a host move: the driver runs a device's steps one at
// a time). Reads answer the controller's form
// throughout: what the source is to hold in another form is in the shadow
// (and the journal) before the source holds it so, and leaves the shadow
// once the source holds it as the controller wrote it: the entries to
// drop go into plain (see rewriteHost).
func (d *Device) rewriteBatch(ctx context.Context, m *hostMove, keys []entity.Key, plain map[entity.Key]*p4v1.Entity) (int, error) {
	defer d.holdKeys(keys)()
	ents, err := d.readKeys(ctx, m.auth, keys)
	if err != nil {
		return 0, fmt.Errorf("device %d: moving port %d: reading %s: %w", d.id, m.p, m.auth.Name, err)
	}
	var ups []movePair // each entity's rewrite, in order
	shadow := map[entity.Key]*p4v1.Entity{}
	var held []entity.Key // held as the controller wrote it once rewritten
	for _, e := range ents {
		k, err := entity.Of(e)
		if err != nil {
			continue
		}
		var w movePair
		n, ok, err := rewritten(m.oldDst, m.dst, e)
		if err != nil {
			return 0, fmt.Errorf("device %d: moving port %d: %s for %s: %w", d.id, m.p, entity.Describe(e, d.vinfo), m.b.Name, err)
		}
		if ok {
			w.dst = &p4v1.Update{Type: p4v1.Update_MODIFY, Entity: n}
		}
		n, ok, err = rewritten(m.oldSrc, m.src, e)
		if err != nil {
			return 0, fmt.Errorf("device %d: moving port %d: %s for %s: %w", d.id, m.p, entity.Describe(e, d.vinfo), m.auth.Name, err)
		}
		if ok {
			w.src = &p4v1.Update{Type: p4v1.Update_MODIFY, Entity: n}
		}
		if w.dst != nil || w.src != nil {
			ups = append(ups, w)
		}
		if heldOtherwise(e, n) {
			shadow[k] = e
		} else {
			held = append(held, k)
		}
	}
	// The journal keeps what the source will hold otherwise first, for a
	// proxy that restarts in the middle (the switches alone cannot always
	// tell: a replica to the trunk stands for several hosts).
	if store := d.opts.Shadows; store != nil && len(shadow) > 0 {
		if err := store.KeepShadows(d.id, slices.Collect(maps.Values(shadow))); err != nil {
			return 0, fmt.Errorf("device %d: moving port %d: %w: %w", d.id, m.p, ErrJournal, err)
		}
	}
	d.mu.Lock()
	if d.shadow == nil {
		d.shadow = map[entity.Key]*p4v1.Entity{}
	}
	maps.Copy(d.shadow, shadow)
	d.mu.Unlock()
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.WriteTimeout)
	defer cancel()
	n, err := d.writeMove(wctx, m, ups)
	if err != nil {
		return 0, err
	}
	d.mu.Lock()
	for _, k := range held {
		if was, ok := d.shadow[k]; ok {
			plain[k] = was
		}
	}
	d.mu.Unlock()
	return n, nil
}

// movePair is one entity's rewrite in a host move: its MODIFY for the
// mirror and for the source (nil: its form there does not change).
type movePair struct{ dst, src *p4v1.Update }

// writeMove writes a batch's rewrites, make before break: each entity on
// the device the host goes to first, then on the other. They go in chunks
// of moveChunk entities, the second device's writes of one chunk beside
// the first device's of the next (the two devices at work at once), so
// that a controller's write never waits at a switch behind more than a
// chunk. It returns how many updates it wrote.
func (d *Device) writeMove(ctx context.Context, m *hostMove, ups []movePair) (int, error) {
	first, second := m.b, m.auth
	firstOf, secondOf := func(w movePair) *p4v1.Update { return w.dst }, func(w movePair) *p4v1.Update { return w.src }
	if !m.toMirror {
		first, second = m.auth, m.b
		firstOf, secondOf = secondOf, firstOf
	}
	chunk := func(i int, of func(movePair) *p4v1.Update) []*p4v1.Update {
		var out []*p4v1.Update
		for _, w := range ups[min(i, len(ups)):min(i+moveChunk, len(ups))] {
			if u := of(w); u != nil {
				out = append(out, u)
			}
		}
		return out
	}
	write := func(b *Backend, ups []*p4v1.Update) error {
		if len(ups) == 0 {
			return nil
		}
		if err := b.client.Write(ctx, ups); err != nil {
			return fmt.Errorf("device %d: moving port %d: rewriting %s: %w", d.id, m.p, b.Name, err)
		}
		return nil
	}
	n := 0
	var behind []*p4v1.Update // the second device's writes of the chunk before
	for i := 0; i < len(ups)+moveChunk; i += moveChunk {
		ahead := chunk(i, firstOf)
		errs := make(chan error, 1)
		go func() { errs <- write(second, behind) }()
		err := write(first, ahead)
		if berr := <-errs; berr != nil {
			err = berr
		}
		if err != nil {
			return n, err
		}
		n += len(ahead) + len(behind)
		behind = chunk(i, secondOf)
	}
	return n, nil
}

// readKeys reads the entities with keys from b (the source), in the
// controller's form, without what a rewrite leaves as it is (counter
// data, read-only fields); an entity gone is left out.
func (d *Device) readKeys(ctx context.Context, b *Backend, keys []entity.Key) ([]*p4v1.Entity, error) {
	qs := make([]*p4v1.Entity, 0, len(keys))
	for _, k := range keys {
		q, err := k.Query()
		if err != nil {
			continue
		}
		if te := q.GetTableEntry(); te != nil {
			// With its meter config, which a MODIFY would reset.
			if t := d.vinfo.Table(te.TableId); t != nil && t.DirectMeter != nil && !te.IsDefaultAction {
				te.MeterConfig = &p4v1.MeterConfig{}
			}
		}
		qs = append(qs, q)
	}
	got, err := d.readQueries(ctx, b, qs)
	if err == nil {
		return got, nil
	}
	// One of them is gone, which a switch may answer with an error (a PRE
	// entry read by its id, NOT_FOUND): one at a time.
	got = got[:0]
	for _, q := range qs {
		one, err := d.readQueries(ctx, b, []*p4v1.Entity{q})
		if absent(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		got = append(got, one...)
	}
	return got, nil
}

// readQueries reads qs from b in the controller's form, stripped of what a
// rewrite leaves as it is.
func (d *Device) readQueries(ctx context.Context, b *Backend, qs []*p4v1.Entity) ([]*p4v1.Entity, error) {
	var out []*p4v1.Entity
	var members entity.Members // bmv2 reads a weighted member once per unit of weight
	err := d.readFrom(ctx, b, qs, func(r *p4v1.ReadResponse) error {
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
	return out, err
}

// absent reports whether a read of one entity failed because there is
// none (NOT_FOUND, alone or as the entity's detail).
func absent(err error) bool {
	if err == nil {
		return false
	}
	if status.Code(err) == codes.NotFound {
		return true
	}
	items, derr := client.DecodeBatchError(err, 1)
	return derr == nil && items[0] != nil && items[0].Code == codes.NotFound
}
