package client

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// gatedServer is a fake whose writes wait for a token on gate (or for their
// ctx to end).
func gatedServer(t *testing.T) (*fakeServer, string, chan struct{}) {
	t.Helper()
	f := newFakeServer()
	gate := make(chan struct{}, 100)
	f.writeHook = func(ctx context.Context, _ *p4v1.WriteRequest) error {
		select {
		case <-gate:
			return nil
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case <-time.After(5 * time.Second):
			return status.Error(codes.DeadlineExceeded, "test never opened the gate")
		}
	}
	return f, f.start(t), gate
}

func inflightNow(f *fakeServer) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inflight
}

func addAll(t *testing.T, w *BatchWriter, updates []*p4v1.Update) {
	t.Helper()
	for i, u := range updates {
		if err := w.Add(ctx5s(t), u); err != nil {
			t.Fatalf("Add %d: %v", i, err)
		}
	}
}

// Up to inflight batches are outstanding at once and Add blocks beyond
// that; Flush is a barrier: the batches sent after it start only once every
// batch before it has been answered (spec "Batching and Ordering of
// Updates": concurrent batches may be applied in any order, so dependency
// boundaries need the barrier).
func TestBatchWriterInflightAndBarrier(t *testing.T) {
	f, addr, gate := gatedServer(t)
	c, _ := primary(t, addr, 1)
	w, err := NewBatchWriter(c, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx5s(t))

	addAll(t, w, inserts(fakeTableID, 0, 7)) // 3 full batches in flight, 1 queued
	waitFor(t, "3 batches in flight", func() bool { return inflightNow(f) == 3 })

	added := make(chan error, 1)
	go func() { added <- w.Add(ctx5s(t), insert(tableEntry(fakeTableID, 7))) }()
	select {
	case err := <-added:
		t.Fatalf("Add of a 4th full batch returned (%v) while 3 were in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	gate <- struct{}{} // answer one batch: a slot frees
	if err := <-added; err != nil {
		t.Fatalf("Add after a slot freed: %v", err)
	}

	flushed := make(chan error, 1)
	go func() { flushed <- w.Flush(ctx5s(t)) }()
	select {
	case err := <-flushed:
		t.Fatalf("Flush returned (%v) with batches unanswered", err)
	case <-time.After(50 * time.Millisecond):
	}
	for range 3 {
		gate <- struct{}{}
	}
	if err := <-flushed; err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if f.storeSize() != 8 {
		t.Fatalf("store has %d entries after the barrier, want 8", f.storeSize())
	}
	var barrierEnd time.Time // the last answer before the barrier returned
	for _, r := range f.writeRecords() {
		if r.end.After(barrierEnd) {
			barrierEnd = r.end
		}
	}

	// After the barrier.
	for range 2 {
		gate <- struct{}{}
	}
	after := inserts(fakeTableID, 100, 4)
	addAll(t, w, after)
	if err := w.Flush(ctx5s(t)); err != nil {
		t.Fatalf("second Flush: %v", err)
	}
	recs := f.writeRecords()
	if len(recs) != 6 {
		t.Fatalf("%d requests, want 6", len(recs))
	}
	for _, r := range recs {
		if !proto.Equal(r.req.GetUpdates()[0], after[0]) && !proto.Equal(r.req.GetUpdates()[0], after[2]) {
			continue // a batch from before the barrier
		}
		if r.start.Before(barrierEnd) {
			t.Errorf("a batch added after Flush started at %v, before the barrier's last answer at %v", r.start, barrierEnd)
		}
	}
	f.mu.Lock()
	maxIn := f.maxInflight
	f.mu.Unlock()
	if maxIn != 3 {
		t.Errorf("server saw %d concurrent writes, want 3", maxIn)
	}
	if s := w.Stats(); s != (BatchWriterStats{Added: 12, Sent: 12, Batches: 6, Failed: 0}) {
		t.Errorf("Stats = %+v", s)
	}
}

// With inflight 1 the writer is strictly ordered: one batch at a time, in
// the order the updates were added.
func TestBatchWriterInflightOneIsOrdered(t *testing.T) {
	f := newFakeServer()
	f.writeHook = func(context.Context, *p4v1.WriteRequest) error {
		time.Sleep(2 * time.Millisecond) // widen any overlap
		return nil
	}
	addr := f.start(t)
	c, _ := primary(t, addr, 1)
	w, err := NewBatchWriter(c, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	updates := inserts(fakeTableID, 0, 10)
	addAll(t, w, updates)
	if err := w.Close(ctx5s(t)); err != nil {
		t.Fatalf("Close: %v", err)
	}
	next := 0
	for _, r := range f.writeRecords() {
		for _, u := range r.req.GetUpdates() {
			if !proto.Equal(u, updates[next]) {
				t.Fatalf("update %d arrived out of order", next)
			}
			next++
		}
	}
	f.mu.Lock()
	maxIn := f.maxInflight
	f.mu.Unlock()
	if next != 10 || maxIn != 1 {
		t.Errorf("%d updates arrived with up to %d writes at once; want 10 and 1", next, maxIn)
	}
}

// Per-update failures come back at Flush with the original update and its
// index in the writer's sequence; each Flush reports its own window.
func TestBatchWriterPerUpdateFailures(t *testing.T) {
	f := newFakeServer()
	addr := f.start(t)
	c, _ := primary(t, addr, 1)
	w, err := NewBatchWriter(c, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx5s(t))

	first := inserts(fakeTableID, 0, 5)
	first[2] = insert(tableEntry(badTableID, 2))
	addAll(t, w, first)
	err = w.Flush(ctx5s(t))
	var we *WriteError
	if !errors.As(err, &we) {
		t.Fatalf("Flush: %v, want *WriteError", err)
	}
	if we.Start != 0 || we.Total != 5 || len(we.Failures) != 1 || we.Failures[0].Index != 2 ||
		we.Failures[0].Update != first[2] || status.Code(we.Failures[0].Err) != codes.InvalidArgument {
		t.Errorf("first window %+v, want update 2 INVALID_ARGUMENT of 0..4", we)
	}

	second := inserts(fakeTableID, 10, 4)
	second[0] = insert(tableEntry(fakeTableID, 0)) // duplicate of an earlier one
	addAll(t, w, second)
	err = w.Flush(ctx5s(t))
	if !errors.As(err, &we) {
		t.Fatalf("second Flush: %v, want *WriteError", err)
	}
	if we.Start != 5 || we.Total != 4 || len(we.Failures) != 1 || we.Failures[0].Index != 5 ||
		we.Failures[0].Update != second[0] || !errors.Is(err, &P4Error{Code: codes.AlreadyExists}) {
		t.Errorf("second window %+v, want update 5 ALREADY_EXISTS of 5..8", we)
	}
	if r := we.Results(); r[0] == nil || r[1] != nil {
		t.Errorf("Results relative to Start wrong: %v", r)
	}
	if err := w.Flush(ctx5s(t)); err != nil {
		t.Errorf("empty Flush: %v", err)
	}
	if s := w.Stats(); s.Added != 9 || s.Sent != 9 || s.Failed != 2 {
		t.Errorf("Stats = %+v", s)
	}
}

// A batch refused as a whole stops the writer: the batch waiting for a slot
// is not sent, and later Adds fail.
func TestBatchWriterStops(t *testing.T) {
	_, addr, gate := gatedServer(t)
	primary(t, addr, 10)
	c := dial(t, addr, 5, nil)
	arbitrate(t, c) // a backup: its writes get PERMISSION_DENIED
	w, err := NewBatchWriter(c, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx5s(t))
	addAll(t, w, inserts(fakeTableID, 0, 3)) // batch 0-1 in flight, 2 queued
	added := make(chan error, 1)
	go func() { added <- w.Add(ctx5s(t), insert(tableEntry(fakeTableID, 3))) }()
	gate <- struct{}{}
	err = <-added
	if err == nil || !strings.Contains(err.Error(), "stopped") || status.Code(err) != codes.PermissionDenied {
		t.Fatalf("Add after the refused batch: %v, want a 'stopped' PERMISSION_DENIED error", err)
	}
	err = w.Flush(ctx5s(t))
	var we *WriteError
	if !errors.As(err, &we) || len(we.Failures) != 4 {
		t.Fatalf("Flush: %v, want a *WriteError with 4 failures", err)
	}
	for i, fl := range we.Failures {
		wantWide := i < 2
		if fl.Index != i || fl.BatchWide != wantWide || wantWide != !errors.Is(fl.Err, ErrNotSent) {
			t.Errorf("failure %d = %+v; want the first two batch-wide, the rest not sent", i, fl)
		}
	}
	if err := w.Add(ctx5s(t), insert(tableEntry(fakeTableID, 9))); err == nil {
		t.Error("Add on a stopped writer succeeded")
	}
	if err := w.Flush(ctx5s(t)); err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("Flush on a stopped writer: %v, want 'stopped'", err)
	}
}

// Close with an expiring ctx cancels the batches in flight and reports the
// queued updates as not sent; nothing is left running.
func TestBatchWriterCloseCancels(t *testing.T) {
	f := newFakeServer()
	f.writeHook = func(ctx context.Context, _ *p4v1.WriteRequest) error {
		select {
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case <-time.After(5 * time.Second):
			return status.Error(codes.DeadlineExceeded, "client never cancelled")
		}
	}
	addr := f.start(t)
	c, _ := primary(t, addr, 1)
	w, err := NewBatchWriter(c, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	addAll(t, w, inserts(fakeTableID, 0, 3))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = w.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: %v, want DeadlineExceeded", err)
	}
	var we *WriteError
	if !errors.As(err, &we) || len(we.Failures) != 3 {
		t.Fatalf("Close: %v, want a report of 3 failures", err)
	}
	if status.Code(we.Failures[0].Err) != codes.Canceled || !we.Failures[0].BatchWide || !errors.Is(we.Failures[2].Err, ErrNotSent) {
		t.Errorf("failures %+v: want 0-1 CANCELED batch-wide, 2 not sent", we.Failures)
	}
	if err := w.Add(ctx5s(t), insert(tableEntry(fakeTableID, 5))); err == nil || !strings.Contains(err.Error(), "after Close") {
		t.Errorf("Add after Close: %v", err)
	}
	if err := w.Close(ctx5s(t)); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// Bad arguments are refused with an error naming the problem.
func TestBatchWriterBadInput(t *testing.T) {
	f := newFakeServer()
	addr := f.start(t)
	c := dial(t, addr, 1, nil)
	tests := []struct {
		name            string
		client          *Client
		batch, inflight int
		want            string
	}{
		{"nil client", nil, 1, 1, "nil client"},
		{"zero inflight", c, 1, 0, "inflight 0"},
		{"zero batch", c, 0, 1, "batch size 0"},
	}
	for _, tt := range tests {
		if _, err := NewBatchWriter(tt.client, tt.batch, tt.inflight); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
	w, err := NewBatchWriter(c, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(ctx5s(t), nil); err == nil || !strings.Contains(err.Error(), "update 0 is nil") {
		t.Errorf("Add(nil): %v", err)
	}
	if err := w.Close(ctx5s(t)); err != nil {
		t.Errorf("Close of an unused writer: %v", err)
	}
}

// If ctx ends while Add waits for a slot, the update is not accepted and the
// ones before it stay queued: Flush sends them, and the caller may retry.
func TestBatchWriterAddContextEnds(t *testing.T) {
	f, addr, gate := gatedServer(t)
	c, _ := primary(t, addr, 1)
	w, err := NewBatchWriter(c, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx5s(t))
	updates := inserts(fakeTableID, 0, 4)
	addAll(t, w, updates[:3]) // 0-1 in flight, 2 queued
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w.Add(ctx, updates[3]); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Add while the only slot is busy: %v, want DeadlineExceeded", err)
	}
	if s := w.Stats(); s.Added != 3 {
		t.Errorf("Added = %d after a refused Add, want 3", s.Added)
	}
	gate <- struct{}{}
	gate <- struct{}{}
	if err := w.Flush(ctx5s(t)); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	recs := f.writeRecords()
	if len(recs) != 2 || len(recs[1].req.GetUpdates()) != 1 || !proto.Equal(recs[1].req.GetUpdates()[0], updates[2]) {
		t.Fatalf("server got %d requests; want [0 1] then [2]", len(recs))
	}
	gate <- struct{}{}
	addAll(t, w, updates[3:]) // the retry
	if err := w.Flush(ctx5s(t)); err != nil || f.storeSize() != 4 {
		t.Errorf("retry: Flush %v, %d stored; want nil and 4", err, f.storeSize())
	}
}

// If ctx ends while Flush waits for the batches in flight, Flush returns
// ctx's error and the batches stay in flight; a later Flush reports them.
func TestBatchWriterFlushContextEnds(t *testing.T) {
	f, addr, gate := gatedServer(t)
	c, _ := primary(t, addr, 1)
	w, err := NewBatchWriter(c, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx5s(t))
	updates := inserts(fakeTableID, 0, 4)
	updates[3] = insert(tableEntry(badTableID, 3))
	addAll(t, w, updates)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Flush with batches held: %v, want DeadlineExceeded", err)
	}
	gate <- struct{}{}
	gate <- struct{}{}
	err = w.Flush(ctx5s(t))
	var we *WriteError
	if !errors.As(err, &we) || len(we.Failures) != 1 || we.Failures[0].Index != 3 || we.Total != 4 {
		t.Fatalf("later Flush: %v, want update 3 failed of 4", err)
	}
	if f.storeSize() != 3 {
		t.Errorf("%d stored, want 3", f.storeSize())
	}
}
