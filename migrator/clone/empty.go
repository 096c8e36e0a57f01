package clone

import (
	"context"
	"sync"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/migrator/snapshot"
	"github.com/lime-p4/lime/p4/entity"
)

// earlyCells reads the source's counter and register arrays in the
// background while the tables are copied, for a target known to be empty:
// only the cells that are not zero need writing, so only they are kept
// (bounded by the arrays' sizes, not by the entries).
//
// The reads begin once the target has work (the first update queued), or
// when the copy reaches the arrays: read from the start, they would take
// the CPU the first tables' read needs while the target waits for its
// first batch.
type earlyCells struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	reqs   map[int]*earlyRequest // by plan index
	start  chan struct{}         // closed to begin
	once   sync.Once
}

type earlyRequest struct {
	done  chan struct{}
	read  int64
	cells []*p4v1.Entity // the cells that are not zero (or cannot be told)
	err   error
}

// startEarlyCells starts reading the plan's arrays, one after the other.
func (r *runner) startEarlyCells(plan []snapshot.Request) *earlyCells {
	ctx, cancel := context.WithCancel(r.ctx)
	x := &earlyCells{cancel: cancel, reqs: map[int]*earlyRequest{}, start: make(chan struct{})}
	var order []int
	for i, req := range plan {
		if snapshot.CellsOf(req.Kind) {
			x.reqs[i] = &earlyRequest{done: make(chan struct{})}
			order = append(order, i)
		}
	}
	if len(order) == 0 {
		return x
	}
	x.wg.Add(1)
	go func() {
		defer x.wg.Done()
		select {
		case <-x.start:
		case <-ctx.Done():
		}
		for _, i := range order {
			er := x.reqs[i]
			for c, err := range snapshot.Cells(ctx, r.src, plan[i]) {
				if err != nil {
					er.err = err
					break
				}
				er.read++
				if c.Kind != entity.KindUnknown && zero(c.Value) {
					continue
				}
				e, err := c.Entity()
				if err != nil {
					er.err = err
					break
				}
				er.cells = append(er.cells, e)
			}
			close(er.done)
		}
	}()
	return x
}

func zero(v []byte) bool {
	for _, b := range v {
		if b != 0 {
			return false
		}
	}
	return true
}

// begin lets the reads begin (again: a no-op).
func (x *earlyCells) begin() {
	x.once.Do(func() { close(x.start) })
}

// stop ends the background reads and waits for them.
func (x *earlyCells) stop() {
	x.cancel()
	x.wg.Wait()
}

// copyEarlyCells writes the cells of plan request i, read early, to an
// empty target: only those not zero.
func (r *runner) copyEarlyCells(i int, req snapshot.Request) error {
	er := r.early.reqs[i]
	r.early.begin()
	select {
	case <-er.done:
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
	st := r.res.stats(req.Kind)
	st.Read += er.read
	r.done += er.read
	st.Unchanged += er.read - int64(len(er.cells))
	for _, e := range er.cells {
		if err := r.writeCell(req.Kind, e); err != nil {
			return err
		}
	}
	if er.err != nil {
		return r.unreadable(req, er.err)
	}
	return nil
}
