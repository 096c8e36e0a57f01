package proxy

import (
	"bytes"
	"context"
	"fmt"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/p4/translate"
)

// The actions of SetForwardingPipelineConfig (spec section
// "SetForwardingPipelineConfig RPC").
const (
	actVerify    = p4v1.SetForwardingPipelineConfigRequest_VERIFY
	actSave      = p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_SAVE
	actCommitNew = p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT
	actCommit    = p4v1.SetForwardingPipelineConfigRequest_COMMIT
	actReconcile = p4v1.SetForwardingPipelineConfigRequest_RECONCILE_AND_COMMIT
)

// changesPipeline reports whether an action changes the pipeline that
// Read and Write refer to: VERIFY_AND_SAVE does already (subsequent
// requests use the saved config, and PI replaces its P4Info then).
func changesPipeline(a p4v1.SetForwardingPipelineConfigRequest_Action) bool {
	switch a {
	case actSave, actCommitNew, actCommit, actReconcile:
		return true
	}
	return false
}

// setPipelineRaw sends SetForwardingPipelineConfig to b as the proxy, and
// returns b's answer as it gave it.
func (b *Backend) setPipelineRaw(ctx context.Context, a p4v1.SetForwardingPipelineConfigRequest_Action, cfg *p4v1.ForwardingPipelineConfig) error {
	_, err := b.client.Raw().SetForwardingPipelineConfig(ctx, &p4v1.SetForwardingPipelineConfigRequest{
		DeviceId: b.client.DeviceID(), Role: b.client.Role(), ElectionId: b.client.ElectionID().Proto(),
		Action: a, Config: cfg})
	return err
}

// samePipeline reports whether cfg is the program of cur (the same P4Info
// and device config; the cookie only names it).
func samePipeline(cfg, cur *p4v1.ForwardingPipelineConfig) bool {
	return cfg != nil && cur != nil && proto.Equal(cfg.GetP4Info(), cur.GetP4Info()) &&
		bytes.Equal(cfg.GetP4DeviceConfig(), cur.GetP4DeviceConfig())
}

// sameIDs reports whether every object of a has the same id in b.
func sameIDs(a, b *info.Info) bool {
	if a == nil || b == nil {
		return false
	}
	for _, o := range a.Objects() {
		x, ok := b.LookupName(o.Kind(), o.Pre().Name)
		if !ok || x.Pre().ID != o.Pre().ID {
			return false
		}
	}
	return true
}

// setMigratingPipeline answers a pipeline push while a mirror is attached
// to auth: what keeps the forwarding state and the program as they are
// passes to the source (VERIFY of any program; RECONCILE_AND_COMMIT of the
// running one, whose new cookie the cut over takes from the source). The
// rest would clear the switch being copied, or change its program under
// the mirror's own compilation, and is refused, saying so and what to do.
func (d *Device) setMigratingPipeline(ctx context.Context, auth, mirror *Backend, req *p4v1.SetForwardingPipelineConfigRequest) error {
	act, cfg := req.GetAction(), req.GetConfig()
	if act == actVerify || !changesPipeline(act) { // an unknown action: the switch answers it
		return auth.setPipelineRaw(ctx, act, cfg)
	}
	running, err := auth.client.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_ALL)
	if err != nil {
		return fmt.Errorf("device %d: reading the pipeline of %s: %w", d.id, auth.Name, err)
	}
	same := samePipeline(cfg, running)
	if act == actReconcile && same {
		if err := auth.setPipelineRaw(ctx, act, cfg); err != nil {
			return err
		}
		d.digests.reset()
		if err := auth.refreshPipeline(ctx); err != nil {
			d.log.Warn("pipeline reconciled, but reading it back failed", "err", err)
		}
		d.log.Info("pipeline reconciled during a migration", "switch", auth.Name, "cookie", cfg.GetCookie().GetCookie())
		return nil
	}
	var what string
	switch {
	case act == actCommit:
		what = fmt.Sprintf("COMMIT would realise a saved pipeline on %s", auth.Name)
	case !same:
		what = fmt.Sprintf("%s of another program would change the program of %s", act, auth.Name)
	case act == actSave:
		what = fmt.Sprintf("VERIFY_AND_SAVE would put a new pipeline, and a new forwarding state, on %s", auth.Name)
	default:
		what = fmt.Sprintf("VERIFY_AND_COMMIT clears the forwarding state of %s", auth.Name)
	}
	err = fmt.Errorf("device %d: %w: %s while it is being migrated onto %s, which runs its own compilation of the program "+
		"and is being given the same state; push it again once the migration has cut over (lime status) or after lime abort. "+
		"Meanwhile VERIFY, and RECONCILE_AND_COMMIT of the running program, are accepted", d.id, ErrMigrating, what, mirror.Name)
	d.log.Warn("pipeline push refused during a migration", "action", act.String(), "same_program", same, "mirror", mirror.Name, "err", err)
	return err
}

// setMigratedPipeline answers a pipeline push after the cut over, where
// the proxy stands for the target auth with the controller's program
// (d.virtual) and port map (d.cutMap), as the switch the controller knew
// would:
//   - VERIFY of the controller's program is answered OK (the target runs
//     it); of another, the target verifies it;
//   - VERIFY_AND_SAVE, VERIFY_AND_COMMIT and RECONCILE_AND_COMMIT of the
//     controller's program push the target's own compilation of it, with
//     the request's cookie, with the same action: the target clears (or
//     keeps) its state as the switch would, the translation stays;
//   - those of another program push it to the target as it is (a program
//     compiled for the switch the controller knew: the target must run
//     the same kind of program, or it refuses), and the translation is
//     rebuilt for it: ids the same on both sides, ports still by the port
//     map, since the controller's port numbers stay those of the switch
//     it knew (its interfaces, packet-ins, ...); the port fields are found
//     in the new program by the proxy's port rules. RECONCILE_AND_COMMIT
//     of another program is refused when the target's ids differ from the
//     controller's (the target could not map its state onto the new ids);
//   - COMMIT passes to the target (the pipeline it realises was taken at
//     VERIFY_AND_SAVE).
//
// The controller's pipeline, with its cookie, becomes the request's; a
// push that clears the state drops the counter offsets kept from the
// source. A journal (Options.CutOvers) keeps the new state.
func (d *Device) setMigratedPipeline(ctx context.Context, auth *Backend, req *p4v1.SetForwardingPipelineConfigRequest) error {
	act, cfg := req.GetAction(), req.GetConfig()
	d.mu.RLock()
	virtual, vinfo, ports := d.virtual, d.vinfo, d.cutMap
	d.mu.RUnlock()
	same := samePipeline(cfg, virtual)
	switch {
	case act == actVerify && same:
		return nil
	case act == actVerify, act == actCommit, !changesPipeline(act):
		return auth.setPipelineRaw(ctx, act, cfg)
	}
	push := cfg
	if same {
		own, err := auth.client.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_ALL)
		if err != nil {
			return fmt.Errorf("device %d: reading the pipeline of %s: %w", d.id, auth.Name, err)
		}
		push = &p4v1.ForwardingPipelineConfig{P4Info: own.GetP4Info(), P4DeviceConfig: own.GetP4DeviceConfig(), Cookie: cfg.GetCookie()}
	} else if act == actReconcile && cfg != nil && !sameIDs(vinfo, auth.Info()) {
		err := fmt.Errorf("device %d: %w: RECONCILE_AND_COMMIT of another program cannot keep the forwarding state: "+
			"%s, where the device was migrated, holds it under its own compilation's ids, not the controller's; "+
			"push the program with VERIFY_AND_COMMIT (the state is cleared, as on any switch)", d.id, ErrInvalid, auth.Name)
		d.log.Warn("pipeline push refused after the cut over", "action", act.String(), "err", err)
		return err
	}
	if err := auth.setPipelineRaw(ctx, act, push); err != nil {
		return err
	}
	d.digests.reset()
	if err := auth.refreshPipeline(ctx); err != nil {
		return fmt.Errorf("device %d: %w: the pipeline is set on %s, but reading it back failed: %w", d.id, ErrBackend, auth.Name, err)
	}
	if !same {
		var err error
		if vinfo, err = auth.Index(cfg.GetP4Info()); err != nil {
			return fmt.Errorf("device %d: %w: the pipeline is set on %s: %w", d.id, ErrBackend, auth.Name, err)
		}
		tr, err := translate.New(vinfo, auth.Info(), translate.WithPorts(ports))
		if err == nil {
			err = auth.setTranslators(tr)
		}
		if err != nil {
			return fmt.Errorf("device %d: %w: the pipeline is set on %s, but the proxy cannot translate it: %w", d.id, ErrBackend, auth.Name, err)
		}
	}
	d.mu.Lock()
	d.virtual, d.vinfo = proto.Clone(cfg).(*p4v1.ForwardingPipelineConfig), vinfo
	if !(same && act == actReconcile) {
		d.offsets = nil // a new forwarding state counts from zero
	}
	d.mu.Unlock()
	d.log.Info("pipeline set after the cut over", "action", act.String(), "same_program", same, "switch", auth.Name, "cookie", cfg.GetCookie().GetCookie())
	if j, st := d.opts.CutOvers, d.CutOverState(); j != nil && st != nil {
		if err := j.SaveCutOver(d.id, st); err != nil {
			d.log.Error("the pipeline is set, but the journal did not keep it: a restarted proxy would stand for the former one", "err", err)
		}
	}
	return nil
}
