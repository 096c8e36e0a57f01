package client

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// bigEntries makes n table entries of about 1 KiB each.
func bigEntries(n int) []*p4v1.Entity {
	out := make([]*p4v1.Entity, n)
	for i := range out {
		e := tableEntry(fakeTableID, uint32(i))
		e.GetTableEntry().Metadata = []byte(strings.Repeat("m", 1000))
		out[i] = e
	}
	return out
}

// bmv2 answers a Read in one ReadResponse (DESIGN.md); gRPC's default 4 MiB
// receive limit would refuse it, so the client raises it by default.
func TestReadLargeMessage(t *testing.T) {
	f := newFakeServer()
	addr := f.start(t)
	entries := bigEntries(5000)
	f.preload(entries)
	size := proto.Size(&p4v1.ReadResponse{Entities: entries})
	if size <= 4<<20 {
		t.Fatalf("test response is %d bytes, want more than 4 MiB", size)
	}

	c := dial(t, addr, 1, nil)
	got, err := c.ReadAll(ctx5s(t), &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{}}})
	if err != nil {
		t.Fatalf("ReadAll of a %d-byte message: %v", size, err)
	}
	if len(got) != len(entries) || !proto.Equal(got[123], entries[123]) {
		t.Fatalf("read %d entities, want %d in order", len(got), len(entries))
	}

	// With the limit set back to gRPC's default the same read fails.
	small := dial(t, addr, 2, func(o *DialOptions) { o.MaxRecvMsgSize = 4 << 20 })
	_, err = small.ReadAll(ctx5s(t), &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{}}})
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("read with a 4 MiB limit: %v, want RESOURCE_EXHAUSTED", err)
	}
}

// ReadRaw yields each entity's wire form, in order and across responses;
// decoded, they are what Read yields. Per-request failures come back the
// same way as from Read.
func TestReadRaw(t *testing.T) {
	f := newFakeServer()
	f.readChunk = 7
	addr := f.start(t)
	entries := bigEntries(30)
	f.preload(entries)
	c := dial(t, addr, 1, nil)
	all := &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{}}}
	var got []*p4v1.Entity
	for b, err := range c.ReadRaw(ctx5s(t), all) {
		if err != nil {
			t.Fatal(err)
		}
		e := &p4v1.Entity{}
		if err := proto.Unmarshal(b, e); err != nil {
			t.Fatalf("entity %d: %v", len(got), err)
		}
		got = append(got, e)
	}
	if len(got) != len(entries) {
		t.Fatalf("%d entities, want %d", len(got), len(entries))
	}
	for i := range got {
		if !proto.Equal(got[i], entries[i]) {
			t.Fatalf("entity %d: %v, want %v", i, got[i], entries[i])
		}
	}
	for _, err := range c.ReadRaw(ctx5s(t)) {
		if err == nil || !strings.Contains(err.Error(), "no entity filter") {
			t.Fatalf("ReadRaw without filters: %v", err)
		}
	}
}

// Read yields entities as each ReadResponse arrives: the first entity is
// seen while the server is still holding back the rest. Breaking out of the
// loop cancels the RPC.
func TestReadStreams(t *testing.T) {
	f := newFakeServer()
	f.readChunk = 10
	proceed := make(chan struct{})
	var serverCancelled atomic.Bool
	f.readHook = func(ctx context.Context, sent int) error {
		if sent != 10 {
			return nil
		}
		select {
		case <-proceed:
			return nil
		case <-ctx.Done():
			serverCancelled.Store(true)
			return ctx.Err()
		case <-time.After(5 * time.Second):
			return status.Error(codes.DeadlineExceeded, "test never released the read")
		}
	}
	addr := f.start(t)
	f.preload(bigEntries(30))
	c := dial(t, addr, 1, nil)
	filter := &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: fakeTableID}}}

	n := 0
	for e, err := range c.Read(ctx5s(t), filter) {
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if e.GetTableEntry().GetTableId() != fakeTableID {
			t.Fatalf("entity %d from table %d", n, e.GetTableEntry().GetTableId())
		}
		if n == 0 {
			close(proceed) // the server was blocked after its first message
		}
		n++
	}
	if n != 30 {
		t.Fatalf("read %d entities, want 30", n)
	}

	// Break after the first entity: the server sees the RPC cancelled.
	proceed = make(chan struct{})
	for _, err := range c.Read(ctx5s(t), filter) {
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		break
	}
	waitFor(t, "the server to see the abandoned read cancelled", serverCancelled.Load)
}

// Spec "Read RPC", "Batch Processing": a request the server cannot serve
// (bmv2: registers, UNIMPLEMENTED) gives UNKNOWN with per-request details
// after the other requests' entities; Read turns that into a *ReadError.
func TestReadErrors(t *testing.T) {
	f := newFakeServer()
	addr := f.start(t)
	c := dial(t, addr, 1, nil)
	tableFilter := &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{}}}
	registerFilter := &p4v1.Entity{Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: &p4v1.RegisterEntry{}}}

	// Before a pipeline is set: FAILED_PRECONDITION, as bmv2 answers.
	if _, err := c.ReadAll(ctx5s(t), tableFilter); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("read before pipeline: %v, want FAILED_PRECONDITION", err)
	}

	f.preload(bigEntries(3))
	got, err := c.ReadAll(ctx5s(t), tableFilter, registerFilter)
	var re *ReadError
	if !errors.As(err, &re) {
		t.Fatalf("ReadAll: %v, want *ReadError", err)
	}
	if len(got) != 3 {
		t.Errorf("got %d entities before the error, want 3", len(got))
	}
	if re.Total != 2 || len(re.Failures) != 1 || re.Failures[0].Index != 1 || re.Failures[0].Err.Code != codes.Unimplemented ||
		re.Failures[0].Entity != registerFilter {
		t.Errorf("ReadError %+v, want request 1 UNIMPLEMENTED", re)
	}
	if !strings.Contains(err.Error(), "register_entry") || !errors.Is(err, &P4Error{Code: codes.Unimplemented}) {
		t.Errorf("error %q does not name the register request or its code", err)
	}
	if items, derr := DecodeBatchError(re, 2); derr != nil || items[0] != nil || items[1].Code != codes.Unimplemented {
		t.Errorf("ReadError status does not round-trip: %v %v", items, derr)
	}

	bad := []struct {
		name    string
		filters []*p4v1.Entity
		want    string
	}{
		{"no filter", nil, "no entity filter"},
		{"nil filter", []*p4v1.Entity{tableFilter, nil}, "entity filter 1 is nil"},
	}
	for _, tt := range bad {
		if _, err := c.ReadAll(ctx5s(t), tt.filters...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

// Cancelling ctx ends a Read blocked on the server.
func TestReadContextCancel(t *testing.T) {
	f := newFakeServer()
	f.readChunk = 1
	f.readHook = func(ctx context.Context, _ int) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second):
			return status.Error(codes.DeadlineExceeded, "client never cancelled")
		}
	}
	addr := f.start(t)
	f.preload(bigEntries(2))
	c := dial(t, addr, 1, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last error
	n := 0
	for _, err := range c.Read(ctx, &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{}}}) {
		if err != nil {
			last = err
			break
		}
		n++
		cancel()
	}
	if n != 1 || status.Code(last) != codes.Canceled {
		t.Errorf("read %d entities then %v; want 1 then CANCELED", n, last)
	}
}
