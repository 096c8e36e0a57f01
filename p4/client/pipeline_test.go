package client

import (
	"strings"
	"testing"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/p4test"
	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// loadPipeline reads a shared compiled pipeline's P4Info and bmv2 JSON.
func loadPipeline(t *testing.T, name string) (*p4configv1.P4Info, []byte) {
	t.Helper()
	cfg := p4test.Config(t, fixtures.Get(t, name), 0)
	return cfg.P4Info, cfg.P4DeviceConfig
}

// SetForwardingPipelineConfig carries device id, election id, role and the
// cookie; GetForwardingPipelineConfig honours the response type (spec
// "GetForwardingPipelineConfig RPC"; bmv2: COOKIE_ONLY returns the cookie
// alone, FAILED_PRECONDITION before any pipeline, PERMISSION_DENIED for a
// backup's Set).
func TestPipeline(t *testing.T) {
	info, json := loadPipeline(t, "onos-basic")
	f := newFakeServer()
	addr := f.start(t)
	c, _ := primary(t, addr, 10)
	ctx := ctx5s(t)

	if _, err := c.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_ALL); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("get before set: %v, want FAILED_PRECONDITION", err)
	}
	const cookie = 0xfeedbeef12345678
	if err := c.SetPipeline(ctx, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, info, json, cookie); err != nil {
		t.Fatalf("SetPipeline: %v", err)
	}

	tests := []struct {
		rt                        p4v1.GetForwardingPipelineConfigRequest_ResponseType
		wantP4Info, wantDevConfig bool
	}{
		{p4v1.GetForwardingPipelineConfigRequest_ALL, true, true},
		{p4v1.GetForwardingPipelineConfigRequest_COOKIE_ONLY, false, false},
		{p4v1.GetForwardingPipelineConfigRequest_P4INFO_AND_COOKIE, true, false},
		{p4v1.GetForwardingPipelineConfigRequest_DEVICE_CONFIG_AND_COOKIE, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.rt.String(), func(t *testing.T) {
			cfg, err := c.GetPipeline(ctx, tt.rt)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.GetCookie().GetCookie() != cookie {
				t.Errorf("cookie %#x, want %#x", cfg.GetCookie().GetCookie(), uint64(cookie))
			}
			if got := cfg.GetP4Info() != nil; got != tt.wantP4Info || (got && !proto.Equal(cfg.GetP4Info(), info)) {
				t.Errorf("P4Info present %v (equal to the one set?), want %v", got, tt.wantP4Info)
			}
			if got := len(cfg.GetP4DeviceConfig()) > 0; got != tt.wantDevConfig || (got && string(cfg.GetP4DeviceConfig()) != string(json)) {
				t.Errorf("device config present %v, want %v", got, tt.wantDevConfig)
			}
		})
	}

	// A backup may not set the pipeline.
	b := dial(t, addr, 5, nil)
	arbitrate(t, b)
	err := b.SetPipeline(ctx, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, info, json, 1)
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "VERIFY_AND_COMMIT") {
		t.Errorf("backup SetPipeline: %v, want PERMISSION_DENIED naming the action", err)
	}

	// Refused locally.
	if err := c.SetPipeline(ctx, p4v1.SetForwardingPipelineConfigRequest_UNSPECIFIED, info, json, 1); err == nil || !strings.Contains(err.Error(), "UNSPECIFIED") {
		t.Errorf("UNSPECIFIED action: %v, want a local error", err)
	}
	if err := c.SetPipelineConfig(ctx, p4v1.SetForwardingPipelineConfigRequest_VERIFY, nil); err == nil || !strings.Contains(err.Error(), "no config") {
		t.Errorf("nil config with VERIFY: %v, want a local error", err)
	}
}

// Capabilities reports the server's P4Runtime version (bmv2: 1.3.0).
func TestCapabilities(t *testing.T) {
	f := newFakeServer()
	addr := f.start(t)
	c := dial(t, addr, 1, nil)
	resp, err := c.Capabilities(ctx5s(t))
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetP4RuntimeApiVersion() != "1.3.0" {
		t.Errorf("version %q, want 1.3.0", resp.GetP4RuntimeApiVersion())
	}
}
