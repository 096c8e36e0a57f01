package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lime-p4/lime/migrator/migrate"
	"github.com/lime-p4/lime/migrator/proxy"
)

// Restore takes up the journalled migrations (of one device, or a plan)
// that had not ended when the proxy stopped; call it before the proxy
// serves, and Start once it does. Each device's target is reached again
// and its machine resumes (migrate.Machine.Resume). A device whose hosts
// were on its target gets its mirror attached again here, with them: until
// then its source reads otherwise than the controller wrote it (what it
// sends to the trunk). When that fails the device is held (its controllers
// get UNAVAILABLE, saying why) until a retry attaches it.
func (s *Service) Restore(ctx context.Context) error {
	j := s.opts.Journal
	if j == nil {
		return nil
	}
	recs, err := j.All()
	if err != nil {
		return err
	}
	var errs []error
	for _, rec := range recs {
		if err := s.restoreOffsets(rec); err != nil {
			errs = append(errs, err)
		}
	}
	inPlan, err := s.restorePlan(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	for _, rec := range recs {
		if inPlan[rec.Device] {
			continue
		}
		if st := cutOverKept(rec.State, rec); st.Step != rec.State.Step {
			s.opts.Log.Warn("the proxy stopped as a migration cut over: it stands for the target", "device", rec.Device)
			if err := s.trunkDown(ctx, rec); err != nil {
				s.opts.Log.Warn("the trunk between the two switches stays up: take its ports down by hand", "device", rec.Device, "err", err)
			}
			if err := j.Save(rec.Device, st); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if rec.State.Step == migrate.Done || rec.State.Step == migrate.Aborted {
			continue
		}
		if err := s.restoreOne(ctx, rec); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// restoreOffsets gives a device not cut over the counts it kept from a
// mirror an abort detached (a device cut over has them in its cut over
// state).
func (s *Service) restoreOffsets(rec migrate.Record) error {
	d := s.proxy.Device(rec.Device)
	if len(rec.Offsets) == 0 || rec.State.Step == migrate.Done || d == nil {
		return nil
	}
	var offs []proxy.Offset
	if err := json.Unmarshal(rec.Offsets, &offs); err != nil {
		return fmt.Errorf("journal: device %d: its counter offsets: %w", rec.Device, err)
	}
	d.KeepOffsets(offs)
	return nil
}

// cutOverKept is the state of a migration the journal shows cut over
// (rec holds what the device keeps from its source: the proxy stood for
// the target from then on) whose cut-over step's end it does not show:
// that step ended. Any other state is returned as it is.
func cutOverKept(st migrate.State, rec migrate.Record) migrate.State {
	if st.Step != migrate.CutOver || len(rec.CutOver) == 0 {
		return st
	}
	m := migrate.Restore(st)
	if err := m.Succeeded(migrate.Action{Step: migrate.CutOver}); err != nil {
		return st
	}
	return m.State()
}

// trunkDown takes down the trunk of a one-device migration that cut over
// as the proxy stopped: its cut-over step would have, once the proxy
// stood for the target.
func (s *Service) trunkDown(ctx context.Context, rec migrate.Record) error {
	var spec Spec
	if err := json.Unmarshal(rec.Spec, &spec); err != nil {
		return fmt.Errorf("journal: device %d: %w", rec.Device, err)
	}
	if spec.Trunk == nil {
		return nil
	}
	r, err := s.prepareCutOver(ctx, spec)
	if err != nil {
		return err
	}
	defer r.close(true)
	return r.drv.TrunkDown(ctx)
}

// restoreOne takes up one device's journalled migration.
func (s *Service) restoreOne(ctx context.Context, rec migrate.Record) error {
	var spec Spec
	if err := json.Unmarshal(rec.Spec, &spec); err != nil {
		return fmt.Errorf("journal: device %d: %w", rec.Device, err)
	}
	r, err := s.prepare(ctx, spec)
	if err != nil {
		s.hold(rec.Device, rec.State.Moved, spec.Target.Addr, err)
		return err
	}
	r.m = migrate.Restore(rec.State)
	r.m.Resume()
	r.state, r.restored = r.m.State(), true
	s.mu.Lock()
	s.runs[spec.Device] = r
	s.mu.Unlock()
	if a, ok := r.m.Next(); ok && a.Step == migrate.Mirror && len(r.state.Moved) > 0 {
		s.hold(spec.Device, r.state.Moved, spec.Target.Addr, errors.New("attaching it again"))
		r.mu.Lock()
		r.step = a.String()
		r.mu.Unlock()
		if _, err := r.drv.Step(ctx, r.m); err != nil {
			s.hold(spec.Device, r.state.Moved, spec.Target.Addr, err)
			return err
		}
	}
	return nil
}

// hold makes device answer UNAVAILABLE while its hosts on the target are
// not reachable through the proxy's record (see Restore); nothing when no
// host moved.
func (s *Service) hold(device uint64, moved []uint64, target string, why error) {
	d := s.proxy.Device(device)
	if d == nil || len(moved) == 0 {
		return
	}
	d.Hold(fmt.Sprintf("the proxy restarted while hosts %v of device %d were on %s, and has not attached it again (%v): lime migrate --retry once it answers, or lime abort",
		moved, device, target, why))
}

// Start runs the migrations Restore took up (those not stopped on a
// failure: they wait for retry or abort).
func (s *Service) Start() {
	s.mu.Lock()
	var runs []*run
	for _, r := range s.runs {
		if r.restored && r.plan == nil {
			r.restored = false
			runs = append(runs, r)
		}
	}
	pr := s.plan
	s.mu.Unlock()
	for _, r := range runs {
		if r.m.State().Failed == "" {
			s.opts.Log.Info("resuming a migration", "device", r.spec.Device, "step", r.m.State().Step.String())
			s.start(r)
		}
	}
	if pr != nil {
		pr.ctl.Lock()
		defer pr.ctl.Unlock()
		if pr.restored {
			pr.restored = false
			if len(pr.m.Failed()) == 0 && !pr.m.Over() {
				s.opts.Log.Info("resuming a plan", "file", pr.plan.File, "phase", pr.m.State().Phase.String())
				s.startPlan(pr)
			}
		}
	}
}

// Resume is Restore, then Start.
func (s *Service) Resume(ctx context.Context) error {
	err := s.Restore(ctx)
	s.Start()
	return err
}

// Migrated reaches the switch a journalled migration cut device vid over
// onto, and returns it with what the device keeps from its former switch,
// for proxy.AddMigratedDevice: a restarted proxy stands for the device
// there. It returns nil, nil, nil when vid was not migrated.
func Migrated(ctx context.Context, j *migrate.BoltJournal, vid uint64, opts Options) (*proxy.Backend, *proxy.CutOverState, error) {
	rec, ok, err := j.Get(vid)
	if err != nil || !ok || cutOverKept(rec.State, rec).Step != migrate.Done {
		return nil, nil, err
	}
	if len(rec.CutOver) == 0 {
		return nil, nil, fmt.Errorf("device %d was cut over, but the journal lacks what it kept from its source", vid)
	}
	var spec Spec
	if err := json.Unmarshal(rec.Spec, &spec); err != nil {
		return nil, nil, fmt.Errorf("journal: device %d: %w", vid, err)
	}
	var st proxy.CutOverState
	if err := json.Unmarshal(rec.CutOver, &st); err != nil {
		return nil, nil, fmt.Errorf("journal: device %d: %w", vid, err)
	}
	// The gNMI client lives as long as the proxy runs.
	b, _, err := opts.DialBackend(ctx, spec.Target.Addr, spec.Target.DeviceID, spec.Target.GNMI)
	if err != nil {
		return nil, nil, fmt.Errorf("device %d was migrated onto %s: %w", vid, spec.Target.Addr, err)
	}
	return b, &st, nil
}
