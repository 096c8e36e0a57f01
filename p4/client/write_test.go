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

func ctx5s(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Spec "Error Reporting" (Write RPC): with some updates failing the server
// answers UNKNOWN with one p4.v1.Error per update, OK for the successes;
// Write maps each failed update to its index, code and message.
func TestWritePerUpdateErrors(t *testing.T) {
	f := newFakeServer()
	addr := f.start(t)
	c, _ := primary(t, addr, 1)
	ctx := ctx5s(t)
	if err := c.Write(ctx, []*p4v1.Update{insert(tableEntry(fakeTableID, 1))}); err != nil {
		t.Fatalf("seed write: %v", err)
	}

	updates := []*p4v1.Update{
		insert(tableEntry(fakeTableID, 2)),                                  // OK
		insert(tableEntry(fakeTableID, 1)),                                  // duplicate
		{Type: p4v1.Update_DELETE, Entity: tableEntry(fakeTableID, 99)},     // absent
		insert(tableEntry(fakeTableID, 3)),                                  // OK
		insert(tableEntry(badTableID, 1)),                                   // unknown table
		{Type: p4v1.Update_MODIFY, Entity: tableEntry(fakeTableID, 2)},      // OK (inserted above)
		{Type: p4v1.Update_UNSPECIFIED, Entity: tableEntry(fakeTableID, 5)}, // no type
	}
	want := []struct {
		index int
		code  codes.Code
		msg   string
	}{
		{1, codes.AlreadyExists, "Match entry exists"},
		{2, codes.NotFound, "Cannot find match entry"},
		{4, codes.InvalidArgument, "Invalid table id"},
		{6, codes.InvalidArgument, "Update type not set"},
	}
	err := c.Write(ctx, updates)
	var we *WriteError
	if !errors.As(err, &we) {
		t.Fatalf("Write: %v, want a *WriteError", err)
	}
	if we.Total != len(updates) || we.Start != 0 {
		t.Errorf("Total %d Start %d, want %d and 0", we.Total, we.Start, len(updates))
	}
	if len(we.Failures) != len(want) {
		t.Fatalf("%d failures, want %d: %v", len(we.Failures), len(want), err)
	}
	for i, w := range want {
		got := we.Failures[i]
		var pe *P4Error
		if !errors.As(got.Err, &pe) {
			t.Fatalf("failure %d: Err %v is not a *P4Error", i, got.Err)
		}
		if got.Index != w.index || pe.Code != w.code || !strings.Contains(pe.Message, w.msg) || got.BatchWide {
			t.Errorf("failure %d = index %d %v %q batchwide %v; want index %d %v containing %q",
				i, got.Index, pe.Code, pe.Message, got.BatchWide, w.index, w.code, w.msg)
		}
		if got.Update != updates[w.index] {
			t.Errorf("failure %d does not carry the original update", i)
		}
	}
	if pe := we.Failures[2].Err.(*P4Error); pe.Space != "ALL-sswitch-p4org" || pe.VendorCode != 7 {
		t.Errorf("vendor space/code %q/%d not carried", pe.Space, pe.VendorCode)
	}
	// errors.Is matches by code through the WriteError.
	if !errors.Is(err, &P4Error{Code: codes.AlreadyExists}) || errors.Is(err, &P4Error{Code: codes.ResourceExhausted}) {
		t.Error("errors.Is by P4Error code does not reach the failures")
	}
	// Results: one entry per update, nil for successes.
	res := we.Results()
	for i, r := range res {
		failed := i == 1 || i == 2 || i == 4 || i == 6
		if (r != nil) != failed {
			t.Errorf("Results()[%d] = %v, want failed=%v", i, r, failed)
		}
	}
	// The WriteError's own status is the server's form, and decodes back.
	if status.Code(err) != codes.Unknown {
		t.Errorf("status.Code = %v, want UNKNOWN", status.Code(err))
	}
	items, derr := DecodeBatchError(we, len(updates))
	if derr != nil {
		t.Fatalf("decoding the WriteError's own status: %v", derr)
	}
	for i, it := range items {
		if (it != nil) != (res[i] != nil) || (it != nil && it.Code != res[i].(*P4Error).Code) {
			t.Errorf("re-decoded item %d = %v, want %v", i, it, res[i])
		}
	}
	if !strings.Contains(err.Error(), "4 of 7 updates failed") || !strings.Contains(err.Error(), addr) {
		t.Errorf("error text %q lacks the summary or the address", err)
	}
	if f.storeSize() != 3 {
		t.Errorf("store has %d entries, want 3", f.storeSize())
	}
}

// Every WriteRequest carries the device id, election id and role, and
// batches are cut by count and by encoded size, in order.
func TestWriteBatching(t *testing.T) {
	one := updateWireSize(inserts(fakeTableID, 0, 1)[0])
	tests := []struct {
		name  string
		n     int
		opts  []WriteOption
		sizes []int
	}{
		{"default batch size", 2500, nil, []int{1000, 1000, 500}},
		{"exact multiple", 9, []WriteOption{WithBatchSize(3)}, []int{3, 3, 3}},
		{"one more than a multiple", 10, []WriteOption{WithBatchSize(3)}, []int{3, 3, 3, 1}},
		{"batch larger than the write", 4, []WriteOption{WithBatchSize(100)}, []int{4}},
		{"batch size 1", 3, []WriteOption{WithBatchSize(1)}, []int{1, 1, 1}},
		{"byte limit", 10, []WriteOption{WithMaxBatchBytes(4 * one)}, []int{4, 4, 2}},
		{"byte limit below one update", 3, []WriteOption{WithMaxBatchBytes(1)}, []int{1, 1, 1}},
		{"count before bytes", 10, []WriteOption{WithBatchSize(2), WithMaxBatchBytes(4 * one)}, []int{2, 2, 2, 2, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer()
			addr := f.start(t)
			c, _ := primary(t, addr, 7)
			updates := inserts(fakeTableID, 0, tt.n)
			if err := c.Write(ctx5s(t), updates, tt.opts...); err != nil {
				t.Fatalf("Write: %v", err)
			}
			recs := f.writeRecords()
			if len(recs) != len(tt.sizes) {
				t.Fatalf("%d requests, want %d", len(recs), len(tt.sizes))
			}
			next := 0
			for i, r := range recs {
				if len(r.req.GetUpdates()) != tt.sizes[i] {
					t.Errorf("request %d has %d updates, want %d", i, len(r.req.GetUpdates()), tt.sizes[i])
				}
				if r.req.GetDeviceId() != fakeDevice || r.req.GetElectionId().GetLow() != 7 || r.req.GetAtomicity() != p4v1.WriteRequest_CONTINUE_ON_ERROR {
					t.Errorf("request %d: device %d election %v atomicity %v", i, r.req.GetDeviceId(), r.req.GetElectionId(), r.req.GetAtomicity())
				}
				for _, u := range r.req.GetUpdates() {
					if !proto.Equal(u, updates[next]) {
						t.Fatalf("request %d: update out of order at %d", i, next)
					}
					next++
				}
			}
			if f.storeSize() != tt.n {
				t.Errorf("store has %d entries, want %d", f.storeSize(), tt.n)
			}
		})
	}
}

// Failures in later batches keep their index in the whole write;
// CONTINUE_ON_ERROR goes on past batches with per-update failures.
func TestWriteFailureIndicesAcrossBatches(t *testing.T) {
	f := newFakeServer()
	addr := f.start(t)
	c, _ := primary(t, addr, 1)
	updates := inserts(fakeTableID, 0, 10)
	updates[4] = insert(tableEntry(badTableID, 4))
	updates[9] = insert(tableEntry(badTableID, 9))
	err := c.Write(ctx5s(t), updates, WithBatchSize(3))
	var we *WriteError
	if !errors.As(err, &we) {
		t.Fatalf("Write: %v, want *WriteError", err)
	}
	if len(we.Failures) != 2 || we.Failures[0].Index != 4 || we.Failures[1].Index != 9 {
		t.Fatalf("failures %+v, want indices 4 and 9", we.Failures)
	}
	if len(f.writeRecords()) != 4 || f.storeSize() != 8 {
		t.Errorf("%d requests, %d stored; want 4 and 8", len(f.writeRecords()), f.storeSize())
	}
}

// A batch refused as a whole (bmv2: PERMISSION_DENIED for a backup,
// UNIMPLEMENTED for atomic modes) stops the write: its updates are BatchWide
// failures, the rest ErrNotSent, and nothing more reaches the server. Under
// ROLLBACK_ON_ERROR (spec "Batch Atomicity") a per-update failure stops the
// write too.
func TestWriteStops(t *testing.T) {
	tests := []struct {
		name      string
		atomicOK  bool
		backup    bool
		opts      []WriteOption
		bad       int // index of an update to an unknown table, -1 for none
		wantCode  codes.Code
		wantWide  bool
		wantSent  int // requests reaching the server
		wantFails int // failures with a server error (the rest: not sent)
	}{
		{"backup", false, true, nil, -1, codes.PermissionDenied, true, 1, 3},
		{"rollback unimplemented (bmv2)", false, false, []WriteOption{WithAtomicity(p4v1.WriteRequest_ROLLBACK_ON_ERROR)}, -1, codes.Unimplemented, true, 1, 3},
		{"dataplane atomic unimplemented (bmv2)", false, false, []WriteOption{WithAtomicity(p4v1.WriteRequest_DATAPLANE_ATOMIC)}, -1, codes.Unimplemented, true, 1, 3},
		{"rollback with a failed update", true, false, []WriteOption{WithAtomicity(p4v1.WriteRequest_ROLLBACK_ON_ERROR)}, 4, codes.InvalidArgument, false, 2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer()
			f.atomicOK = tt.atomicOK
			addr := f.start(t)
			c, _ := primary(t, addr, 10)
			if tt.backup {
				c = dial(t, addr, 5, nil)
				arbitrate(t, c)
			}
			updates := inserts(fakeTableID, 0, 9)
			if tt.bad >= 0 {
				updates[tt.bad] = insert(tableEntry(badTableID, 0))
			}
			err := c.Write(ctx5s(t), updates, append(tt.opts, WithBatchSize(3))...)
			var we *WriteError
			if !errors.As(err, &we) {
				t.Fatalf("Write: %v, want *WriteError", err)
			}
			if got := len(f.writeRecords()); got != tt.wantSent {
				t.Errorf("%d requests reached the server, want %d", got, tt.wantSent)
			}
			served, notSent := 0, 0
			var first *P4Error
			for _, fl := range we.Failures {
				if errors.Is(fl.Err, ErrNotSent) {
					notSent++
					continue
				}
				served++
				if first == nil {
					first = fl.Err.(*P4Error)
					if first.Code != tt.wantCode && tt.wantWide {
						t.Errorf("batch failure code %v, want %v", first.Code, tt.wantCode)
					}
				}
				if fl.BatchWide != tt.wantWide {
					t.Errorf("failure %d BatchWide %v, want %v", fl.Index, fl.BatchWide, tt.wantWide)
				}
			}
			if served != tt.wantFails || notSent != 9-3*tt.wantSent {
				t.Errorf("%d server failures and %d not sent, want %d and %d", served, notSent, tt.wantFails, 9-3*tt.wantSent)
			}
			if !errors.Is(err, &P4Error{Code: tt.wantCode}) {
				t.Errorf("no failure with code %v in %v", tt.wantCode, err)
			}
			if tt.wantWide && status.Code(err) != tt.wantCode {
				t.Errorf("status.Code = %v, want the batch-wide %v", status.Code(err), tt.wantCode)
			}
			if tt.atomicOK && f.storeSize() != 3 {
				t.Errorf("store has %d entries after a rolled-back second batch, want 3", f.storeSize())
			}
		})
	}
}

// A cancelled or expired ctx fails the batch in flight as a whole and stops
// the write.
func TestWriteContextCancel(t *testing.T) {
	f := newFakeServer()
	release := make(chan struct{})
	f.writeHook = func(ctx context.Context, _ *p4v1.WriteRequest) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			// The server's deadline may pass just before the client's: it
			// must not answer OK then.
			return status.FromContextError(ctx.Err()).Err()
		}
	}
	addr := f.start(t)
	defer close(release)
	c, _ := primary(t, addr, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	err := c.Write(ctx, inserts(fakeTableID, 0, 4), WithBatchSize(2))
	var we *WriteError
	if !errors.As(err, &we) {
		t.Fatalf("Write: %v, want *WriteError", err)
	}
	if len(we.Failures) != 4 || !we.Failures[0].BatchWide || status.Code(we.Failures[0].Err) != codes.DeadlineExceeded ||
		!errors.Is(we.Failures[3].Err, ErrNotSent) {
		t.Errorf("failures %+v: want the first batch DEADLINE_EXCEEDED, the second not sent", we.Failures)
	}
}

// Bad arguments are refused before anything is sent, with an error naming
// the problem.
func TestWriteBadInput(t *testing.T) {
	f := newFakeServer()
	addr := f.start(t)
	c, _ := primary(t, addr, 1)
	tests := []struct {
		name    string
		updates []*p4v1.Update
		opts    []WriteOption
		want    string
	}{
		{"nil update", []*p4v1.Update{insert(tableEntry(fakeTableID, 1)), nil}, nil, "update 1 is nil"},
		{"zero batch size", inserts(fakeTableID, 0, 1), []WriteOption{WithBatchSize(0)}, "batch size 0"},
		{"negative byte limit", inserts(fakeTableID, 0, 1), []WriteOption{WithMaxBatchBytes(-1)}, "max batch bytes -1"},
		{"unknown atomicity", inserts(fakeTableID, 0, 1), []WriteOption{WithAtomicity(9)}, "unknown atomicity 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Write(ctx5s(t), tt.updates, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Write: %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if err := c.Write(ctx5s(t), nil); err != nil {
		t.Errorf("empty write: %v", err)
	}
	if n := len(f.writeRecords()); n != 0 {
		t.Errorf("%d requests reached the server, want none", n)
	}
}
