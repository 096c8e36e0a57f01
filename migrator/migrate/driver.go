package migrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lime-p4/lime/internal/failpoint"
	"github.com/lime-p4/lime/migrator/clone"
	"github.com/lime-p4/lime/migrator/diff"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/migrator/snapshot"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/translate"
)

// PortSwitch turns a device's ports on and off (gNMI config/enabled on a
// Stratum switch or the simulator, lime's agent for bmv2).
type PortSwitch interface {
	SetEnabled(ctx context.Context, port uint64, enabled bool) error
}

// Journal keeps a migration's state across restarts of the migrator.
type Journal interface {
	Save(device uint64, st State) error
}

// CutOverSaver is a Journal that also keeps what a device holds from its
// source once cut over (the proxy's CutOverState), so that a restarted
// proxy stands for the device on its new switch.
type CutOverSaver interface {
	SaveCutOver(device uint64, v any) error
}

// OffsetSaver is a Journal that also keeps the counts a device holds from
// a mirror an abort detached (the proxy's Offsets), so that a restarted
// proxy adds them still.
type OffsetSaver interface {
	SaveOffsets(device uint64, v any) error
}

// Driver runs one migration's actions against the proxy and the devices.
// Fields left nil are not used: without port switches the hosts are
// assumed to move by other means (the driver only rewrites the state);
// without register readers and writers registers travel over P4Runtime.
type Driver struct {
	Device *proxy.Device
	Target *proxy.Backend
	Ports  proxy.Ports
	// Pipeline is the target's own compilation of the program (P4Info and
	// device config), set on it with the source's cookie; nil when the
	// target runs the program already.
	Pipeline *p4v1.ForwardingPipelineConfig
	// Force allows a target that holds state already.
	Force bool
	// SourceReader and TargetReader read the devices where P4Runtime cannot
	// read everything (bmv2: registers over Thrift); TargetRegisters writes
	// registers there. nil: the backends' P4Runtime clients.
	SourceReader, TargetReader snapshot.Reader
	TargetRegisters            clone.RegisterWriter
	// SourceRegisters writes the source's registers where P4Runtime cannot
	// (bmv2: Thrift), for an abort that brings hosts back; nil: over
	// P4Runtime.
	SourceRegisters clone.RegisterWriter
	// ThriftHint says, in the error of a switch that will not give its
	// registers over P4Runtime (ErrRegistersNeedThrift), how the operator
	// gives its bmv2 Thrift address; side is "source" or "target".
	ThriftHint func(side string) string
	// SourcePorts and TargetPorts switch the host ports of each device.
	// Trunk ports are enabled before the first host moves and disabled at
	// the cut over, when both are set.
	SourcePorts, TargetPorts PortSwitch
	// Links are the virtual device's ports that join other devices of a
	// network migration (package plan): never moved nor sent to the trunk;
	// their fabric is switched by FabricUp, Teardown and FabricDown.
	Links []uint64
	// InPlan: a network migration drives this one; the trunk stays up at
	// the cut over (Teardown takes it down once every device cut over).
	InPlan bool
	// Settle is how long a host's new port is up before its old port goes
	// down (a host move; the other way for a move back), at least: the time
	// the hosts take to move their traffic to a link that came up (a
	// bond's updelay, say). Zero: the old port goes down as soon as the
	// state followed.
	Settle  time.Duration
	Journal Journal
	Log     *slog.Logger
	// Progress, when set, is told of each step as it starts.
	Progress func(Action)

	// fresh: this driver set the target's pipeline and nothing was cloned
	// onto it since (the clone need not read it).
	fresh bool
	// cloned counts the entities the last clone read from the source.
	cloned atomic.Int64
	// counting counts the entities of the step running now (progress.go).
	counting atomic.Pointer[stepCount]
	// seeds are the switches' epochs when the target was set up.
	seeds seeds
	// targetLost: the target restarted since the mirror last recorded.
	targetLost bool
}

// Cloned is how many entities the last clone copied (read from the
// source; those the target held already included).
func (d *Driver) Cloned() int64 { return d.cloned.Load() }

// Run runs the machine's actions until it ends, fails or ctx ends; every
// transition is journalled. It returns the error of a failed step (the
// state says which); after it the operator retries or aborts.
func (d *Driver) Run(ctx context.Context, m *Machine) error {
	for {
		ran, err := d.Step(ctx, m)
		if err != nil || !ran {
			return err
		}
	}
}

// Step runs the machine's next action, if any (ran false when there is
// none: the migration ended, or failed and waits), records its outcome in
// the machine and the journal, and returns the error of a failed action.
// When ctx ends during the action, the machine is left as it was: the
// action runs again later.
func (d *Driver) Step(ctx context.Context, m *Machine) (ran bool, err error) {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	a, ok := m.Next()
	if !ok {
		if st := m.State(); st.Failed != "" {
			return false, fmt.Errorf("migration of device %d stopped at %v: %s", d.Device.ID(), st.Step, st.Failed)
		}
		return false, nil
	}
	// A switch that restarted since the target was set up: what the next
	// step would rely on may be gone.
	if e := d.restarts(); e != nil && d.afterRestart(m, e) {
		return true, d.saveRestart(m)
	}
	if d.Progress != nil {
		d.Progress(a)
	}
	d.Log.Info("migration step", "device", d.Device.ID(), "step", a.String())
	start := time.Now()
	name := fmt.Sprintf("device %d: %v", d.Device.ID(), a)
	failpoint.Hit("before " + name)
	err = d.Do(ctx, a, m.State())
	failpoint.Hit("after " + name) // before the journal knows
	if err != nil {
		if ctx.Err() != nil {
			return true, ctx.Err() // not a failure of the step: it runs again
		}
		// A switch restarted as the step ran: not a failure of the step.
		err = d.FailedByRestart(ctx, err)
		if e := (*RestartError)(nil); errors.As(err, &e) && d.afterRestart(m, e) {
			return true, d.saveRestart(m)
		}
		d.Log.Warn("migration step failed", "device", d.Device.ID(), "step", a.String(), "err", err)
		if merr := m.Failed(a, err); merr != nil {
			return true, merr
		}
	} else {
		d.Log.Info("migration step done", "device", d.Device.ID(), "step", a.String(), "took", time.Since(start).Round(time.Millisecond))
		if merr := m.Succeeded(a); merr != nil {
			return true, merr
		}
	}
	if d.Journal != nil {
		if jerr := d.Journal.Save(d.Device.ID(), m.State()); jerr != nil {
			return true, fmt.Errorf("migration of device %d: journal: %w", d.Device.ID(), jerr)
		}
	}
	if err != nil {
		return true, fmt.Errorf("migration of device %d: %v: %w", d.Device.ID(), a, err)
	}
	return true, nil
}

// saveRestart journals the machine rewound after a switch restarted; it
// returns the error a source restart stops the migration with.
func (d *Driver) saveRestart(m *Machine) error {
	st := m.State()
	if d.Journal != nil {
		if err := d.Journal.Save(d.Device.ID(), st); err != nil {
			return fmt.Errorf("migration of device %d: journal: %w", d.Device.ID(), err)
		}
	}
	if st.Failed != "" {
		return fmt.Errorf("migration of device %d stopped at %v: %s", d.Device.ID(), st.Step, st.Failed)
	}
	return nil
}

// Do runs action a of a migration whose state is st (what a Machine's
// Next gave), without recording its outcome: Step does, or a network
// migration's driver.
func (d *Driver) Do(ctx context.Context, a Action, st State) error {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if !Stoppable(a.Step) {
		// Half done, it would leave the switches in a state the journal
		// does not know: a stop waits for it.
		var cancel context.CancelFunc
		ctx, cancel = d.unstoppable(ctx)
		defer cancel()
	}
	switch a.Step {
	case Validate:
		return d.validate(ctx)
	case Pipeline:
		// Set up again with hosts on it (it restarted): it carries
		// nothing until it caught up.
		if err := d.carry(ctx, st.Moved, false); err != nil {
			return err
		}
		return d.pipeline(ctx)
	case Mirror:
		if b, _ := d.Device.Mirror(); b == d.Target {
			if d.targetLost {
				// Set up again after the target restarted: the
				// mirror records writes again for the new clone.
				return d.reseed()
			}
			// The source restarted and the controller set it up
			// again: the forms it holds now are learnt again from
			// the switches, as a restarted proxy does.
			d.Device.Hold(fmt.Sprintf("its source %s restarted: attaching %s again", d.Device.Authoritative().Name, d.Target.Name))
			if err := d.Device.Forget(d.Target); err != nil {
				d.Device.Release()
				return err
			}
		}
		if !d.seeds.ok {
			d.seed() // a restarted proxy: the target as it finds it
		}
		// With the hosts moved before a restart, which stay moved; a
		// device held until then answers again.
		var moving *uint64
		if p, ok := st.Moving(); ok {
			moving = &p
			// A move the crash cut may have ended, its source port down:
			// the host's source port is up again before the source's
			// entities are put back (the move runs again).
			if err := setPort(ctx, d.SourcePorts, "source", p, true); err != nil {
				return err
			}
		}
		if err := d.Device.Reattach(ctx, d.Target, d.Ports, st.Moved, moving); err != nil {
			return err
		}
		d.Device.Release()
		return nil
	case Clone:
		return d.clone(ctx, len(st.Moved) > 0)
	case CatchUp:
		if _, err := d.Device.CatchUp(ctx); err != nil {
			return err
		}
		// Caught up again (after a restart of either switch, or of the
		// proxy): the target carries its moved hosts.
		return d.carry(ctx, st.Moved, true)
	case Verify:
		return d.verify(ctx)
	case MoveHost:
		return d.moveHost(ctx, a.Port)
	case CutOver:
		return d.cutOver(ctx)
	case MoveBack:
		return d.moveBack(ctx, a.Port)
	case Detach:
		return d.detach(ctx)
	case Clear:
		return d.clear(ctx)
	}
	return fmt.Errorf("no such action %v", a)
}

// Stoppable reports whether a step may be stopped halfway (its context
// canceled) and run again: it only reads, or writes what running it again
// finds and completes. Host moves, the cut over, the undo steps and the
// fabric's are not: a stop lets them end.
func Stoppable(s Step) bool { return s >= Validate && s <= Verify }

// StepTimeout bounds a step that a stop waits for.
const StepTimeout = 5 * time.Minute

// unstoppable is ctx without its cancellation, bounded by StepTimeout.
func (d *Driver) unstoppable(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), StepTimeout)
}

func (d *Driver) sourceReader() snapshot.Reader {
	if d.SourceReader != nil {
		return d.SourceReader
	}
	return d.Device.Authoritative().Client()
}

// controllerSource reads the source as the controller wrote it: what it
// sends to moved hosts through the trunk reads as sent to them.
func (d *Driver) controllerSource() snapshot.Reader {
	return d.Device.ControllerReader(d.sourceReader())
}

func (d *Driver) targetReader() snapshot.Reader {
	if d.TargetReader != nil {
		return d.TargetReader
	}
	return d.Target.Client()
}

// validate refuses, before anything is written, a target that runs
// another program, that holds state (unless forced), a port map that
// does not cover every port the source's state uses, and a switch that
// will not give its registers over P4Runtime when there is no other way
// to them (the target, when it gets its pipeline, is checked then).
func (d *Driver) validate(ctx context.Context) error {
	src := d.Device.Authoritative().Info()
	if src == nil {
		return errors.New("the source runs no pipeline")
	}
	tgt := d.Target.Info()
	if d.Pipeline != nil {
		var err error
		if tgt, err = d.Target.Index(d.Pipeline.GetP4Info()); err != nil {
			return fmt.Errorf("the target's pipeline: %w", err)
		}
	}
	if tgt == nil {
		return errors.New("the target runs no pipeline and none was given for it")
	}
	tr, err := translate.New(src, tgt, translate.WithPorts(d.Ports.Map))
	if err != nil {
		return fmt.Errorf("source and target: %w", err)
	}
	if d.SourceReader == nil {
		if err := d.checkRegisters(ctx, "source", d.Device.Authoritative().Client(), src); err != nil {
			return err
		}
	}
	if d.TargetReader == nil && d.Pipeline == nil {
		if err := d.checkRegisters(ctx, "target", d.Target.Client(), tgt); err != nil {
			return err
		}
	}
	if d.Target.Info() != nil && !d.Force {
		n, err := held(ctx, d.Target.Client())
		if err != nil {
			return fmt.Errorf("reading the target: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("the target holds %d table entries already (force to migrate onto it anyway)", n)
		}
	}
	res, err := clone.Check(ctx, d.controllerSource(), clone.Options{Translator: tr, SkipCounters: true})
	if err != nil {
		if errors.Is(err, clone.ErrUntranslatable) && len(res.Failures) > 0 {
			return fmt.Errorf("%w: %d entities, %s", err, res.Total().Failed, firstFailure(res))
		}
		return err
	}
	return nil
}

// firstFailure describes the first entity a clone could not copy.
func firstFailure(res *clone.Result) string {
	return fmt.Sprintf("first %s: %s", res.Failures[0].Entity, res.Failures[0].Error)
}

// held counts the table entries a device holds (const ones left out).
func held(ctx context.Context, r snapshot.Reader) (int, error) {
	n := 0
	for e, err := range r.Read(ctx, &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{}}}) {
		if err != nil {
			return n, err
		}
		if te := e.GetTableEntry(); !te.GetIsConst() && !te.GetIsDefaultAction() {
			n++
		}
	}
	return n, nil
}

// pipeline sets the target's pipeline with the source's cookie.
func (d *Driver) pipeline(ctx context.Context) error {
	d.seed()
	pipe, err := d.targetPipeline(ctx)
	if err != nil || pipe == nil {
		return err
	}
	src, err := d.Device.Authoritative().Client().GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_COOKIE_ONLY)
	if err != nil {
		return fmt.Errorf("reading the source's cookie: %w", err)
	}
	cfg := &p4v1.ForwardingPipelineConfig{P4Info: pipe.GetP4Info(), P4DeviceConfig: pipe.GetP4DeviceConfig(), Cookie: src.GetCookie()}
	if err := d.Target.SetPipeline(ctx, cfg); err != nil {
		return fmt.Errorf("setting the target's pipeline: %w", err)
	}
	d.fresh = true
	if d.TargetReader == nil {
		return d.checkRegisters(ctx, "target", d.Target.Client(), d.Target.Info())
	}
	return nil
}

// clone copies the source onto the target: what the target holds and the
// source lacks is deleted (the target becomes a copy: left there, it would
// forward otherwise than the device). With hosts on the target (a resumed
// migration) registers are merged, not copied: the moved hosts' traffic
// writes the target's.
func (d *Driver) clone(ctx context.Context, moved bool) error {
	tr := d.Device.MirrorTranslator()
	if tr == nil {
		return errors.New("no mirror attached")
	}
	c, end := d.count("clone", 0)
	defer end()
	o := clone.Options{Translator: tr, SkipCounters: true, TargetReader: d.TargetReader, TargetRegisters: d.TargetRegisters,
		TargetEmpty: d.fresh, Prune: true, SkipRegisters: moved,
		Progress: func(p clone.Progress) { c.done.Store(p.Done); c.total.Store(p.Total) }}
	d.fresh = false // a clone that runs again must look at what this one wrote
	res, err := clone.Run(ctx, d.controllerSource(), d.Target.Client(), o)
	if err != nil {
		return err
	}
	d.cloned.Store(res.Total().Read)
	if !res.OK() {
		t := res.Total()
		switch {
		case len(res.Failures) > 0:
			return fmt.Errorf("%d entities were not copied, %s", t.Failed, firstFailure(res))
		case len(res.Unreadable) > 0:
			return fmt.Errorf("the source would not give %s: %s", res.Unreadable[0].What, res.Unreadable[0].Error)
		default:
			return fmt.Errorf("the target holds %d entities the source lacks", t.Extra-t.Deleted)
		}
	}
	if moved {
		return d.syncRegisters(ctx)
	}
	return nil
}

// verify compares source and target (configuration; counters are summed,
// registers move with traffic). Controllers keep writing meanwhile, so
// what differs is looked at again with writes paused: a difference that
// stays stops the migration, as does a mirror write kept for repair.
func (d *Driver) verify(ctx context.Context) error {
	// What the mirror trails by reaches it first (a barrier): a write it
	// refused is then among the repairs.
	if err := d.Device.Drain(ctx); err != nil {
		return err
	}
	if reps := d.Device.Repairs(); len(reps) > 0 {
		return fmt.Errorf("%d writes did not reach the target, first %s", len(reps), reps[0].Error)
	}
	tr := d.Device.MirrorTranslator()
	c, end := d.count("verify", d.cloned.Load())
	defer end()
	rep, err := diff.Run(ctx, counted(d.controllerSource(), c), d.targetReader(), diff.Options{Translator: tr})
	if err != nil {
		return err
	}
	if len(rep.Unreadable) > 0 {
		return fmt.Errorf("source and target cannot be compared: %s", rep.Unreadable[0])
	}
	t := rep.Total()
	if t.Missing+t.Extra+t.Different > int64(len(rep.Missing)+len(rep.Extra)+len(rep.Different)) {
		return fmt.Errorf("source and target differ: %d missing, %d extra, %d different", t.Missing, t.Extra, t.Different)
	}
	back, err := tr.Reverse()
	if err != nil {
		return err
	}
	return d.Device.Paused(func() error {
		for _, it := range slices.Concat(rep.Missing, rep.Extra, rep.Different) {
			if it.Key == nil {
				return fmt.Errorf("source and target differ: %s", it.Entity)
			}
			if err := d.same(ctx, tr, back, it.Key); err != nil {
				return fmt.Errorf("source and target differ: %s: %w", it.Entity, err)
			}
		}
		return nil
	})
}

// same reads the entity with key k (the target's terms) from both devices
// and compares their configurations.
func (d *Driver) same(ctx context.Context, tr, back *translate.Translator, k *p4v1.Entity) error {
	sk, err := back.Entity(entity.Query(k))
	if err != nil {
		return err
	}
	read := func(r snapshot.Reader, q *p4v1.Entity) (*p4v1.Entity, error) {
		var got *p4v1.Entity
		for e, err := range r.Read(ctx, q) {
			if status.Code(err) == codes.NotFound {
				return nil, nil // a PRE entry read by its id answers so when absent
			}
			if err != nil {
				return nil, err
			}
			got = e
		}
		return got, nil
	}
	s, err := read(d.controllerSource(), entity.Query(sk))
	if err != nil {
		return err
	}
	t, err := read(d.targetReader(), entity.Query(k))
	if err != nil {
		return err
	}
	switch {
	case s == nil && t == nil:
		return nil
	case s == nil:
		return errors.New("on the target only")
	case t == nil:
		return errors.New("missing on the target")
	}
	if err := tr.EntityInPlace(s); err != nil {
		return err
	}
	if fields := entity.Diff(s, t); len(fields) > 0 {
		return fmt.Errorf("%v", fields)
	}
	return nil
}

// moveHost moves one host, make before break: its port on the target goes
// up, the state follows, its port on the source goes down. Registers are
// merged into the target's before the state follows (what the source's
// traffic wrote since the clone) and once more after the source's port is
// down (what the host's last packets through the source wrote).
func (d *Driver) moveHost(ctx context.Context, p uint64) error {
	if err := d.trunk(ctx, true); err != nil {
		return err
	}
	tp, err := d.Ports.Map.Number(p)
	if err != nil {
		return err
	}
	if err := setPort(ctx, d.TargetPorts, "target", tp, true); err != nil {
		return err
	}
	up := time.Now()
	if err := d.syncRegisters(ctx); err != nil {
		return err
	}
	end := d.counts(&stepCount{step: fmt.Sprintf("move-host %d", p), started: time.Now(), poll: d.Device.MoveProgress})
	err = d.Device.MoveHost(ctx, p)
	end()
	if err != nil {
		return err
	}
	d.settle(ctx, up)
	if err := setPort(ctx, d.SourcePorts, "source", p, false); err != nil {
		return err
	}
	return d.syncRegisters(ctx)
}

// settle waits until Settle has passed since up.
func (d *Driver) settle(ctx context.Context, up time.Time) {
	left := d.Settle - time.Since(up)
	if left <= 0 {
		return
	}
	t := time.NewTimer(left)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// moveBack returns one host to the source (an abort), as moveHost the
// other way: the target's registers are merged into the source's before
// and after.
func (d *Driver) moveBack(ctx context.Context, p uint64) error {
	tp, err := d.Ports.Map.Number(p)
	if err != nil {
		return err
	}
	if err := setPort(ctx, d.SourcePorts, "source", p, true); err != nil {
		return err
	}
	up := time.Now()
	if err := d.syncRegistersBack(ctx); err != nil {
		return err
	}
	if err := d.Device.MoveBack(ctx, p); err != nil {
		return err
	}
	d.settle(ctx, up)
	if err := setPort(ctx, d.TargetPorts, "target", tp, false); err != nil {
		return err
	}
	return d.syncRegistersBack(ctx)
}

// trunk turns the trunk's ports on or off.
// TrunkDown takes the trunk's ports down on both switches, as the cut over
// of a migration outside a plan does: for a proxy that stopped as it cut
// over.
func (d *Driver) TrunkDown(ctx context.Context) error { return d.trunk(ctx, false) }

func (d *Driver) trunk(ctx context.Context, up bool) error {
	t := d.Ports.Trunk
	if t == nil {
		return nil
	}
	if err := setPort(ctx, d.SourcePorts, "source", t.Source, up); err != nil {
		return err
	}
	return setPort(ctx, d.TargetPorts, "target", t.Target, up)
}

func setPort(ctx context.Context, s PortSwitch, what string, p uint64, up bool) error {
	if s == nil {
		return nil
	}
	if err := s.SetEnabled(ctx, p, up); err != nil {
		state := "disabling"
		if up {
			state = "enabling"
		}
		return fmt.Errorf("%s port %d of the %s: %w", state, p, what, err)
	}
	return nil
}

func (d *Driver) cutOver(ctx context.Context) error {
	if err := d.targetIntact(ctx); err != nil {
		return err
	}
	if err := d.syncRegisters(ctx); err != nil {
		return err
	}
	// The journal keeps the cut over before the proxy makes it: from then
	// on a restarted proxy stands for the target.
	var keep func(*proxy.CutOverState) error
	if j, ok := d.Journal.(CutOverSaver); ok {
		keep = func(st *proxy.CutOverState) error { return j.SaveCutOver(d.Device.ID(), st) }
	}
	if _, err := d.Device.CutOver(ctx, keep); err != nil {
		return err
	}
	if d.InPlan {
		return nil // the plan's teardown takes the trunk down
	}
	failpoint.Hit(fmt.Sprintf("device %d: cut over, trunk up", d.Device.ID()))
	if err := d.trunk(ctx, false); err != nil {
		d.Log.Warn("cut over, but the trunk stays up", "err", err)
	}
	return nil
}

// detach detaches the mirror; the counts it kept are journalled.
func (d *Driver) detach(ctx context.Context) error {
	// A host whose move stopped halfway, its entities not all put back:
	// the source sends as if it had moved until they are.
	for _, p := range d.Device.Halfway() {
		if err := d.Device.MoveBack(ctx, p); err != nil {
			return err
		}
	}
	if _, err := d.Device.DetachMirror(ctx); err != nil {
		return err
	}
	if j, ok := d.Journal.(OffsetSaver); ok {
		if err := j.SaveOffsets(d.Device.ID(), d.Device.Offsets()); err != nil {
			d.Log.Error("detached, but the journal did not keep the mirror's counts: a restarted proxy would read counters lower", "err", err)
		}
	}
	return nil
}

// clear removes what the migration wrote to the target: its pipeline is
// set again, which empties it.
func (d *Driver) clear(ctx context.Context) error {
	cfg, err := d.Target.Client().GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_ALL)
	if err != nil {
		if d.Target.Info() == nil {
			return nil // never got a pipeline: nothing to clear
		}
		return fmt.Errorf("reading the target's pipeline: %w", err)
	}
	if err := d.Target.SetPipeline(ctx, cfg); err != nil {
		return fmt.Errorf("clearing the target: %w", err)
	}
	return nil
}
