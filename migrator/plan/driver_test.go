package plan

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lime-p4/lime/migrator/migrate"
)

// fakeRunner runs tasks by sleeping a little, counting how many run at
// once, and failing those it is told to, once.
type fakeRunner struct {
	mu            sync.Mutex
	now, max, ran int
	fail          map[string]bool
	block         chan struct{} // when set, tasks wait on it (or ctx)
}

func (f *fakeRunner) Run(ctx context.Context, t Task, _ migrate.State) error {
	f.mu.Lock()
	f.now++
	f.max = max(f.max, f.now)
	fail := f.fail[t.String()]
	delete(f.fail, t.String())
	block := f.block
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.now--
		f.ran++
		f.mu.Unlock()
	}()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	time.Sleep(time.Millisecond)
	if fail {
		return errors.New("injected")
	}
	return nil
}

type memJournal struct{ saves []State }

func (j *memJournal) Save(st State) error { j.saves = append(j.saves, st); return nil }

const threeDevices = `
parallel: 2
devices:
  - {vid: 1, to: {addr: "t1:1"}, ports: {1: 11, 3: 13}, hosts: [1], links: {3: "2:3"}, trunk: "9=19"}
  - {vid: 2, to: {addr: "t2:1"}, ports: {1: 11, 3: 13, 4: 14}, hosts: [1], links: {3: "1:3", 4: "3:3"}, trunk: "9=19"}
  - {vid: 3, to: {addr: "t3:1"}, ports: {1: 11, 3: 13}, hosts: [1], links: {3: "2:4"}, trunk: "9=19"}
`

// The driver runs what the machine hands out concurrently, never more
// than the plan's bound at once, journals every outcome, stops on a
// failure once what runs beside it ended, and goes on after a retry.
func TestDriverRunsConcurrentlyWithinBound(t *testing.T) {
	p, err := Parse([]byte(threeDevices), "plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := NewMachine(p)
	r := &fakeRunner{fail: map[string]bool{"device 3: clone": true}}
	j := &memJournal{}
	d := &Driver{Runner: r, Journal: j}
	err = d.Run(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "device 3: injected") {
		t.Fatalf("run with a failing clone: %v", err)
	}
	if st := m.State(); st.Phase != PhasePrepare || len(m.Running()) != 0 {
		t.Fatalf("stopped at %v with %v running", st.Phase, m.Running())
	}
	if err := m.Retry(); err != nil {
		t.Fatal(err)
	}
	if err := d.Run(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if st := m.State(); st.Phase != PhaseDone {
		t.Fatalf("plan at %v", st.Phase)
	}
	if r.max != 2 {
		t.Fatalf("%d tasks ran at once, the bound is 2", r.max)
	}
	if len(j.saves) != r.ran || j.saves[len(j.saves)-1].Phase != PhaseDone {
		t.Fatalf("%d tasks ran, %d states journalled (last %v)", r.ran, len(j.saves), j.saves[len(j.saves)-1].Phase)
	}
}

// A driver stopped (ctx ends) leaves the tasks that were running to run
// again: they are neither failures nor successes.
func TestDriverStopped(t *testing.T) {
	p, err := Parse([]byte(threeDevices), "plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := NewMachine(p)
	r := &fakeRunner{block: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- (&Driver{Runner: r}).Run(ctx, m) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped driver: %v", err)
	}
	st := m.State()
	if len(m.Running()) != 0 || len(m.Failed()) != 0 || st.Devices[0].Migration.Step != migrate.Validate {
		t.Fatalf("after a stop: running %v, failed %v, device 1 at %v", m.Running(), m.Failed(), st.Devices[0].Migration.Step)
	}
	r.block = nil
	if err := (&Driver{Runner: r}).Run(context.Background(), m); err != nil || m.State().Phase != PhaseDone {
		t.Fatalf("run again: %v at %v", err, m.State().Phase)
	}
}
