package migrate

import (
	"context"
	"errors"
	"fmt"
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

// restarts is which switch restarted since the target was set up: "" for
// none, else "source" or "target". The source is looked at first: its
// restart stops the migration whatever the target did.
func (d *Driver) restarts() string {
	switch {
	case !d.seeds.ok:
		return ""
	case d.Device.Authoritative().Epoch() != d.seeds.source:
		return "source"
	case d.Target.Epoch() != d.seeds.tgt:
		return "target"
	}
	return ""
}

// restartedSince waits a little for the proxy to see a switch that
// restarted as a step failed (up to RestartWait for one that does not
// answer yet) and reports which one restarted since the target was set
// up, or the error of a switch that does not answer.
func (d *Driver) restartedSince(ctx context.Context) (string, error) {
	if !d.seeds.ok {
		return "", nil
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
		if _, err := b.Live(wctx); err != nil {
			return "", err
		}
	}
	return d.restarts(), nil
}

// afterRestart records in m that a switch restarted (which: "source" or
// "target"), as the machine takes it; it reports whether that changed the
// migration.
func (d *Driver) afterRestart(m *Machine, which string) bool {
	id := d.Device.ID()
	if which == "target" {
		if !m.TargetRestarted() {
			return false
		}
		d.seeds.ok = false // until the target is set up again
		d.Log.Warn("the target restarted and lost its state: setting it up again (pipeline, clone, catch-up, verify)",
			"device", id, "target", d.Target.Name, "moved", m.State().Moved)
		return true
	}
	why := fmt.Sprintf("the source %s restarted (its stream with the proxy ended; its state may be gone): the controller sees the restart as without lime and sets the switch up again; then `lime migrate --retry` sets the target up again from it, or `lime abort` undoes the migration",
		d.Device.Authoritative().Name)
	if !m.SourceRestarted(why) {
		return false
	}
	d.seeds.ok = false
	d.Log.Error("migration stopped", "device", id, "why", why)
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

// reseed takes the mirror back to recording writes for a target set up
// again, the counts the controller saw it make kept as offsets (and
// journalled).
func (d *Driver) reseed() error {
	if err := d.Device.Reseed(d.Target); err != nil {
		return err
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
	if d.restarts() != "" {
		return fmt.Errorf("%s restarted since it was set up", d.Target.Name)
	}
	if _, err := d.Target.Client().GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_COOKIE_ONLY); err != nil {
		return fmt.Errorf("%s does not answer with its pipeline (restarted?): %w", d.Target.Name, err)
	}
	return nil
}
