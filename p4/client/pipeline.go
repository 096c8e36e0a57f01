package client

import (
	"context"
	"errors"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// SetPipeline sends SetForwardingPipelineConfig with the given action, P4Info,
// target-specific device config (bmv2: its JSON) and cookie, carrying the
// client's device id, election id and role. Only the primary may set the
// pipeline (bmv2 answers PERMISSION_DENIED to a backup).
func (c *Client) SetPipeline(ctx context.Context, action p4v1.SetForwardingPipelineConfigRequest_Action, p4info *p4configv1.P4Info, deviceConfig []byte, cookie uint64) error {
	return c.SetPipelineConfig(ctx, action, &p4v1.ForwardingPipelineConfig{
		P4Info:         p4info,
		P4DeviceConfig: deviceConfig,
		Cookie:         &p4v1.ForwardingPipelineConfig_Cookie{Cookie: cookie},
	})
}

// SetPipelineConfig is SetPipeline with a whole ForwardingPipelineConfig,
// sent untouched (a proxy passes a controller's config through this way). A
// nil config is allowed only with COMMIT, which commits a saved one.
func (c *Client) SetPipelineConfig(ctx context.Context, action p4v1.SetForwardingPipelineConfigRequest_Action, cfg *p4v1.ForwardingPipelineConfig) error {
	if action == p4v1.SetForwardingPipelineConfigRequest_UNSPECIFIED {
		return c.errorf("set pipeline", errors.New("action UNSPECIFIED: choose VERIFY, VERIFY_AND_SAVE, VERIFY_AND_COMMIT, COMMIT or RECONCILE_AND_COMMIT"))
	}
	if cfg == nil && action != p4v1.SetForwardingPipelineConfigRequest_COMMIT {
		return c.errorf("set pipeline", errors.New("no config given for action "+action.String()))
	}
	_, err := c.p4.SetForwardingPipelineConfig(ctx, &p4v1.SetForwardingPipelineConfigRequest{
		DeviceId:   c.deviceID,
		Role:       c.role,
		ElectionId: c.electionProto(),
		Action:     action,
		Config:     cfg,
	})
	if err != nil {
		return c.errorf("set pipeline ("+action.String()+")", err)
	}
	return nil
}

// GetPipeline asks for the device's pipeline config; responseType chooses
// what comes back (ALL, COOKIE_ONLY, P4INFO_AND_COOKIE,
// DEVICE_CONFIG_AND_COOKIE). Before any pipeline is set, servers such as
// bmv2 answer FAILED_PRECONDITION.
func (c *Client) GetPipeline(ctx context.Context, responseType p4v1.GetForwardingPipelineConfigRequest_ResponseType) (*p4v1.ForwardingPipelineConfig, error) {
	resp, err := c.p4.GetForwardingPipelineConfig(ctx, &p4v1.GetForwardingPipelineConfigRequest{
		DeviceId:     c.deviceID,
		ResponseType: responseType,
	})
	if err != nil {
		return nil, c.errorf("get pipeline ("+responseType.String()+")", err)
	}
	return resp.GetConfig(), nil
}
