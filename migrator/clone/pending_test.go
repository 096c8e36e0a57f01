package clone

import (
	"testing"

	"github.com/lime-p4/lime/p4/entity"
)

// pendingRuns finds each update's kind by its BatchWriter index, across
// barriers, holding one run per change of kind or retry.
func TestPendingRuns(t *testing.T) {
	var p pendingRuns
	var want []pendingUpdate
	add := func(k entity.Kind, retry bool, n int) {
		for range n {
			p.add(pendingUpdate{kind: k, retry: retry})
			want = append(want, pendingUpdate{kind: k, retry: retry})
		}
	}
	add(entity.KindMember, false, 3)
	add(entity.KindTableEntry, false, 100_000)
	add(entity.KindTableEntry, true, 2)
	add(entity.KindDefaultEntry, false, 1)
	if len(p.runs) != 4 {
		t.Fatalf("%d runs for 4 runs of updates", len(p.runs))
	}
	got := p.take()
	for i, w := range want {
		if u := got.at(i); u != w {
			t.Fatalf("index %d: %+v, want %+v", i, u, w)
		}
	}
	// After a barrier, indexes go on from where they were.
	base := len(want)
	want = want[:0]
	add(entity.KindCounter, false, 5)
	add(entity.KindTableEntry, true, 1)
	got = p.take()
	for i, w := range want {
		if u := got.at(base + i); u != w {
			t.Fatalf("index %d: %+v, want %+v", base+i, u, w)
		}
	}
}
