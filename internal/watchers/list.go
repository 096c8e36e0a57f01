package watchers

import (
	"slices"
	"sync"
)

// List is a set of registered callbacks of type F. The zero value is an
// empty list; a List is safe for concurrent use and must not be copied.
type List[F any] struct {
	mu   sync.Mutex
	next uint64
	fns  map[uint64]F
}

// Add registers fn and returns the function that removes it again (calling
// it more than once is harmless).
func (l *List[F]) Add(fn F) (cancel func()) {
	l.mu.Lock()
	id := l.next
	l.next++
	if l.fns == nil {
		l.fns = map[uint64]F{}
	}
	l.fns[id] = fn
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		delete(l.fns, id)
		l.mu.Unlock()
	}
}

// Snapshot returns the registered callbacks in the order they were added.
// Call them without holding locks they may take themselves.
func (l *List[F]) Snapshot() []F {
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := make([]uint64, 0, len(l.fns))
	for id := range l.fns {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]F, len(ids))
	for i, id := range ids {
		out[i] = l.fns[id]
	}
	return out
}
