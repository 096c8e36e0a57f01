package plan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/lime-p4/lime/migrator/migrate"
)

// Runner runs a plan's tasks on its devices (the proxy's service, with a
// migrate.Driver per device). st is the device's migration state when the
// task was handed out.
type Runner interface {
	Run(ctx context.Context, t Task, st migrate.State) error
}

// Journal keeps a plan's state across restarts of the proxy.
type Journal interface {
	Save(st State) error
}

// Event is a task that starts (Took and Err unset) or ends.
type Event struct {
	Task  Task
	Start bool
	Took  time.Duration
	Err   error
	State State // the plan's state after the task ended
}

// Driver runs a plan's machine: every task the machine hands out runs at
// once, in a goroutine of its own (the machine bounds how many), and its
// outcome is recorded in the machine and the journal as it ends.
type Driver struct {
	Runner  Runner
	Journal Journal
	Log     *slog.Logger
	// Events, when set, is told of each task as it starts and ends, from
	// the driver's goroutine.
	Events func(Event)
}

// Run runs the machine's tasks until the plan ends, stops on a failure
// (the tasks running beside it finish first), or ctx ends (the tasks
// running then stop and run again later). It returns the failures, or
// ctx's error.
func (d *Driver) Run(ctx context.Context, m *Machine) error {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	type result struct {
		t    Task
		err  error
		took time.Duration
	}
	results := make(chan result)
	running := 0
	var fatal error // the journal failed: nothing new starts
	for {
		if ctx.Err() == nil && fatal == nil {
			for _, t := range m.Next() {
				running++
				st := m.Device(t.Device).State()
				d.Log.Info("plan task", "task", t.String())
				d.event(Event{Task: t, Start: true, State: m.State()})
				go func() {
					start := time.Now()
					err := d.Runner.Run(ctx, t, st)
					results <- result{t: t, err: err, took: time.Since(start)}
				}()
			}
		}
		if running == 0 {
			break
		}
		r := <-results
		running--
		if r.err != nil && ctx.Err() != nil {
			m.Stopped(r.t) // not a failure of the task: it runs again
			continue
		}
		if r.err != nil {
			d.Log.Warn("plan task failed", "task", r.t.String(), "err", r.err)
		} else {
			d.Log.Info("plan task done", "task", r.t.String(), "took", r.took.Round(time.Millisecond))
		}
		if err := m.Done(r.t, r.err); err != nil {
			fatal = errors.Join(fatal, err)
			continue
		}
		if d.Journal != nil {
			if err := d.Journal.Save(m.State()); err != nil {
				fatal = errors.Join(fatal, fmt.Errorf("plan: journal: %w", err))
			}
		}
		d.event(Event{Task: r.t, Took: r.took, Err: r.err, State: m.State()})
	}
	switch {
	case fatal != nil:
		return fatal
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return failures(m)
}

func (d *Driver) event(e Event) {
	if d.Events != nil {
		d.Events(e)
	}
}

// failures describes why the plan stopped, nil when it did not.
func failures(m *Machine) error {
	f := m.Failed()
	if len(f) == 0 {
		return nil
	}
	var parts []string
	for _, vid := range slices.Sorted(maps.Keys(f)) {
		parts = append(parts, fmt.Sprintf("device %d: %s", vid, f[vid]))
	}
	return fmt.Errorf("plan stopped at %v: %s", m.State().Phase, strings.Join(parts, "; "))
}
