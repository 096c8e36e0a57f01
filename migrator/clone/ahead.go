package clone

import (
	"context"
	"fmt"
	"iter"
	"sync"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/migrator/snapshot"
)

// readAhead reads the plan's requests from the source in plan order, in
// the background, ahead of the copy: a request's read is open and its
// first entities are here by the time the copy reaches it, so that reading
// overlaps translating and writing, within a request and across requests
// (no round trip between two small kinds, no wait for a table's first
// response after the previous kind's barrier).
//
// The entities of every request go through one channel, in plan order,
// each request ended by a marker: at most budget entities are held at any
// time, however many requests the plan has. The copy takes the requests in
// the same order. It must not wait for anything read after them while it
// holds one: the arrays the copy reads apart (earlyCells, copyCells) come
// after every other kind in snapshot.Plan (TestPlanPutsArraysLast), so a
// stalled read-ahead stream, which on a switch may hold off writes, is
// never what the copy waits behind.
type readAhead struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	ch     chan aheadItem
	reqs   []*aheadRequest // by plan index; nil for the requests read elsewhere
}

type aheadRequest struct {
	ctx    context.Context
	cancel context.CancelFunc
}

type aheadItem struct {
	req int // plan index
	e   *p4v1.Entity
	err error
	end bool // the request's last item
}

// startReadAhead starts reading the plan's requests for which want is
// true, one after the other.
func startReadAhead(ctx context.Context, src snapshot.Reader, plan []snapshot.Request, want func(int) bool, budget int) *readAhead {
	ctx, cancel := context.WithCancel(ctx)
	x := &readAhead{cancel: cancel, ch: make(chan aheadItem, budget), reqs: make([]*aheadRequest, len(plan))}
	for i := range plan {
		if want(i) {
			rctx, rcancel := context.WithCancel(ctx)
			x.reqs[i] = &aheadRequest{ctx: rctx, cancel: rcancel}
		}
	}
	x.wg.Add(1)
	go func() {
		defer x.wg.Done()
		defer close(x.ch)
		for i, a := range x.reqs {
			if a == nil {
				continue
			}
			x.read(src, i, plan[i], a)
			select {
			case x.ch <- aheadItem{req: i, end: true}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return x
}

// read reads request i into the channel, until its end, its error or its
// cancellation.
func (x *readAhead) read(src snapshot.Reader, i int, req snapshot.Request, a *aheadRequest) {
	defer a.cancel()
	for e, err := range snapshot.Read(a.ctx, src, req) {
		select {
		case x.ch <- aheadItem{req: i, e: e, err: err}:
		case <-a.ctx.Done():
			return
		}
	}
}

// entities yields request i's entities. A consumer that stops early
// cancels the rest of that request's read; the later requests are still
// read. The requests must be taken in plan order.
func (x *readAhead) entities(i int) iter.Seq2[*p4v1.Entity, error] {
	return func(yield func(*p4v1.Entity, error) bool) {
		stopped := false
		for it := range x.ch {
			if it.req != i {
				// A request skipped: a bug of the caller, told rather than
				// mixed into this one.
				x.reqs[i].cancel()
				if !stopped {
					yield(nil, fmt.Errorf("clone: read ahead: request %d taken while request %d comes", i, it.req))
				}
				return
			}
			if it.end {
				return
			}
			if stopped {
				continue // the rest of a cancelled read
			}
			if !yield(it.e, it.err) {
				stopped = true
				x.reqs[i].cancel()
			}
		}
	}
}

// stop ends the reads and waits for them.
func (x *readAhead) stop() {
	x.cancel()
	x.wg.Wait()
}
