package migrate

import (
	"fmt"
	"slices"
)

// Step is one step of a migration.
type Step uint8

// The steps, in order; MoveBack, Detach and Clear undo them (abort).
const (
	StepNone Step = iota
	// Validate: the target is reachable, runs (or can run) the same
	// program, is empty unless forced; the port map covers every port the
	// source's state uses. Nothing is written before it passes.
	Validate
	// Pipeline: the target gets its own compilation of the program, with
	// the source's cookie.
	Pipeline
	// Mirror: the proxy takes the target as the device's mirror and
	// records every write from now on.
	Mirror
	// Clone: the source's state is copied onto the target.
	Clone
	// CatchUp: the recorded writes are replayed; from then on every write
	// reaches both devices.
	CatchUp
	// Verify: source and target are compared through the translation; a
	// difference stops the migration.
	Verify
	// MoveHost: one host (port) moves from the source to the target.
	MoveHost
	// CutOver: the target becomes the device; the source is released.
	CutOver
	// Done: the migration is over.
	Done
	// MoveBack: an abort returns one moved host to the source.
	MoveBack
	// Detach: an abort stops the dual-write.
	Detach
	// Clear: an abort removes what the migration wrote to the target.
	Clear
	// Aborted: the migration was undone.
	Aborted
)

var stepNames = [...]string{StepNone: "none", Validate: "validate", Pipeline: "pipeline", Mirror: "mirror", Clone: "clone",
	CatchUp: "catch-up", Verify: "verify", MoveHost: "move-host", CutOver: "cut-over", Done: "done",
	MoveBack: "move-back", Detach: "detach", Clear: "clear", Aborted: "aborted"}

func (s Step) String() string {
	if int(s) < len(stepNames) {
		return stepNames[s]
	}
	return fmt.Sprintf("step(%d)", s)
}

// MarshalText writes steps by name in the journal and in JSON.
func (s Step) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a step name.
func (s *Step) UnmarshalText(b []byte) error {
	for i, n := range stepNames {
		if n == string(b) {
			*s = Step(i)
			return nil
		}
	}
	return fmt.Errorf("unknown migration step %q", b)
}

// Action is what the driver does next.
type Action struct {
	Step Step
	Port uint64 // the host's virtual port, for MoveHost and MoveBack
}

func (a Action) String() string {
	if a.Step == MoveHost || a.Step == MoveBack {
		return fmt.Sprintf("%s %d", a.Step, a.Port)
	}
	return a.Step.String()
}

// State is where a migration stands; the journal keeps it.
type State struct {
	// Step is the step to run next, or Done or Aborted at the end.
	Step Step `json:"step"`
	// Hosts are the virtual ports whose hosts move, in order.
	Hosts []uint64 `json:"hosts"`
	// Moved are the ports whose hosts are on the target now.
	Moved []uint64 `json:"moved,omitempty"`
	// Aborting is set once an abort was asked for.
	Aborting bool `json:"aborting,omitempty"`
	// Failed is why the migration stopped at Step ("" while it runs);
	// Retry or Abort go on from there.
	Failed string `json:"failed,omitempty"`
	// ResumedFrom is the step a restarted migrator found the migration at,
	// until its mirror is attached again: a MoveHost may have stopped
	// halfway. A target that restarted rewinds the migration the same way.
	ResumedFrom Step `json:"resumed_from,omitempty"`
	// Reseeds counts the times the target was set up again because a
	// switch restarted (TargetRestarted, SourceRestarted).
	Reseeds int `json:"reseeds,omitempty"`
}

// Moving is the host whose move may have stopped halfway when the
// migrator stopped, and whether there is one.
func (st State) Moving() (uint64, bool) {
	if st.ResumedFrom != MoveHost || st.Aborting || len(st.Moved) >= len(st.Hosts) {
		return 0, false
	}
	return st.Hosts[len(st.Moved)], true
}

// Machine decides a migration's steps. It does no I/O.
type Machine struct{ st State }

// New starts a migration that moves the hosts on ports hosts, in order.
func New(hosts []uint64) *Machine {
	return &Machine{st: State{Step: Validate, Hosts: slices.Clone(hosts)}}
}

// Restore continues a migration from its journalled state, after the
// migrator stopped (see Resume).
func Restore(st State) *Machine {
	st.Hosts, st.Moved = slices.Clone(st.Hosts), slices.Clone(st.Moved)
	return &Machine{st: st}
}

// State is where the migration stands.
func (m *Machine) State() State {
	st := m.st
	st.Hosts, st.Moved = slices.Clone(st.Hosts), slices.Clone(st.Moved)
	return st
}

// Next is the action to run, or ok false when there is none: the migration
// ended, or failed and waits for Retry or Abort.
func (m *Machine) Next() (a Action, ok bool) {
	if m.st.Failed != "" || m.st.Step == Done || m.st.Step == Aborted {
		return Action{}, false
	}
	a = Action{Step: m.st.Step}
	switch m.st.Step {
	case MoveHost:
		a.Port = m.st.Hosts[len(m.st.Moved)]
	case MoveBack:
		a.Port = m.st.Moved[len(m.st.Moved)-1]
	}
	return a, true
}

// Succeeded records that a, the action Next gave, succeeded.
func (m *Machine) Succeeded(a Action) error {
	if err := m.check(a); err != nil {
		return err
	}
	st := &m.st
	switch a.Step {
	case CatchUp:
		st.Step = Verify
		if st.Aborting { // a resumed abort: the mirror is live again
			st.Step = m.afterUndo()
		}
	case Verify:
		st.Step = m.afterMoves()
	case MoveHost:
		st.Moved = append(st.Moved, a.Port)
		st.Step = m.afterMoves()
	case Mirror:
		st.Step, st.ResumedFrom = Clone, StepNone
	case CutOver:
		st.Step = Done
	case MoveBack:
		st.Moved = st.Moved[:len(st.Moved)-1]
		st.Step = m.afterUndo()
	case Detach:
		st.Step = Clear
	case Clear:
		st.Step = Aborted
	default: // Validate .. CatchUp: the next in order
		st.Step++
	}
	return nil
}

// afterUndo is MoveBack while hosts are on the target, else Detach.
func (m *Machine) afterUndo() Step {
	if len(m.st.Moved) > 0 {
		return MoveBack
	}
	return Detach
}

// afterMoves is MoveHost while hosts are left to move, else CutOver.
func (m *Machine) afterMoves() Step {
	if len(m.st.Moved) < len(m.st.Hosts) {
		return MoveHost
	}
	return CutOver
}

// Failed records that a failed with err; the migration stops there until
// Retry or Abort.
func (m *Machine) Failed(a Action, err error) error {
	if cerr := m.check(a); cerr != nil {
		return cerr
	}
	m.st.Failed = err.Error()
	return nil
}

func (m *Machine) check(a Action) error {
	if want, ok := m.Next(); !ok || want != a {
		return fmt.Errorf("migration: %v reported, but the next action is %v", a, want)
	}
	return nil
}

// Retry runs the failed step again.
func (m *Machine) Retry() error {
	if m.st.Failed == "" {
		return fmt.Errorf("migration: nothing failed to retry (at %v)", m.st.Step)
	}
	m.st.Failed = ""
	return nil
}

// Abort undoes the migration: the moved hosts return to the source, one
// at a time and newest first, the dual-write stops, and what the migration
// wrote to the target is removed. A migration that cut over cannot be
// aborted; one that wrote nothing yet ends at once. Asked again while an
// undo step failed, it retries that step.
func (m *Machine) Abort() error {
	st := &m.st
	switch {
	case st.Step == Done:
		return fmt.Errorf("migration: it cut over already: the target is the device now")
	case st.Step == Aborted:
		return nil
	case st.Aborting:
		st.Failed = ""
		return nil
	}
	st.Aborting, st.Failed = true, ""
	switch {
	case st.Step <= Validate:
		st.Step = Aborted // nothing written
	case st.Step == Pipeline && len(st.Moved) > 0:
		return nil // set up again after a restart, hosts on it: the mirror first
	case st.Step == Pipeline:
		st.Step = Clear // the pipeline may be set
	case st.Step == Mirror || st.Step == Clone || st.Step == CatchUp:
		if len(st.Moved) > 0 { // resumed with hosts on the target: the mirror first
			return nil
		}
		st.Step = Detach
	default:
		st.Step = m.afterUndo()
	}
	return nil
}

// Resume is what a restarted migrator does with a journalled state: the
// proxy's record of writes and its mirror lived in the stopped process, so
// a migration between Mirror and CutOver attaches the mirror again (with
// the hosts already moved, which stay moved), clones again (quickly: the
// clone skips what the target holds) and catches up. An abort goes on
// where it stood; one that was moving hosts back attaches the mirror
// again, clones and catches up first.
func (m *Machine) Resume() {
	st := &m.st
	switch {
	case !st.Aborting && st.Step > Mirror && st.Step <= CutOver, st.Aborting && st.Step == MoveBack:
		st.ResumedFrom, st.Step = st.Step, Mirror
	}
}

// TargetRestarted records that the target restarted and lost its state
// (DESIGN.md, "Faults": a switch restarts): the migration sets it up again
// — pipeline, the mirror recording writes, a new clone, catch-up, verify —
// and goes on, the hosts already moved still moved; a step that failed
// because of the restart is not a failure. Before its pipeline was set
// nothing of the migration is lost: the step runs again. It reports false
// when the restart changes nothing: the migration ended (after the cut
// over the target is the device, and its restart the controller's to
// see), or an abort is past its undo of the moves.
func (m *Machine) TargetRestarted() bool {
	st := &m.st
	switch {
	case st.Step == Done || st.Step == Aborted:
		return false
	case st.Aborting && (st.Step == Detach || st.Step == Clear):
		return false
	case st.Step <= Pipeline:
		st.Failed = ""
		return true
	}
	m.reseed(Pipeline)
	return true
}

// SourceRestarted records that the source restarted: its state is gone,
// the controller's to set up again (the proxy passes the restart
// through; the target kept every write). The migration stops, saying why;
// a Retry brings the target in line with the source as the controller
// rebuilt it — the mirror records writes again, a new clone (what the
// source lacks now is removed), catch-up, verify — and goes on; an Abort
// moves the hosts back once it did. It reports false when the migration
// ended, or had not set the mirror up yet.
func (m *Machine) SourceRestarted(why string) bool {
	st := &m.st
	if st.Step == Done || st.Step == Aborted || st.Step <= Mirror ||
		st.Aborting && (st.Step == Detach || st.Step == Clear) {
		return false
	}
	m.reseed(Mirror)
	st.Failed = why
	return true
}

// reseed rewinds to step from (the target's pipeline, or the mirror),
// keeping the moved hosts and the move that may have stopped halfway.
func (m *Machine) reseed(from Step) {
	st := &m.st
	if st.ResumedFrom == StepNone {
		st.ResumedFrom = st.Step
	}
	st.Step, st.Failed = from, ""
	st.Reseeds++
}
