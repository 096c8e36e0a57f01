package clone

import (
	"context"
	"fmt"
	"sync"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/migrator/snapshot"
	"github.com/lime-p4/lime/p4/entity"
)

// copyCells copies the cells of a counter or register array. Arrays hold
// cells by the ten thousand, most of them alike on both devices, so both
// arrays are read at once and as cells (index and value, decoded from the
// wire without building entities); the target's go into a dense index, and
// only the cells whose value differs become entities, translated and
// written (MODIFY).
func (r *runner) copyCells(req snapshot.Request) error {
	st := r.res.stats(req.Kind)
	treq, err := r.targetRequest(req)
	if err != nil {
		return fmt.Errorf("clone: %s: %w", req.Name(), err)
	}
	tgt := r.indexCells(treq)
	defer tgt.close()
	for c, err := range snapshot.Cells(r.ctx, r.src, req) {
		if err != nil {
			if err := r.unreadable(req, err); err != nil {
				return err
			}
			break
		}
		st.Read++
		r.done++
		if c.Kind != entity.KindUnknown {
			if tc, err := r.tr.Cell(c.Cell); err == nil {
				if h, ok := tgt.hash(tc.Index); ok && h == r.h.value(c.Value) {
					st.Unchanged++
					continue
				}
			} // an untranslatable cell fails below, described as an entity
		}
		e, err := c.Entity()
		if err != nil {
			r.res.stats(req.Kind).Failed++
			r.res.Failures = append(r.res.Failures, Failure{Kind: req.Kind, Entity: fmt.Sprintf("%s, index %d", req.Name(), c.Index), Error: err.Error()})
			continue
		}
		if c.Kind == entity.KindUnknown {
			_, vol := r.h.content(e)
			if h, ok := tgt.hash(cellIndex(e)); ok && h == vol {
				st.Unchanged++
				continue
			}
		}
		if err := r.writeCell(req.Kind, e); err != nil {
			return err
		}
		r.progress(false)
	}
	if err := tgt.close(); err != nil && r.ctx.Err() == nil {
		// The target could not say what it holds: every cell was written.
		r.res.Warnings = append(r.res.Warnings, fmt.Sprintf("target: %v", err))
	}
	return r.ctx.Err()
}

// writeCell translates a source cell and writes it (MODIFY); one that
// cannot be translated is recorded as failed.
func (r *runner) writeCell(k entity.Kind, e *p4v1.Entity) error {
	if err := r.tr.EntityInPlace(e); err != nil {
		r.fail(k, e, err)
		return nil
	}
	r.res.stats(k).Modified++
	return r.put(k, p4v1.Update_MODIFY, e)
}

// cellIndex is the index of a counter or register cell entity.
func cellIndex(e *p4v1.Entity) int64 {
	if c := e.GetCounterEntry(); c != nil {
		return c.GetIndex().GetIndex()
	}
	return e.GetRegisterEntry().GetIndex().GetIndex()
}

// targetCells is what the target holds of one array, filled by a goroutine
// while the source is read: the content hash of each cell, by index.
type targetCells struct {
	mu    sync.Mutex
	cond  sync.Cond
	hs    []uint64 // by index, below the array's size
	known []bool
	over  map[int64]uint64 // indices beyond it
	done  bool
	err   error

	cancel   context.CancelFunc
	finished chan struct{}
}

// indexCells starts reading the target's cells of treq (translated).
func (r *runner) indexCells(treq snapshot.Request) *targetCells {
	var size int64
	if c := r.tr.To.Counter(treq.Filter.GetCounterEntry().GetCounterId()); c != nil {
		size = c.Size
	} else if g := r.tr.To.Register(treq.Filter.GetRegisterEntry().GetRegisterId()); g != nil {
		size = int64(g.Size)
	}
	ctx, cancel := context.WithCancel(r.ctx)
	x := &targetCells{hs: make([]uint64, size), known: make([]bool, size), over: map[int64]uint64{},
		cancel: cancel, finished: make(chan struct{})}
	x.cond.L = &x.mu
	type got struct {
		i int64
		h uint64
	}
	go func() {
		defer close(x.finished)
		var batch []got
		publish := func(last bool, err error) {
			x.mu.Lock()
			for _, g := range batch {
				if g.i >= 0 && g.i < int64(len(x.hs)) {
					x.hs[g.i], x.known[g.i] = g.h, true
				} else {
					x.over[g.i] = g.h
				}
			}
			x.done, x.err = last, err
			x.mu.Unlock()
			x.cond.Broadcast()
			batch = batch[:0]
		}
		for c, err := range snapshot.Cells(ctx, r.targetReader(), treq) {
			if err != nil {
				publish(true, err)
				return
			}
			if c.Kind != entity.KindUnknown {
				batch = append(batch, got{c.Index, r.h.value(c.Value)})
			} else if e, err := c.Entity(); err == nil {
				entity.StripReadOnly(e)
				_, vol := r.h.content(e)
				batch = append(batch, got{cellIndex(e), vol})
			}
			if len(batch) == 512 {
				publish(false, nil)
			}
		}
		publish(true, nil)
	}()
	return x
}

// hash waits until the target's cell i is known or the read is over, and
// gives its content hash; ok is false when the target has no such cell
// (or could not be read).
func (x *targetCells) hash(i int64) (h uint64, ok bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for {
		if i >= 0 && i < int64(len(x.hs)) && x.known[i] {
			return x.hs[i], true
		}
		if h, ok := x.over[i]; ok {
			return h, true
		}
		if x.done {
			return 0, false
		}
		x.cond.Wait()
	}
}

// close stops the read if it still runs (the source had fewer cells; no
// error then) and gives the error that ended it.
func (x *targetCells) close() error {
	x.mu.Lock()
	stopped := !x.done
	x.mu.Unlock()
	x.cancel()
	<-x.finished
	if stopped {
		return nil
	}
	return x.err
}
