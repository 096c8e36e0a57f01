package proxy

import (
	"context"
	"fmt"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// GetPipeline answers GetForwardingPipelineConfig from the authoritative
// device (spec section 7): the controller's pipeline and cookie pass
// through untouched (ONOS wipes a switch whose cookie differs).
func (d *Device) GetPipeline(ctx context.Context, req *p4v1.GetForwardingPipelineConfigRequest) (*p4v1.GetForwardingPipelineConfigResponse, error) {
	if req.GetDeviceId() != d.id {
		return nil, fmt.Errorf("%w: device %d (this is device %d)", ErrUnknownDevice, req.GetDeviceId(), d.id)
	}
	auth := d.Authoritative()
	if auth.toVirt != nil {
		return nil, fmt.Errorf("device %d: %w: %s runs its own compilation of the program", d.id, ErrMigrating, auth.Name)
	}
	return auth.client.Raw().GetForwardingPipelineConfig(ctx, &p4v1.GetForwardingPipelineConfigRequest{
		DeviceId: auth.client.DeviceID(), ResponseType: req.GetResponseType()})
}

// SetPipeline passes SetForwardingPipelineConfig on to the authoritative
// device, untouched but for the proxy's own election id. While a mirror is
// attached the program cannot change (the mirror runs its own compilation
// of it): only VERIFY passes.
func (d *Device) SetPipeline(ctx context.Context, req *p4v1.SetForwardingPipelineConfigRequest) error {
	if err := d.arb.CheckWriter(req.GetDeviceId(), req.GetRole(), req.GetElectionId()); err != nil {
		return err
	}
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	d.mu.RLock()
	auth, mirror := d.auth, d.mirror
	d.mu.RUnlock()
	if req.GetAction() != p4v1.SetForwardingPipelineConfigRequest_VERIFY && (mirror != nil || auth.toVirt != nil) {
		return fmt.Errorf("device %d: %w: the pipeline cannot change until it ends", d.id, ErrMigrating)
	}
	if auth.toVirt != nil {
		return fmt.Errorf("device %d: %w: %s runs its own compilation of the program", d.id, ErrMigrating, auth.Name)
	}
	_, err := auth.client.Raw().SetForwardingPipelineConfig(ctx, &p4v1.SetForwardingPipelineConfigRequest{
		DeviceId: auth.client.DeviceID(), Role: auth.client.Role(), ElectionId: auth.client.ElectionID().Proto(),
		Action: req.GetAction(), Config: req.GetConfig()})
	if err != nil {
		return err
	}
	switch req.GetAction() {
	case p4v1.SetForwardingPipelineConfigRequest_VERIFY, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_SAVE:
		return nil
	}
	d.digests.reset()
	if err := auth.refreshPipeline(ctx); err != nil {
		d.log.Warn("pipeline set, but reading it back failed", "err", err)
	}
	return nil
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
