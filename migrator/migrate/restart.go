package migrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// How long a driver waits, after a step failed, to tell whether a switch
// restarted: the proxy arbitrates with a restarted switch again as soon as
// it answers.
const (
	// restartGrace lets the proxy see a stream the switch ended just as
	// the step failed.
	restartGrace = 300 * time.Millisecond
	// RestartWait bounds the wait for a switch that ended the proxy's
	// stream to answer again.
	RestartWait = 30 * time.Second
)

// seeds are the epochs of the proxy's streams with both switches when the
// target was last set up (its pipeline set, or the mirror attached by a
// restarted proxy): a later epoch means that switch may have restarted
// since, and lost what the migration relies on.
type seeds struct {
	ok          bool
	source, tgt uint64
}

// seed notes the switches' epochs as the target is set up.
func (d *Driver) seed() {
	d.seeds = seeds{ok: true, source: d.Device.Authoritative().Epoch(), tgt: d.Target.Epoch()}
}

// restarts is which switch restarted since the target was set up, nil for
// none. The source is looked at first: its restart stops the migration
// whatever the target did. Once reported, the target counts as not set up.
func (d *Driver) restarts() *RestartError {
	var e *RestartError
	switch {
	case !d.seeds.ok:
		return nil
	case d.Device.Authoritative().Epoch() != d.seeds.source:
		e = &RestartError{Source: true, Name: d.Device.Authoritative().Name}
	case d.Target.Epoch() != d.seeds.tgt:
		e = &RestartError{Name: d.Target.Name}
		d.targetLost = true
		// From now on the controller's writes are recorded, not sent to
		// it: it gets its pipeline first (real bmv2 crashes when a write
		// comes in as its pipeline is set), then the clone and the
		// record. Without a mirror (a restarted proxy) there is nothing
		// to stop.
		if b, _ := d.Device.Mirror(); b == d.Target {
			if err := d.Device.Reseed(d.Target, true); err != nil {
				d.Log.Warn("the restarted target's mirror did not stop", "err", err)
			}
		}
	default:
		return nil
	}
	d.seeds.ok = false
	return e
}

// Restarted reports a switch that restarted since the target was set up
// (a *RestartError), before a step runs: what it would rely on may be
// gone.
func (d *Driver) Restarted() error {
	if e := d.restarts(); e != nil {
		return e
	}
	return nil
}

// FailedByRestart is told that a step failed with err: it waits a little
// for the proxy to see a switch that restarted as the step ran (up to
// RestartWait for one that does not answer yet), and returns a
// *RestartError wrapping err when a switch restarted since the target was
// set up, else err (with what to do when a switch does not answer).
func (d *Driver) FailedByRestart(ctx context.Context, err error) error {
	if !d.seeds.ok {
		return err
	}
	t := time.NewTimer(restartGrace)
	select {
	case <-t.C:
	case <-ctx.Done():
		t.Stop()
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), RestartWait)
	defer cancel()
	for _, b := range []interface {
		Live(context.Context) (uint64, error)
	}{d.Device.Authoritative(), d.Target} {
		if _, werr := b.Live(wctx); werr != nil {
			return fmt.Errorf("%w (%v; `lime migrate --retry` goes on once it answers)", err, werr)
		}
	}
	if e := d.restarts(); e != nil {
		e.Err = err
		return e
	}
	return err
}

// RestartError is a switch of the migration that restarted (its stream with
// the proxy ended, its state may be gone) since the target was set up.
type RestartError struct {
	Source bool   // the source restarted, else the target
	Name   string // the switch
	Err    error  // how the step it cut failed, if it did
}

func (e *RestartError) Error() string {
	if e.Source {
		return fmt.Sprintf("the source %s restarted (its stream with the proxy ended; its state may be gone): the controller sees the restart as without lime and sets the switch up again; then `lime migrate --retry` brings the target in line with it again (a new clone) and goes on, or `lime abort` undoes the migration", e.Name)
	}
	msg := fmt.Sprintf("the target %s restarted and lost its state", e.Name)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *RestartError) Unwrap() error { return e.Err }

// Apply records the restart in m (Machine.TargetRestarted or
// SourceRestarted); it reports false when the restart changes nothing.
func (e *RestartError) Apply(m *Machine) bool {
	if e.Source {
		return m.SourceRestarted(e.Error())
	}
	return m.TargetRestarted()
}

// afterRestart records restart e in m and logs it; it reports whether that
// changed the migration.
func (d *Driver) afterRestart(m *Machine, e *RestartError) bool {
	if !e.Apply(m) {
		return false
	}
	if e.Source {
		d.Log.Error("migration stopped", "device", d.Device.ID(), "why", e.Error())
	} else {
		d.Log.Warn("the target restarted and lost its state: setting it up again (pipeline, clone, catch-up, verify)",
			"device", d.Device.ID(), "target", e.Name, "moved", m.State().Moved)
	}
	return true
}

// targetPipeline is the pipeline to set on the target: the one given, else
// the source's own (a target that ran the program before it restarted).
func (d *Driver) targetPipeline(ctx context.Context) (*p4v1.ForwardingPipelineConfig, error) {
	if d.Pipeline != nil {
		return d.Pipeline, nil
	}
	if d.Target.Info() != nil {
		return nil, nil // it runs the program already
	}
	cfg, err := d.Device.Authoritative().Client().GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_ALL)
	if err != nil {
		return nil, fmt.Errorf("the target runs no pipeline; reading the source's to set on it: %w", err)
	}
	if cfg.GetP4Info() == nil {
		return nil, errors.New("the target runs no pipeline, and the source none to set on it")
	}
	return cfg, nil
}

// reseed takes the mirror back to recording writes for a target brought
// in line again; when it restarted, the counts the controller saw it make
// are kept as offsets (and journalled).
func (d *Driver) reseed() error {
	lost := d.targetLost
	if err := d.Device.Reseed(d.Target, lost); err != nil {
		return err
	}
	d.targetLost = false
	if !lost {
		return nil
	}
	if j, ok := d.Journal.(OffsetSaver); ok {
		if err := j.SaveOffsets(d.Device.ID(), d.Device.Offsets()); err != nil {
			d.Log.Error("the journal did not keep the restarted target's counts: a restarted proxy would read counters lower", "err", err)
		}
	}
	return nil
}

// targetIntact checks, before the target becomes the device, that it did
// not restart since it was set up (one the proxy has not seen end its
// stream yet answers without a pipeline).
func (d *Driver) targetIntact(ctx context.Context) error {
	if e := d.restarts(); e != nil {
		return e
	}
	if _, err := d.Target.Client().GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_COOKIE_ONLY); err != nil {
		return fmt.Errorf("%s does not answer with its pipeline (restarted?): %w", d.Target.Name, err)
	}
	return nil
}

// carried are the target's ports that carry traffic once hosts moved onto
// it: the moved hosts' ports, the trunk, and in a plan its links.
func (d *Driver) carried(moved []uint64) ([]uint64, error) {
	var out []uint64
	for _, p := range slices.Concat(moved, d.Links) {
		tp, err := d.Ports.Map.Number(p)
		if err != nil {
			return nil, err
		}
		out = append(out, tp)
	}
	if t := d.Ports.Trunk; t != nil {
		out = append(out, t.Target)
	}
	return out, nil
}

// carry turns the ports of a target that hosts moved onto off or on: a
// target set up again after it restarted forwards nothing until it caught
// up (its tables half cloned would forward otherwise than the device; and
// real bmv2 stops answering when its pipeline is set while traffic comes
// in), then carries its hosts again.
func (d *Driver) carry(ctx context.Context, moved []uint64, on bool) error {
	if len(moved) == 0 {
		return nil
	}
	ports, err := d.carried(moved)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range ports {
		errs = append(errs, setPort(ctx, d.TargetPorts, "target", p, on))
	}
	return errors.Join(errs...)
}
