package clone

import (
	"cmp"
	"slices"

	"github.com/lime-p4/lime/p4/entity"
)

// pendingUpdate is what the clone keeps of a queued update, to handle its
// failure at the next barrier.
type pendingUpdate struct {
	kind  entity.Kind
	retry bool // already retried with the other update type
}

// pendingRuns are the updates queued since the last barrier, by
// BatchWriter index, kept as runs of alike updates: as many as the kinds
// and retries between two barriers, not as the updates (a table of a
// million entries is one run).
type pendingRuns struct {
	base, n int // BatchWriter index of the first update, number of updates
	runs    []pendingRun
}

type pendingRun struct {
	first int // BatchWriter index
	pendingUpdate
}

func (p *pendingRuns) add(u pendingUpdate) {
	if k := len(p.runs); k == 0 || p.runs[k-1].pendingUpdate != u {
		p.runs = append(p.runs, pendingRun{first: p.base + p.n, pendingUpdate: u})
	}
	p.n++
}

// at is the update of BatchWriter index i, one of p's.
func (p *pendingRuns) at(i int) pendingUpdate {
	k, _ := slices.BinarySearchFunc(p.runs, i, func(r pendingRun, i int) int { return cmp.Compare(r.first, i+1) })
	return p.runs[k-1].pendingUpdate
}

// take returns the updates queued so far, and starts after them.
func (p *pendingRuns) take() pendingRuns {
	old := *p
	*p = pendingRuns{base: p.base + p.n}
	return old
}
