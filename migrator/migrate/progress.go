package migrate

import (
	"context"
	"iter"
	"sync/atomic"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/migrator/snapshot"
)

// StepProgress is how far a long step (a clone, a verify) has gone
// (issue 14: progress inside long steps, as lime clone shows).
type StepProgress struct {
	Step  string `json:"step"`
	Done  int64  `json:"done"`            // source entities handled
	Total int64  `json:"total,omitempty"` // 0 when unknown
	// Rate is entities a second since the step started; ETASeconds how
	// long the rest takes at that rate (0 when the total is unknown).
	Rate       float64 `json:"rate"`
	ETASeconds float64 `json:"eta_seconds,omitempty"`
	Elapsed    float64 `json:"elapsed_seconds"`
}

// stepCount counts a step's entities as it runs.
type stepCount struct {
	step        string
	started     time.Time
	done, total atomic.Int64
	// poll, when set, gives done and total instead (a count kept by
	// another: the proxy's host move).
	poll func() (done, total int64)
}

// StepProgress is the progress of the step running now, nil when none
// counts entities.
func (d *Driver) StepProgress() *StepProgress {
	c := d.counting.Load()
	if c == nil {
		return nil
	}
	p := &StepProgress{Step: c.step, Done: c.done.Load(), Total: c.total.Load(), Elapsed: time.Since(c.started).Seconds()}
	if c.poll != nil {
		p.Done, p.Total = c.poll()
	}
	if p.Elapsed > 0 {
		p.Rate = float64(p.Done) / p.Elapsed
	}
	if p.Rate > 0 && p.Total > p.Done {
		p.ETASeconds = float64(p.Total-p.Done) / p.Rate
	}
	return p
}

// count starts counting step's entities (total when known); the returned
// func ends it.
func (d *Driver) count(step string, total int64) (*stepCount, func()) {
	c := &stepCount{step: step, started: time.Now()}
	c.total.Store(total)
	return c, d.counts(c)
}

// counts makes c the running step's count until the returned func.
func (d *Driver) counts(c *stepCount) func() {
	d.counting.Store(c)
	return func() { d.counting.CompareAndSwap(c, nil) }
}

// counted is r, counting in c each entity it reads.
func counted(r snapshot.Reader, c *stepCount) snapshot.Reader {
	return snapshot.ReadFunc(func(ctx context.Context, filters ...*p4v1.Entity) iter.Seq2[*p4v1.Entity, error] {
		return func(yield func(*p4v1.Entity, error) bool) {
			for e, err := range r.Read(ctx, filters...) {
				if err == nil {
					c.done.Add(1)
				}
				if !yield(e, err) {
					return
				}
			}
		}
	})
}
