package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lime-p4/lime/internal/failpoint"
	"github.com/lime-p4/lime/migrator/clone"
	"github.com/lime-p4/lime/migrator/migrate"
	"github.com/lime-p4/lime/migrator/plan"
)

// planRun is the proxy's network migration: a plan's machine, driven over
// one migrate.Driver per device.
type planRun struct {
	plan    *plan.Plan
	m       *plan.Machine // touched only by the driver, or while it is stopped
	devices map[uint64]*run
	journal *migrate.BoltJournal // nil: in memory
	// ctl serialises what starts, stops or changes the machine: Start,
	// a retry, an abort.
	ctl sync.Mutex
	// restored: taken up from the journal, to be started (Start); under ctl
	// once the admin API serves.
	restored bool

	mu      sync.Mutex
	state   plan.State
	running map[plan.Task]started // what runs
	history []TaskRecord
	started time.Time
	active  bool
	err     string
	cancel  context.CancelFunc
	done    chan struct{}
}

// started is when a task started, in which phase of the plan.
type started struct {
	at    time.Time
	phase plan.Phase
}

// TaskRecord is one task a plan ran.
type TaskRecord struct {
	Device uint64        `json:"device"`
	Task   string        `json:"task"`
	Phase  string        `json:"phase"` // the plan's, when it started
	Start  time.Time     `json:"start"`
	Took   time.Duration `json:"took_ns"`
	Error  string        `json:"error,omitempty"`
}

// specOf is a plan device's migration, as lime migrate asks for one.
func specOf(p *plan.Plan, d plan.Device) Spec {
	s := Spec{Device: d.VID, Target: Endpoint{Addr: d.To.Addr, DeviceID: d.To.DeviceID, Thrift: d.To.Thrift, GNMI: d.To.GNMI},
		SourceGNMI: d.From.GNMI, SourceThrift: d.From.Thrift, PortMap: d.PortMap(), Hosts: p.HostOrder(d.VID),
		Trunk: d.Trunk, Force: d.Force, Settle: p.Settle.Duration()}
	if c := d.PipelineConfig; c != nil {
		s.Pipeline = &Pipeline{P4Info: c.P4Info, DeviceConfig: c.DeviceConfig}
	}
	return s
}

// MigratePlan starts network migration p (with its pipelines loaded:
// Device.PipelineConfig). It checks the plan whole against what the proxy
// stands for, reaches every device's target and returns; the tasks run in
// the background (see PlanStatus). Nothing is written to any switch before
// every device passed its validation.
func (s *Service) MigratePlan(ctx context.Context, p *plan.Plan) error {
	if err := p.Validate(); err != nil {
		return err
	}
	vids := make([]uint64, len(p.Devices))
	for i, d := range p.Devices {
		vids[i] = d.VID
	}
	if err := s.claim(p, vids); err != nil {
		return err
	}
	defer s.unclaim(vids)
	if err := s.checkPlan(p); err != nil {
		return err
	}
	pr := &planRun{plan: p, devices: map[uint64]*run{}, journal: s.opts.Journal, running: map[plan.Task]started{}}
	for _, d := range p.Devices {
		r, err := s.prepare(ctx, specOf(p, d))
		if err != nil {
			pr.close(false)
			return fmt.Errorf("%s: %w", p.Where(d.Lines.To), err)
		}
		s.inPlan(pr, d, r)
	}
	pr.m = plan.NewMachine(p)
	pr.state = pr.m.State()
	if pr.journal != nil {
		var recs []migrate.Record
		for _, d := range p.Devices {
			spec, err := json.Marshal(specOf(p, d))
			if err != nil {
				pr.close(false)
				return err
			}
			recs = append(recs, migrate.Record{Device: d.VID, Spec: spec, State: pr.m.Device(d.VID).State()})
		}
		if err := pr.journal.StartPlan(p, pr.state, recs); err != nil {
			pr.close(false)
			return err
		}
	}
	s.mu.Lock()
	s.plan = pr
	for vid, r := range pr.devices {
		s.runs[vid] = r
	}
	s.mu.Unlock()
	s.startPlan(pr)
	return nil
}

// claim marks the plan's devices as being set up, refusing a device with a
// migration that has not ended and a plan while another runs.
func (s *Service) claim(p *plan.Plan, vids []uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pr := s.plan; pr != nil && !pr.over() {
		return fmt.Errorf("%w: the plan %s stands at %v (lime abort --plan, or --retry)", ErrBusy, pr.plan.File, pr.phase())
	}
	for i, vid := range vids {
		at := p.Where(p.Devices[i].Lines.Device)
		if s.preparing[vid] {
			return fmt.Errorf("%s: device %d: %w (it is being set up)", at, vid, ErrBusy)
		}
		if r := s.runs[vid]; r != nil {
			r.mu.Lock()
			st := r.state
			r.mu.Unlock()
			if st.Step != migrate.Done && st.Step != migrate.Aborted {
				return fmt.Errorf("%s: device %d: %w (it stands at %v)", at, vid, ErrBusy, st.Step)
			}
		}
	}
	for _, vid := range vids {
		s.preparing[vid] = true
	}
	return nil
}

func (s *Service) unclaim(vids []uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, vid := range vids {
		delete(s.preparing, vid)
	}
}

// checkPlan refuses, before any switch is reached, a plan that names a
// device the proxy does not stand for, one migrated already, or a target
// that is the switch of a device of the proxy.
func (s *Service) checkPlan(p *plan.Plan) error {
	var probs []string
	switches := map[string]uint64{}
	var stands []uint64
	for _, d := range s.proxy.Devices() {
		switches[d.Authoritative().Name] = d.ID()
		stands = append(stands, d.ID())
	}
	for _, d := range p.Devices {
		at := p.Where(d.Lines.Device)
		dev := s.proxy.Device(d.VID)
		switch {
		case dev == nil:
			probs = append(probs, fmt.Sprintf("%s: device %d: the proxy stands for no device %d (it stands for %v)", at, d.VID, d.VID, stands))
			continue
		case dev.Migrated():
			probs = append(probs, fmt.Sprintf("%s: device %d was migrated onto %s already; a migration starts from the switch the controllers first knew", at, d.VID, dev.Authoritative().Name))
		}
		if o, ok := switches[d.To.Addr]; ok && !(o == d.VID && dev.Migrated()) {
			probs = append(probs, fmt.Sprintf("%s: device %d: the target %s is the switch of device %d", p.Where(d.Lines.To), d.VID, d.To.Addr, o))
		}
	}
	if len(probs) > 0 {
		return &plan.InvalidError{Problems: probs}
	}
	return nil
}

// inPlan makes r, prepared for device d, the plan's.
func (s *Service) inPlan(pr *planRun, d plan.Device, r *run) {
	r.plan = pr
	r.drv.InPlan, r.drv.Links = true, d.LinkPorts()
	r.drv.Progress = nil // the plan reports its tasks
	r.drv.ThriftHint = func(side string) string {
		key := "to"
		if side == "source" {
			key = "from"
		}
		return fmt.Sprintf("device %d of the plan: %s: {thrift: HOST:PORT}; lime abort --plan, then migrate it again", d.VID, key)
	}
	pr.devices[d.VID] = r
}

// planRunner runs a plan's tasks over its devices' drivers.
type planRunner struct{ pr *planRun }

func (x planRunner) Run(ctx context.Context, t plan.Task, st migrate.State) error {
	failpoint.Hit("before " + t.String())
	err := x.run(ctx, t, st)
	failpoint.Hit("after " + t.String()) // before the journal knows
	return err
}

func (x planRunner) run(ctx context.Context, t plan.Task, st migrate.State) error {
	r := x.pr.devices[t.Device]
	switch t.Fabric {
	case plan.FabricUp:
		return r.drv.FabricUp(ctx)
	case plan.FabricDown:
		return r.drv.FabricDown(ctx)
	case plan.FabricTeardown:
		return r.drv.Teardown(ctx)
	}
	// A switch that restarted since the target was set up: the plan's
	// machine takes the device back (see migrate.RestartError).
	if err := r.drv.Restarted(); err != nil {
		return err
	}
	err := r.drv.Do(ctx, t.Action, st)
	if err != nil && ctx.Err() == nil {
		err = r.drv.FailedByRestart(ctx, err)
	}
	if err != nil && t.Action.Step == migrate.Validate {
		// Name the plan's line to fix.
		p := x.pr.plan
		d := p.Device(t.Device)
		line := d.Lines.Device
		if errors.Is(err, clone.ErrUntranslatable) {
			line = d.Lines.Ports
		}
		err = fmt.Errorf("%s: %w", p.Where(line), err)
	}
	return err
}

// planJournal keeps the plan's state, and its devices', in one transaction.
type planJournal struct{ pr *planRun }

func (x planJournal) Save(st plan.State) error {
	if x.pr.journal == nil {
		return nil
	}
	devs := map[uint64]migrate.State{}
	for _, d := range st.Devices {
		devs[d.Device] = d.Migration
	}
	return x.pr.journal.SavePlan(st, devs)
}

// startPlan runs the plan's driver in the background.
func (s *Service) startPlan(pr *planRun) {
	ctx, cancel := context.WithCancel(context.Background())
	pr.mu.Lock()
	pr.active, pr.err, pr.cancel, pr.done = true, "", cancel, make(chan struct{})
	if pr.started.IsZero() {
		pr.started = time.Now()
	}
	pr.mu.Unlock()
	drv := &plan.Driver{Runner: planRunner{pr}, Journal: planJournal{pr}, Log: s.opts.Log, Events: pr.event}
	go func() {
		err := drv.Run(ctx, pr.m)
		st := pr.m.State()
		pr.mu.Lock()
		pr.active, pr.state = false, st
		if err != nil && ctx.Err() == nil {
			pr.err = err.Error()
		}
		close(pr.done)
		pr.mu.Unlock()
		switch st.Phase {
		case plan.PhaseDone:
			pr.close(true) // the targets are the devices now
		case plan.PhaseAborted:
			pr.close(false)
		}
		cancel()
	}()
}

// event keeps the plan's and its devices' status as tasks start and end.
func (pr *planRun) event(e plan.Event) {
	r := pr.devices[e.Task.Device]
	name := taskName(e.Task)
	pr.mu.Lock()
	pr.state = e.State
	if e.Start {
		pr.running[e.Task] = started{at: time.Now(), phase: e.State.Phase}
	} else {
		s := pr.running[e.Task]
		rec := TaskRecord{Device: e.Task.Device, Task: name, Phase: s.phase.String(), Start: s.at, Took: e.Took}
		if e.Err != nil {
			rec.Error = e.Err.Error()
		}
		delete(pr.running, e.Task)
		pr.history = append(pr.history, rec)
	}
	pr.mu.Unlock()
	r.mu.Lock()
	for _, d := range e.State.Devices {
		if d.Device == e.Task.Device {
			r.state = d.Migration
		}
	}
	if e.Start {
		r.step, r.started = name, time.Now()
	} else {
		rec := StepRecord{Action: name, Took: e.Took}
		if e.Err != nil {
			rec.Error = e.Err.Error()
		}
		r.history, r.step = append(r.history, rec), ""
	}
	r.mu.Unlock()
}

// taskName is a task without its device: "clone", "move-host 1", "fabric-up".
func taskName(t plan.Task) string {
	if t.Fabric != plan.FabricNone {
		return t.Fabric.String()
	}
	return t.Action.String()
}

// stop cancels the plan's driver and waits for it.
func (pr *planRun) stop() {
	pr.mu.Lock()
	active, cancel, done := pr.active, pr.cancel, pr.done
	pr.mu.Unlock()
	if active {
		cancel()
		<-done
	}
	pr.mu.Lock()
	pr.running = map[plan.Task]started{}
	pr.mu.Unlock()
}

func (pr *planRun) over() bool {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.state.Phase == plan.PhaseDone || pr.state.Phase == plan.PhaseAborted
}

func (pr *planRun) phase() plan.Phase {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.state.Phase
}

// close releases what the plan's devices hold; keepDevices leaves what the
// devices use once cut over.
func (pr *planRun) close(keepDevices bool) {
	for _, r := range pr.devices {
		r.close(keepDevices)
	}
}

// ErrNoPlan: the proxy runs no network migration.
var ErrNoPlan = errors.New("no plan was started")

func (s *Service) currentPlan() (*planRun, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.plan == nil {
		return nil, ErrNoPlan
	}
	return s.plan, nil
}

// AbortPlan undoes the network migration (no device of it may have cut
// over): every host back on the old network, newest group first, the new
// fabric down, every device's dual-write stopped and target cleared.
// Asked again while an undo task failed, it retries it.
func (s *Service) AbortPlan() error { return s.changePlan((*plan.Machine).Abort) }

// RetryPlan runs the plan's failed tasks again.
func (s *Service) RetryPlan() error { return s.changePlan((*plan.Machine).Retry) }

func (s *Service) changePlan(f func(*plan.Machine) error) error {
	pr, err := s.currentPlan()
	if err != nil {
		return err
	}
	pr.ctl.Lock()
	defer pr.ctl.Unlock()
	pr.restored = false // what follows starts it
	pr.stop()
	if err := f(pr.m); err != nil {
		if !pr.m.Over() {
			s.startPlan(pr) // as it stood
		}
		return err
	}
	st := pr.m.State()
	if err := (planJournal{pr}).Save(st); err != nil {
		return err
	}
	pr.mu.Lock()
	pr.state = st
	pr.mu.Unlock()
	for _, d := range st.Devices {
		r := pr.devices[d.Device]
		r.mu.Lock()
		r.state = d.Migration
		r.mu.Unlock()
	}
	s.startPlan(pr)
	return nil
}

// restorePlan takes up the journalled plan that had not ended (Restore),
// and returns its devices, which do not resume alone.
func (s *Service) restorePlan(ctx context.Context) (map[uint64]bool, error) {
	rec, ok, err := s.opts.Journal.Plan()
	if err != nil || !ok {
		return nil, err
	}
	var p plan.Plan
	var st plan.State
	if err := json.Unmarshal(rec.Plan, &p); err != nil {
		return nil, fmt.Errorf("journal: plan: %w", err)
	}
	if err := json.Unmarshal(rec.State, &st); err != nil {
		return nil, fmt.Errorf("journal: plan state: %w", err)
	}
	if st.Phase == plan.PhaseDone || st.Phase == plan.PhaseAborted {
		return nil, nil
	}
	inPlan := map[uint64]bool{}
	for _, d := range p.Devices {
		inPlan[d.VID] = true
	}
	for i, ds := range st.Devices {
		rec, _, err := s.opts.Journal.Get(ds.Device)
		if err != nil {
			return inPlan, err
		}
		st.Devices[i].Migration = cutOverKept(ds.Migration, rec)
	}
	m, err := plan.RestoreMachine(&p, st)
	if err != nil {
		return inPlan, err
	}
	m.Resume()
	pr := &planRun{plan: &p, m: m, devices: map[uint64]*run{}, journal: s.opts.Journal, running: map[plan.Task]started{},
		restored: true, started: rec.Started, state: m.State()}
	var errs []error
	for _, d := range p.Devices {
		prepare := s.prepare
		if m.Device(d.VID).State().Step == migrate.Done {
			prepare = s.prepareCutOver // its fabric's tasks are left
		}
		r, err := prepare(ctx, specOf(&p, d))
		if err != nil {
			s.hold(d.VID, m.Device(d.VID).State().Moved, d.To.Addr, err)
			errs = append(errs, fmt.Errorf("plan %s: device %d: %w", p.File, d.VID, err))
			continue
		}
		s.inPlan(pr, d, r)
		r.state = m.Device(d.VID).State()
	}
	if len(errs) > 0 {
		pr.close(false)
		pr.err = errors.Join(errs...).Error()
		pr.restored = false
		s.mu.Lock()
		s.plan = pr
		s.mu.Unlock()
		return inPlan, errors.Join(errs...)
	}
	s.mu.Lock()
	s.plan = pr
	for vid, r := range pr.devices {
		s.runs[vid] = r
	}
	s.mu.Unlock()
	// The mirrors of devices whose hosts moved come back before the proxy
	// serves.
	for _, d := range p.Devices {
		st := m.Device(d.VID).State()
		t := plan.Task{Device: d.VID, Action: migrate.Action{Step: migrate.Mirror}}
		if len(st.Moved) == 0 || !m.Take(t) {
			continue
		}
		s.hold(d.VID, st.Moved, d.To.Addr, errors.New("attaching it again"))
		start := time.Now()
		pr.event(plan.Event{Task: t, Start: true, State: m.State()})
		err := planRunner{pr}.Run(ctx, t, st)
		if derr := m.Done(t, err); derr != nil {
			errs = append(errs, derr)
		}
		if jerr := (planJournal{pr}).Save(m.State()); jerr != nil {
			errs = append(errs, jerr)
		}
		pr.event(plan.Event{Task: t, Took: time.Since(start), Err: err, State: m.State()})
		if err != nil {
			s.hold(d.VID, st.Moved, d.To.Addr, err)
			errs = append(errs, fmt.Errorf("plan %s: device %d: %w", p.File, d.VID, err))
		}
	}
	return inPlan, errors.Join(errs...)
}
