package clone

import (
	"context"
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
// response after the previous kind's barrier). At most budget entities are
// held at any time, over all requests.
type readAhead struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	tokens chan struct{} // one per entity read and not yet taken
	reqs   []*aheadRequest
}

type aheadRequest struct {
	ctx    context.Context
	cancel context.CancelFunc
	ch     chan aheadItem
}

type aheadItem struct {
	e   *p4v1.Entity
	err error
}

// startReadAhead starts reading the plan's requests for which want is
// true, one after the other.
func startReadAhead(ctx context.Context, src snapshot.Reader, plan []snapshot.Request, want func(int) bool, budget int) *readAhead {
	ctx, cancel := context.WithCancel(ctx)
	x := &readAhead{cancel: cancel, tokens: make(chan struct{}, budget), reqs: make([]*aheadRequest, len(plan))}
	for i := range plan {
		if want(i) {
			rctx, rcancel := context.WithCancel(ctx)
			// Never more than budget items in all, so sends never block
			// on the channel, only on the tokens.
			x.reqs[i] = &aheadRequest{ctx: rctx, cancel: rcancel, ch: make(chan aheadItem, budget)}
		}
	}
	x.wg.Add(1)
	go func() {
		defer x.wg.Done()
		for i, a := range x.reqs {
			if a != nil {
				x.read(src, plan[i], a)
			}
		}
	}()
	return x
}

// read reads one request into its channel, until its end, its error or
// its cancellation.
func (x *readAhead) read(src snapshot.Reader, req snapshot.Request, a *aheadRequest) {
	defer close(a.ch)
	defer a.cancel()
	for e, err := range snapshot.Read(a.ctx, src, req) {
		select {
		case x.tokens <- struct{}{}:
		case <-a.ctx.Done():
			return
		}
		a.ch <- aheadItem{e, err}
	}
}

// entities yields request i's entities. A consumer that stops early
// cancels the rest of that request's read; the later requests are still
// read.
func (x *readAhead) entities(i int) iter.Seq2[*p4v1.Entity, error] {
	a := x.reqs[i]
	return func(yield func(*p4v1.Entity, error) bool) {
		defer func() {
			a.cancel()
			for range a.ch {
				<-x.tokens
			}
		}()
		for it := range a.ch {
			<-x.tokens
			if !yield(it.e, it.err) {
				return
			}
		}
	}
}

// stop ends the reads and waits for them.
func (x *readAhead) stop() {
	x.cancel()
	x.wg.Wait()
}
