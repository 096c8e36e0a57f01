package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// BatchWriter streams updates to a device in batches, with several batches
// in flight at once: it accepts updates one at a time ([BatchWriter.Add]),
// sends a batch whenever one is full, and reports per-update failures, with
// the original update, at each [BatchWriter.Flush].
//
// Ordering: batches are sent in the order they fill, but up to inflight of
// them are outstanding at once, and the server may apply concurrent batches
// in any order (spec section "Batching and Ordering of Updates"); updates
// within one batch may be applied in any order too. So put only independent
// updates between two barriers, and call Flush at every dependency boundary
// (for example after the action-profile members, before the groups that
// refer to them): Flush returns only when every update added before it has
// been answered. With inflight 1 the writer is strictly ordered by batch.
//
// A batch that fails as a whole (see [UpdateFailure.BatchWide]), or any
// failure under ROLLBACK_ON_ERROR or DATAPLANE_ATOMIC, stops the writer:
// batches not yet sent are reported as ErrNotSent and later Adds fail.
//
// A BatchWriter is not safe for concurrent use; use it from one goroutine
// (its batches run in goroutines of their own). Close it when done.
type BatchWriter struct {
	c        *Client
	cfg      writeConfig
	inflight int
	slots    chan struct{}
	wg       sync.WaitGroup
	ctx      context.Context // the RPCs' context; cancelled by Close
	cancel   context.CancelFunc

	batch      []*p4v1.Update
	batchBytes int
	next       int // index of the next update added
	closed     bool

	mu          sync.Mutex
	failures    []UpdateFailure
	reportStart int
	fatal       *UpdateFailure

	added, sent, batches, failed atomic.Int64
}

// BatchWriterStats counts a BatchWriter's work so far.
type BatchWriterStats struct {
	// Added is the number of updates accepted by Add.
	Added int64
	// Sent is the number of updates whose batch has been answered.
	Sent int64
	// Batches is the number of WriteRequests answered.
	Batches int64
	// Failed is the number of updates that failed or were not sent.
	Failed int64
}

// NewBatchWriter makes a writer sending batches of batchSize updates (also
// cut at the WithMaxBatchBytes limit) with at most inflight batches
// outstanding. opts may set the atomicity and the byte limit; batchSize
// overrides any WithBatchSize.
func NewBatchWriter(c *Client, batchSize, inflight int, opts ...WriteOption) (*BatchWriter, error) {
	if c == nil {
		return nil, errors.New("batch writer: nil client")
	}
	if inflight < 1 {
		return nil, c.errorf("batch writer", fmt.Errorf("inflight %d: must be at least 1", inflight))
	}
	cfg, err := resolveWrite(append(slices.Clone(opts), WithBatchSize(batchSize)))
	if err != nil {
		return nil, c.errorf("batch writer", err)
	}
	ctx, cancel := context.WithCancel(c.ctx)
	return &BatchWriter{
		c:        c,
		cfg:      cfg,
		inflight: inflight,
		slots:    make(chan struct{}, inflight),
		ctx:      ctx,
		cancel:   cancel,
	}, nil
}

// Add queues u, sending the current batch once it is full; it blocks while
// inflight batches are outstanding. If ctx ends while Add waits for a slot,
// Add returns ctx's error and u is not accepted (the updates accepted before
// stay queued; Flush sends them). Once the writer has stopped (see the
// type's doc) Add refuses u; a batch caught waiting for a slot when the
// writer stops is reported, u included, as ErrNotSent.
func (w *BatchWriter) Add(ctx context.Context, u *p4v1.Update) error {
	if w.closed {
		return w.c.errorf("batch writer", errors.New("add after Close"))
	}
	if u == nil {
		return w.c.errorf("batch writer", fmt.Errorf("update %d is nil", w.next))
	}
	if err := w.stopped(); err != nil {
		return err
	}
	n := updateWireSize(u)
	if len(w.batch) > 0 && w.batchBytes+n > w.cfg.maxBatchBytes {
		if _, err := w.dispatch(ctx); err != nil {
			return err
		}
	}
	w.batch = append(w.batch, u)
	w.batchBytes += n
	w.next++
	if len(w.batch) >= w.cfg.batchSize {
		taken, err := w.dispatch(ctx)
		if !taken { // give u back: the caller may retry it
			w.batch = w.batch[:len(w.batch)-1]
			w.batchBytes -= n
			w.next--
			return err
		}
		w.added.Add(1)
		return err
	}
	w.added.Add(1)
	return nil
}

// Flush is the barrier: it sends the partial batch and waits until every
// batch sent so far has been answered. It returns a *WriteError (reachable
// with errors.As) with the failures since the previous Flush; else, if the
// writer has stopped, the failure that stopped it; else nil. If ctx ends
// first it returns ctx's error; the batches stay in flight and a later Flush
// reports them.
func (w *BatchWriter) Flush(ctx context.Context) error {
	if w.closed {
		return w.c.errorf("batch writer", errors.New("flush after Close"))
	}
	if len(w.batch) > 0 {
		if _, err := w.dispatch(ctx); err != nil {
			return err
		}
	}
	// Holding every slot means no batch is in flight.
	for i := range w.inflight {
		select {
		case w.slots <- struct{}{}:
		case <-ctx.Done():
			for range i {
				<-w.slots
			}
			return w.c.errorf("batch writer: flush", ctx.Err())
		}
	}
	for range w.inflight {
		<-w.slots
	}
	if err := w.report(); err != nil {
		return err
	}
	return w.stopped()
}

// Close flushes, then releases the writer. If ctx ends first, the batches
// still in flight are cancelled (reported as failed with CANCELED) and the
// queued updates are reported as ErrNotSent. It returns what Flush would,
// joined with that report.
func (w *BatchWriter) Close(ctx context.Context) error {
	if w.closed {
		return nil
	}
	err := w.Flush(ctx)
	w.closed = true
	w.cancel()
	w.wg.Wait()
	if err == nil || ctx.Err() == nil {
		return err
	}
	if len(w.batch) > 0 {
		w.mu.Lock()
		w.failures = append(w.failures, notSent(w.batch, w.next-len(w.batch))...)
		w.mu.Unlock()
		w.failed.Add(int64(len(w.batch)))
		w.batch = nil
	}
	if rep := w.report(); rep != nil {
		return errors.Join(err, rep)
	}
	return err
}

// Stats reports the writer's progress.
func (w *BatchWriter) Stats() BatchWriterStats {
	return BatchWriterStats{
		Added:   w.added.Load(),
		Sent:    w.sent.Load(),
		Batches: w.batches.Load(),
		Failed:  w.failed.Load(),
	}
}

// stopped returns the error that stopped the writer, if any.
func (w *BatchWriter) stopped() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fatal != nil {
		return w.c.errorf("batch writer stopped", w.fatal)
	}
	return nil
}

// dispatch sends the current batch once a slot is free. taken says whether
// the batch left the queue (sent, or reported as not sent because the writer
// has stopped); it stays queued only when ctx ended first.
func (w *BatchWriter) dispatch(ctx context.Context) (taken bool, err error) {
	select {
	case w.slots <- struct{}{}:
	case <-ctx.Done():
		return false, w.c.errorf("batch writer: waiting for an in-flight slot", ctx.Err())
	}
	batch, start := w.batch, w.next-len(w.batch)
	w.batch, w.batchBytes = nil, 0
	w.mu.Lock()
	fatal := w.fatal
	if fatal != nil {
		w.failures = append(w.failures, notSent(batch, start)...)
		w.failed.Add(int64(len(batch)))
	}
	w.mu.Unlock()
	if fatal != nil {
		<-w.slots
		return true, w.c.errorf("batch writer stopped", fatal)
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer func() { <-w.slots }()
		failures, stop := w.c.writeBatch(w.ctx, batch, start, w.cfg.atomicity)
		w.sent.Add(int64(len(batch)))
		w.batches.Add(1)
		w.failed.Add(int64(len(failures)))
		if len(failures) == 0 {
			return
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		w.failures = append(w.failures, failures...)
		if stop && w.fatal == nil {
			first := failures[0]
			w.fatal = &first
		}
	}()
	return true, nil
}

// report takes the failures gathered since the previous report. It must
// only run while no batch is in flight, so that every update before next
// is accounted for.
func (w *BatchWriter) report() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	failures := w.failures
	w.failures = nil
	start := w.reportStart
	w.reportStart = w.next
	if len(failures) == 0 {
		return nil
	}
	slices.SortFunc(failures, func(a, b UpdateFailure) int { return a.Index - b.Index })
	return w.c.errorf("batch writer", &WriteError{Start: start, Total: w.next - start, Failures: failures})
}
