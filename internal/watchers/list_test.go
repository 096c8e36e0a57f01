package watchers

import (
	"slices"
	"sync"
	"testing"
)

// TestList: callbacks come back in the order they were added, a cancelled
// one no longer does (cancelling twice is harmless), and concurrent
// registration and snapshots are race-free (run with -race).
func TestList(t *testing.T) {
	var l List[func() int]
	var cancels []func()
	for i := range 5 {
		cancels = append(cancels, l.Add(func() int { return i }))
	}
	cancels[1]()
	cancels[1]()
	cancels[3]()
	var got []int
	for _, f := range l.Snapshot() {
		got = append(got, f())
	}
	if want := []int{0, 2, 4}; !slices.Equal(got, want) {
		t.Errorf("callbacks %v, want %v", got, want)
	}

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				cancel := l.Add(func() int { return -1 })
				_ = l.Snapshot()
				cancel()
			}
		})
	}
	wg.Wait()
	if n := len(l.Snapshot()); n != 3 {
		t.Errorf("%d callbacks after concurrent add and cancel, want 3", n)
	}
}
