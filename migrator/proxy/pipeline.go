package proxy

import (
	"context"
	"fmt"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"
)

// GetPipeline answers GetForwardingPipelineConfig from the authoritative
// device (spec section 7): the controller's pipeline and cookie pass
// through untouched (ONOS wipes a switch whose cookie differs).
func (d *Device) GetPipeline(ctx context.Context, req *p4v1.GetForwardingPipelineConfigRequest) (*p4v1.GetForwardingPipelineConfigResponse, error) {
	if req.GetDeviceId() != d.id {
		return nil, fmt.Errorf("%w: device %d (this is device %d)", ErrUnknownDevice, req.GetDeviceId(), d.id)
	}
	if err := d.checkHeld(); err != nil {
		return nil, err
	}
	d.mu.RLock()
	auth, origin, virtual := d.auth, d.origin, d.virtual
	d.mu.RUnlock()
	if auth == origin {
		return auth.client.Raw().GetForwardingPipelineConfig(ctx, &p4v1.GetForwardingPipelineConfigRequest{
			DeviceId: auth.client.DeviceID(), ResponseType: req.GetResponseType()})
	}
	// Cut over: the pipeline the controller knows, kept from the source.
	cfg := &p4v1.ForwardingPipelineConfig{Cookie: virtual.GetCookie()}
	switch req.GetResponseType() {
	case p4v1.GetForwardingPipelineConfigRequest_ALL:
		cfg.P4Info, cfg.P4DeviceConfig = virtual.GetP4Info(), virtual.GetP4DeviceConfig()
	case p4v1.GetForwardingPipelineConfigRequest_P4INFO_AND_COOKIE:
		cfg.P4Info = virtual.GetP4Info()
	case p4v1.GetForwardingPipelineConfigRequest_DEVICE_CONFIG_AND_COOKIE:
		cfg.P4DeviceConfig = virtual.GetP4DeviceConfig()
	}
	return &p4v1.GetForwardingPipelineConfigResponse{Config: cfg}, nil
}

// SetPipeline answers SetForwardingPipelineConfig (spec section
// "SetForwardingPipelineConfig RPC") as the switch the controller knows
// would, with every action:
//   - before any migration, the request goes to the switch untouched but
//     for the proxy's own election id;
//   - while a mirror is attached, what leaves the forwarding state and the
//     program as they are passes to the source (VERIFY of any program,
//     RECONCILE_AND_COMMIT of the running one); anything else would clear
//     or change the switch being copied under the migration, and is
//     refused, saying so and what to do (setMigratingPipeline) — but for
//     a source that restarted, which the controller sets up again with
//     the program it ran (setsUpAgain);
//   - after a cut over, the proxy stands for the target with a port map:
//     see setMigratedPipeline.
func (d *Device) SetPipeline(ctx context.Context, req *p4v1.SetForwardingPipelineConfigRequest) error {
	if err := d.arb.CheckWriter(req.GetDeviceId(), req.GetRole(), req.GetElectionId()); err != nil {
		return err
	}
	if err := d.checkHeld(); err != nil {
		return err
	}
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	d.mu.RLock()
	auth, mirror, origin := d.auth, d.mirror, d.origin
	d.mu.RUnlock()
	switch {
	case auth != origin:
		return d.setMigratedPipeline(ctx, auth, req)
	case mirror != nil && !d.setsUpAgain(auth, req):
		return d.setMigratingPipeline(ctx, auth, mirror, req)
	}
	if err := auth.setPipelineRaw(ctx, req.GetAction(), req.GetConfig()); err != nil {
		return err
	}
	if !changesPipeline(req.GetAction()) {
		return nil
	}
	d.digests.reset()
	if err := auth.refreshPipeline(ctx); err != nil {
		d.log.Warn("pipeline set, but reading it back failed", "err", err)
	}
	d.mu.Lock()
	d.vinfo = auth.Info()
	d.mu.Unlock()
	return nil
}

// setsUpAgain reports whether req sets a source that restarted (it runs no
// pipeline any more) up again with the program it ran: the controller
// does what it would without lime, and the migration, stopped by the
// restart, brings its target in line afterwards.
func (d *Device) setsUpAgain(auth *Backend, req *p4v1.SetForwardingPipelineConfigRequest) bool {
	d.mu.RLock()
	vinfo := d.vinfo
	d.mu.RUnlock()
	return auth.Info() == nil && vinfo != nil && proto.Equal(req.GetConfig().GetP4Info(), vinfo.Proto)
}

// Capabilities is the authoritative device's answer.
func (d *Device) Capabilities(ctx context.Context, req *p4v1.CapabilitiesRequest) (*p4v1.CapabilitiesResponse, error) {
	auth := d.Authoritative()
	var id uint64
	if req.GetDeviceId() != 0 {
		id = auth.client.DeviceID()
	}
	return auth.client.Raw().Capabilities(ctx, &p4v1.CapabilitiesRequest{DeviceId: id})
}
