package plan

import (
	"errors"
	"fmt"
	"slices"

	"github.com/lime-p4/lime/migrator/migrate"
)

// Phase is where a plan stands.
type Phase uint8

// The phases, in order; an abort goes through MoveBack, FabricDown and
// Undo to Aborted.
const (
	PhaseNone Phase = iota
	// Validate every device; nothing is written anywhere until every
	// device passes.
	PhaseValidate
	// Prepare every device: pipeline, mirror, clone, catch-up, verify.
	PhasePrepare
	// Fabric: the new switches' link ports and the trunks up.
	PhaseFabric
	// Hosts: the host groups move, in order.
	PhaseHosts
	// CutOver every device, once every host has moved.
	PhaseCutOver
	// Teardown: the old switches' link ports and the trunks down.
	PhaseTeardown
	// Done: the network runs on the new switches.
	PhaseDone
	// MoveBack: an abort brings the hosts back, newest group first.
	PhaseMoveBack
	// FabricDown: an abort takes the new fabric down.
	PhaseFabricDown
	// Undo: an abort stops every device's dual-write and clears its target.
	PhaseUndo
	// Aborted: the plan was undone.
	PhaseAborted
)

var phaseNames = [...]string{PhaseNone: "none", PhaseValidate: "validate", PhasePrepare: "prepare", PhaseFabric: "fabric",
	PhaseHosts: "hosts", PhaseCutOver: "cut-over", PhaseTeardown: "teardown", PhaseDone: "done",
	PhaseMoveBack: "move-back", PhaseFabricDown: "fabric-down", PhaseUndo: "undo", PhaseAborted: "aborted"}

func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return fmt.Sprintf("phase(%d)", p)
}

// MarshalText writes phases by name in the journal and in JSON.
func (p Phase) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads a phase name.
func (p *Phase) UnmarshalText(b []byte) error {
	for i, n := range phaseNames {
		if n == string(b) {
			*p = Phase(i)
			return nil
		}
	}
	return fmt.Errorf("unknown plan phase %q", b)
}

// Fabric is a step of a device's part of the fabrics, which only a plan
// takes: its link ports and its trunk.
type Fabric uint8

const (
	FabricNone Fabric = iota
	// FabricUp: the target's link ports and both ends of the trunk up.
	FabricUp
	// FabricTeardown: the source's link ports and both ends of the trunk
	// down (after every device cut over).
	FabricTeardown
	// FabricDown: an abort takes the target's link ports and both ends of
	// the trunk down.
	FabricDown
)

var fabricNames = [...]string{FabricNone: "none", FabricUp: "fabric-up", FabricTeardown: "teardown", FabricDown: "fabric-down"}

func (f Fabric) String() string {
	if int(f) < len(fabricNames) {
		return fabricNames[f]
	}
	return fmt.Sprintf("fabric(%d)", f)
}

// Task is one thing to do on one device: a step of its migration, or of
// its part of the fabric.
type Task struct {
	Device uint64
	Action migrate.Action // when Fabric is FabricNone
	Fabric Fabric
}

func (t Task) String() string {
	if t.Fabric != FabricNone {
		return fmt.Sprintf("device %d: %v", t.Device, t.Fabric)
	}
	return fmt.Sprintf("device %d: %v", t.Device, t.Action)
}

// State is where a plan stands; the journal keeps it.
type State struct {
	Phase Phase `json:"phase"`
	// Group is the host group moving (Hosts) or moving back (MoveBack),
	// from 0.
	Group    int           `json:"group"`
	Devices  []DeviceState `json:"devices"`
	Aborting bool          `json:"aborting,omitempty"`
	// Paused is the group (from 1) after which the plan waits, as told
	// (Plan.PauseAfter); 0 when it does not. Passed is the last such pause
	// it went on from.
	Paused int `json:"paused,omitempty"`
	Passed int `json:"passed,omitempty"`
}

// DeviceState is where one device of a plan stands.
type DeviceState struct {
	Device    uint64        `json:"device"`
	Migration migrate.State `json:"migration"`
	// FabricUp: its target's link ports and its trunk are up.
	FabricUp bool `json:"fabric_up,omitempty"`
	// FabricTouched: a fabric-up ran, perhaps partly (it failed): an abort
	// takes the fabric down.
	FabricTouched bool `json:"fabric_touched,omitempty"`
	// TornDown: its source's link ports and its trunk are down.
	TornDown bool `json:"torn_down,omitempty"`
	// Failed is why its fabric step failed ("" while it runs); its
	// migration's own failure is in Migration.
	Failed string `json:"failed,omitempty"`
}

// Failure is why the device stopped, "" when it did not.
func (d *DeviceState) Failure() string {
	if d.Failed != "" {
		return d.Failed
	}
	return d.Migration.Failed
}

// Machine decides a plan's tasks. It does no I/O. Tasks run concurrently:
// Next hands out every task that may start now (within the plan's bound)
// and counts them as running until Done or Stopped reports them.
type Machine struct {
	st       State
	groups   []Group
	pauses   []int
	parallel int
	devs     []*migrate.Machine
	running  map[Task]bool
}

// NewMachine starts plan p (validated).
func NewMachine(p *Plan) *Machine {
	m := &Machine{st: State{Phase: PhaseValidate}}
	m.configure(p)
	for _, d := range p.Devices {
		dm := migrate.New(p.HostOrder(d.VID))
		m.devs = append(m.devs, dm)
		m.st.Devices = append(m.st.Devices, DeviceState{Device: d.VID, Migration: dm.State()})
	}
	return m
}

// RestoreMachine continues plan p from its journalled state st, after the
// proxy stopped (see Resume).
func RestoreMachine(p *Plan, st State) (*Machine, error) {
	if len(st.Devices) != len(p.Devices) {
		return nil, fmt.Errorf("plan: the journal holds %d devices, the plan %d", len(st.Devices), len(p.Devices))
	}
	m := &Machine{st: st}
	m.st.Devices = slices.Clone(st.Devices)
	m.configure(p)
	for i, d := range p.Devices {
		if st.Devices[i].Device != d.VID {
			return nil, fmt.Errorf("plan: the journal's device %d is the plan's device %d", st.Devices[i].Device, d.VID)
		}
		m.devs = append(m.devs, migrate.Restore(st.Devices[i].Migration))
	}
	return m, nil
}

func (m *Machine) configure(p *Plan) {
	m.groups, m.pauses, m.parallel, m.running = p.Groups, p.PauseAfter, p.Parallel, map[Task]bool{}
	if m.parallel <= 0 {
		m.parallel = DefaultParallel
	}
}

// State is where the plan stands.
func (m *Machine) State() State {
	st := m.st
	st.Devices = slices.Clone(m.st.Devices)
	for i, d := range m.devs {
		st.Devices[i].Migration = d.State()
	}
	return st
}

// Running lists the tasks handed out and not reported yet.
func (m *Machine) Running() []Task {
	var out []Task
	for t := range m.running {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b Task) int { return compareTasks(a, b) })
	return out
}

func compareTasks(a, b Task) int {
	switch {
	case a.Device != b.Device:
		if a.Device < b.Device {
			return -1
		}
		return 1
	case a.String() < b.String():
		return -1
	case a.String() > b.String():
		return 1
	}
	return 0
}

// Failed lists the devices that stopped on a failure, with why.
func (m *Machine) Failed() map[uint64]string {
	out := map[uint64]string{}
	for i, d := range m.devs {
		ds := m.st.Devices[i]
		ds.Migration = d.State()
		if f := ds.Failure(); f != "" {
			out[ds.Device] = f
		}
	}
	return out
}

// Over reports whether the plan ended: done, or aborted.
func (m *Machine) Over() bool { return m.st.Phase == PhaseDone || m.st.Phase == PhaseAborted }

// Next hands out the tasks that may start now, in plan order, at most as
// many as the bound leaves. Once a task failed or the plan paused, it waits
// for Retry or Abort while what runs finishes; only a device whose target
// carries traffic (its hosts moved, or the new fabric is up) and whose
// mirror came back after a restart goes on catching up (until it does, the
// controller's writes reach its target late).
func (m *Machine) Next() []Task {
	held := len(m.Failed()) > 0 || m.st.Paused != 0
	var out []Task
	for _, t := range m.ready() {
		if held && !m.catchingUp(t) {
			continue
		}
		if len(m.running) >= m.parallel {
			break
		}
		if m.running[t] {
			continue
		}
		m.running[t] = true
		out = append(out, t)
	}
	return out
}

// Take hands out task t alone, when the plan allows it now: a restarted
// proxy attaches again, before it serves, the mirrors of the devices whose
// hosts moved (their source reads otherwise than the controller wrote
// until then).
func (m *Machine) Take(t Task) bool {
	if m.running[t] || len(m.Failed()) > 0 {
		return false
	}
	if slices.Contains(m.ready(), t) {
		m.running[t] = true
		return true
	}
	return false
}

// ready lists the tasks the phase allows, running ones included.
func (m *Machine) ready() []Task {
	var out []Task
	for i, dm := range m.devs {
		ds := &m.st.Devices[i]
		vid := ds.Device
		a, ok := dm.Next()
		step := migrate.StepNone
		if ok {
			step = a.Step
		}
		mig := Task{Device: vid, Action: a}
		switch m.st.Phase {
		case PhaseValidate:
			if step == migrate.Validate {
				out = append(out, mig)
			}
		case PhasePrepare, PhaseFabric, PhaseHosts, PhaseCutOver:
			switch {
			case preparing(step):
				// In any phase: a restarted proxy prepares its devices again.
				out = append(out, mig)
			case m.st.Phase == PhaseFabric && !ds.FabricUp && prepared(step):
				out = append(out, Task{Device: vid, Fabric: FabricUp})
			case m.st.Phase == PhaseHosts && step == migrate.MoveHost && m.inGroup(Ref{vid, a.Port}):
				out = append(out, mig)
			case m.st.Phase == PhaseCutOver && step == migrate.CutOver:
				out = append(out, mig)
			}
		case PhaseTeardown:
			if !ds.TornDown {
				out = append(out, Task{Device: vid, Fabric: FabricTeardown})
			}
		case PhaseMoveBack:
			switch {
			case step >= migrate.Pipeline && step <= migrate.CatchUp:
				// A resumed abort, or a target set up again after it
				// restarted: the mirror comes back first.
				out = append(out, mig)
			case step == migrate.MoveBack && m.inGroup(Ref{vid, a.Port}):
				out = append(out, mig)
			}
		case PhaseFabricDown:
			if ds.FabricUp || ds.FabricTouched {
				out = append(out, Task{Device: vid, Fabric: FabricDown})
			}
		case PhaseUndo:
			if step == migrate.Detach || step == migrate.Clear {
				out = append(out, mig)
			}
		}
	}
	return out
}

// catchingUp: t brings in line the target of a device that carries
// traffic: its hosts moved, or the new fabric is up (the other devices'
// moved hosts reach the old network through it).
func (m *Machine) catchingUp(t Task) bool {
	i := m.index(t.Device)
	if t.Fabric != FabricNone || !preparing(t.Action.Step) || i < 0 {
		return false
	}
	st := m.devs[i].State()
	return st.Failed == "" && (len(st.Moved) > 0 || m.st.Devices[i].FabricUp)
}

// preparing: the steps that bring a device's target in line with its
// source.
func preparing(s migrate.Step) bool { return s >= migrate.Pipeline && s <= migrate.Verify }

// prepared: the device's target is in line with its source (or the device
// is cut over).
func prepared(s migrate.Step) bool {
	return s == migrate.MoveHost || s == migrate.CutOver || s == migrate.StepNone
}

func (m *Machine) inGroup(r Ref) bool {
	g := m.st.Group
	return g >= 0 && g < len(m.groups) && slices.Contains(m.groups[g], r)
}

func (m *Machine) index(vid uint64) int {
	for i := range m.st.Devices {
		if m.st.Devices[i].Device == vid {
			return i
		}
	}
	return -1
}

// Done records the outcome of a task Next handed out: err nil when it
// succeeded.
func (m *Machine) Done(t Task, err error) error {
	if !m.running[t] {
		return fmt.Errorf("plan: %v reported, but it was not running", t)
	}
	delete(m.running, t)
	i := m.index(t.Device)
	ds, dm := &m.st.Devices[i], m.devs[i]
	if t.Fabric == FabricUp {
		ds.FabricTouched = true
	}
	switch {
	case t.Fabric != FabricNone && err != nil:
		ds.Failed = fmt.Sprintf("%v: %v", t.Fabric, err)
	case t.Fabric == FabricUp:
		ds.FabricUp = true
	case t.Fabric == FabricDown:
		ds.FabricUp, ds.FabricTouched = false, false
	case t.Fabric == FabricTeardown:
		ds.TornDown = true
	case err != nil:
		if re := (*migrate.RestartError)(nil); errors.As(err, &re) && re.Apply(dm) {
			break // the device sets its target up again, or stops saying why
		}
		if merr := dm.Failed(t.Action, err); merr != nil {
			return merr
		}
	default:
		if merr := dm.Succeeded(t.Action); merr != nil {
			return merr
		}
	}
	m.advance()
	return nil
}

// Stopped records that a task handed out did not run to its end (the
// driver was stopped): it runs again later.
func (m *Machine) Stopped(t Task) { delete(m.running, t) }

// advance moves to the next phase while the current one is complete.
func (m *Machine) advance() {
	for {
		next := m.st.Phase
		switch m.st.Phase {
		case PhaseValidate:
			if m.all(func(s migrate.Step, _ *DeviceState) bool { return s != migrate.Validate }) && len(m.Failed()) == 0 {
				next = PhasePrepare
			}
		case PhasePrepare:
			if m.all(func(s migrate.Step, _ *DeviceState) bool { return prepared(s) }) {
				next = PhaseFabric
			}
		case PhaseFabric:
			if m.all(func(_ migrate.Step, d *DeviceState) bool { return d.FabricUp }) {
				next, m.st.Group = PhaseHosts, 0
			}
		case PhaseHosts:
			for m.st.Group < len(m.groups) && m.groupMoved(m.st.Group) && m.st.Paused == 0 {
				if g := m.st.Group + 1; slices.Contains(m.pauses, g) && m.st.Passed < g {
					m.st.Paused = g // as told: the operator looks, then goes on
					break
				}
				m.st.Group++
			}
			if m.st.Group >= len(m.groups) {
				next = PhaseCutOver
			}
		case PhaseCutOver:
			if m.all(func(s migrate.Step, _ *DeviceState) bool { return s == migrate.StepNone }) {
				next = PhaseTeardown
			}
		case PhaseTeardown:
			if m.all(func(_ migrate.Step, d *DeviceState) bool { return d.TornDown }) {
				next = PhaseDone
			}
		case PhaseMoveBack:
			for m.st.Group >= 0 && !m.groupHasMoved(m.st.Group) {
				m.st.Group--
			}
			if m.st.Group < 0 {
				next, m.st.Group = PhaseFabricDown, 0
			}
		case PhaseFabricDown:
			if m.all(func(_ migrate.Step, d *DeviceState) bool { return !d.FabricUp && !d.FabricTouched }) {
				next = PhaseUndo
			}
		case PhaseUndo:
			if m.all(func(s migrate.Step, _ *DeviceState) bool { return s == migrate.StepNone }) {
				next = PhaseAborted
			}
		}
		if next == m.st.Phase {
			return
		}
		m.st.Phase = next
	}
}

// all reports whether f holds for every device (s: the step it would run
// next, StepNone when it ended).
func (m *Machine) all(f func(s migrate.Step, d *DeviceState) bool) bool {
	for i, dm := range m.devs {
		st := dm.State()
		s := st.Step
		if st.Step == migrate.Done || st.Step == migrate.Aborted {
			s = migrate.StepNone
		}
		if !f(s, &m.st.Devices[i]) {
			return false
		}
	}
	return true
}

// groupMoved: every host of group g is on its target.
func (m *Machine) groupMoved(g int) bool {
	for _, r := range m.groups[g] {
		if !slices.Contains(m.devs[m.index(r.Device)].State().Moved, r.Port) {
			return false
		}
	}
	return true
}

// groupHasMoved: some host of group g is on its target.
func (m *Machine) groupHasMoved(g int) bool {
	for _, r := range m.groups[g] {
		if slices.Contains(m.devs[m.index(r.Device)].State().Moved, r.Port) {
			return true
		}
	}
	return false
}

// Retry runs the failed tasks again, or goes on from a pause.
func (m *Machine) Retry() error {
	if len(m.running) > 0 {
		return fmt.Errorf("plan: tasks %v are running: stop them first", m.Running())
	}
	failed := m.Failed()
	if len(failed) == 0 && m.st.Paused != 0 {
		m.st.Passed, m.st.Paused = m.st.Paused, 0
		m.advance()
		return nil
	}
	if len(failed) == 0 {
		return fmt.Errorf("plan: nothing failed to retry (at %v)", m.st.Phase)
	}
	for i, dm := range m.devs {
		ds := &m.st.Devices[i]
		ds.Failed = ""
		if dm.State().Failed == "" {
			continue
		}
		var err error
		if m.st.Aborting {
			err = dm.Abort() // runs the failed undo step again
		} else {
			err = dm.Retry()
		}
		if err != nil {
			return err
		}
	}
	m.advance()
	return nil
}

// Abort undoes the plan: the hosts come back to the old network, newest
// group first (each make before break), the new fabric goes down, and
// every device's dual-write stops and its target is cleared. A plan that
// cut over any device cannot be aborted (it goes forward: Retry). Asked
// again while an undo task failed, it retries that task.
func (m *Machine) Abort() error {
	if len(m.running) > 0 {
		return fmt.Errorf("plan: tasks %v are running: stop them first", m.Running())
	}
	var cut []uint64
	for i, dm := range m.devs {
		if dm.State().Step == migrate.Done {
			cut = append(cut, m.st.Devices[i].Device)
		}
	}
	switch {
	case m.st.Phase == PhaseAborted:
		return nil
	case len(cut) > 0 || m.st.Phase == PhaseDone || m.st.Phase == PhaseTeardown:
		return fmt.Errorf("plan: devices %v cut over already: the plan can only go forward (retry)", cut)
	case m.st.Aborting:
		for i := range m.st.Devices {
			m.st.Devices[i].Failed = ""
		}
		for _, dm := range m.devs {
			if dm.State().Failed != "" {
				if err := dm.Abort(); err != nil {
					return err
				}
			}
		}
		m.advance()
		return nil
	}
	m.st.Aborting, m.st.Paused = true, 0
	for i, dm := range m.devs {
		m.st.Devices[i].Failed = ""
		if m.st.Phase == PhaseValidate {
			// Nothing was written anywhere: a device that passed waits for
			// its pipeline step, which did not run.
			st := dm.State()
			st.Step, st.Aborting, st.Failed = migrate.Aborted, true, ""
			m.devs[i] = migrate.Restore(st)
			continue
		}
		if err := dm.Abort(); err != nil {
			return err
		}
	}
	m.st.Phase, m.st.Group = PhaseMoveBack, len(m.groups)-1
	m.advance()
	return nil
}

// Resume is what a restarted proxy does with a journalled plan: nothing
// runs any more, and every device resumes as a migration of its own does
// (migrate.Machine.Resume: a device between mirror and cut over attaches
// its mirror again, with its moved hosts, clones and catches up), within
// the phase the plan stood in.
func (m *Machine) Resume() {
	m.running = map[Task]bool{}
	for _, dm := range m.devs {
		dm.Resume()
	}
	m.advance()
}

// Device is device vid's machine (nil when vid is not in the plan); a
// driver reads its state, and must not step it.
func (m *Machine) Device(vid uint64) *migrate.Machine {
	if i := m.index(vid); i >= 0 {
		return m.devs[i]
	}
	return nil
}
