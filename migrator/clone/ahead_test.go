package clone

import (
	"context"
	"errors"
	"iter"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/migrator/snapshot"
	"github.com/lime-p4/lime/p4/entity"
)

// aheadSource answers a read of multicast group g with n[g] groups (ids
// 1..n[g]), or with err[g] after them; it counts the entities it produced
// and those in flight, and lets a test hold group reads at a gate.
type aheadSource struct {
	n        map[uint32]int
	err      map[uint32]error
	produced atomic.Int64
	gate     chan struct{} // when not nil, each entity waits for a token
	mu       sync.Mutex
	opened   []uint32
}

func (s *aheadSource) Read(ctx context.Context, filters ...*p4v1.Entity) iter.Seq2[*p4v1.Entity, error] {
	g := filters[0].GetPacketReplicationEngineEntry().GetMulticastGroupEntry().GetMulticastGroupId()
	s.mu.Lock()
	s.opened = append(s.opened, g)
	s.mu.Unlock()
	return func(yield func(*p4v1.Entity, error) bool) {
		for i := 1; i <= s.n[g]; i++ {
			if s.gate != nil {
				select {
				case <-s.gate:
				case <-ctx.Done():
					yield(nil, ctx.Err())
					return
				}
			}
			if ctx.Err() != nil {
				yield(nil, ctx.Err())
				return
			}
			s.produced.Add(1)
			if !yield(group(uint32(i)), nil) {
				return
			}
		}
		if err := s.err[g]; err != nil {
			yield(nil, err)
		}
	}
}

func group(id uint32) *p4v1.Entity {
	return &p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
		Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{MulticastGroupId: id}}}}}
}

// aheadPlan is one request per source group g (its filter names g).
func aheadPlan(gs ...uint32) []snapshot.Request {
	var plan []snapshot.Request
	for _, g := range gs {
		plan = append(plan, snapshot.Request{Kind: entity.KindMulticastGroup, Filter: group(g)})
	}
	return plan
}

func all(int) bool { return true }

func collect(t *testing.T, seq iter.Seq2[*p4v1.Entity, error]) (ids []uint32, err error) {
	t.Helper()
	for e, err := range seq {
		if err != nil {
			return ids, err
		}
		ids = append(ids, e.GetPacketReplicationEngineEntry().GetMulticastGroupEntry().GetMulticastGroupId())
	}
	return ids, nil
}

// The requests come back whole, in order, each with its own error.
func TestReadAheadYieldsEachRequest(t *testing.T) {
	boom := errors.New("boom")
	src := &aheadSource{n: map[uint32]int{1: 3, 2: 0, 3: 2, 4: 5}, err: map[uint32]error{3: boom}}
	x := startReadAhead(context.Background(), src, aheadPlan(1, 2, 3, 4), func(i int) bool { return i != 1 }, 2)
	defer x.stop()
	if ids, err := collect(t, x.entities(0)); err != nil || len(ids) != 3 || ids[2] != 3 {
		t.Fatalf("request 0: %v %v", ids, err)
	}
	if ids, err := collect(t, x.entities(2)); !errors.Is(err, boom) || len(ids) != 2 {
		t.Fatalf("request 2: %v %v, want 2 groups then %v", ids, err, boom)
	}
	if ids, err := collect(t, x.entities(3)); err != nil || len(ids) != 5 {
		t.Fatalf("request 3: %v %v", ids, err)
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	if len(src.opened) != 3 || src.opened[1] != 3 {
		t.Fatalf("opened %v, want the wanted requests 1, 3, 4 in order", src.opened)
	}
}

// At most budget entities are read and not yet taken, over all requests.
func TestReadAheadHoldsAtMostTheBudget(t *testing.T) {
	src := &aheadSource{n: map[uint32]int{1: 1, 2: 1, 3: 100}}
	const budget = 8
	x := startReadAhead(context.Background(), src, aheadPlan(1, 2, 3), all, budget)
	defer x.stop()
	// Entities and the end markers of the requests read share the budget.
	waitFor(t, func() bool { return src.produced.Load() >= budget-2 })
	time.Sleep(20 * time.Millisecond) // would it read more?
	// The source's iterator has handed over one more, held by the reader
	// until a token frees.
	if p := src.produced.Load(); p > budget+1 {
		t.Fatalf("%d entities read ahead, budget %d", p, budget)
	}
	for i := range 3 {
		ids, err := collect(t, x.entities(i))
		if err != nil {
			t.Fatal(err)
		}
		if want := []int{1, 1, 100}[i]; len(ids) != want {
			t.Fatalf("request %d: %d entities, want %d", i, len(ids), want)
		}
	}
}

// A consumer that stops early cancels the rest of its request, not the
// requests after it.
func TestReadAheadEarlyStopCancelsOnlyThatRequest(t *testing.T) {
	src := &aheadSource{n: map[uint32]int{1: 1000, 2: 4}}
	x := startReadAhead(context.Background(), src, aheadPlan(1, 2), all, 16)
	defer x.stop()
	for range x.entities(0) {
		break
	}
	ids, err := collect(t, x.entities(1))
	if err != nil || len(ids) != 4 {
		t.Fatalf("request 1 after request 0 stopped: %v %v", ids, err)
	}
	if p := src.produced.Load(); p >= 1000 {
		t.Fatalf("request 0 read to its end (%d entities) after its consumer stopped", p)
	}
}

// stop ends a read that is blocked in the source.
func TestReadAheadStopEndsBlockedReads(t *testing.T) {
	src := &aheadSource{n: map[uint32]int{1: 10}, gate: make(chan struct{})}
	x := startReadAhead(context.Background(), src, aheadPlan(1), all, 4)
	src.gate <- struct{}{}
	done := make(chan struct{})
	go func() { x.stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("stop did not return while the source was blocked")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}

// The copy reads the arrays apart from the read-ahead and must reach them
// only once every read-ahead request is taken (see readAhead): in every
// program's plan, counters and registers come last.
func TestPlanPutsArraysLast(t *testing.T) {
	for _, fx := range fixtures.All(t) {
		in := p4test.Index(t, p4test.P4Info(t, fx))
		cells := false
		for _, req := range snapshot.Plan(in) {
			if snapshot.CellsOf(req.Kind) {
				cells = true
			} else if cells {
				t.Errorf("%s: %s comes after an array", fx.Name, req.Name())
			}
		}
	}
}

// A request taken out of plan order is an error, not another request's
// entities.
func TestReadAheadOutOfOrder(t *testing.T) {
	src := &aheadSource{n: map[uint32]int{1: 2, 2: 2}}
	x := startReadAhead(context.Background(), src, aheadPlan(1, 2), all, 8)
	defer x.stop()
	if _, err := collect(t, x.entities(1)); err == nil || !strings.Contains(err.Error(), "request 1 taken while request 0 comes") {
		t.Fatalf("request 1 before request 0: %v", err)
	}
}
