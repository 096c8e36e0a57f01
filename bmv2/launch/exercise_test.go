package launch

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/prototext"

	"github.com/lime-p4/lime/bmv2/devconfig"
	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/internal/fixtures"
)

// exerciseSwitch drives a started switch the way lime uses bmv2: P4Runtime
// Capabilities, arbitration as primary, SetForwardingPipelineConfig
// (VERIFY_AND_COMMIT) with the registers-link_monitor program, then its
// registers over Thrift (P4Runtime register access is UNIMPLEMENTED on
// bmv2): read all, write with truncation to bit<32>, an out-of-range index,
// reset.
func exerciseSwitch(t *testing.T, s *Switch) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := fixtures.Get(t, "registers-link_monitor")
	txt, err := os.ReadFile(p.P4Info)
	if err != nil {
		t.Fatal(err)
	}
	info := &p4configv1.P4Info{}
	if err := prototext.Unmarshal(txt, info); err != nil {
		t.Fatalf("P4Info %s: %v", p.P4Info, err)
	}
	devCfg, err := devconfig.BMv2File(p.JSON)
	if err != nil {
		t.Fatal(err)
	}

	conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := p4v1.NewP4RuntimeClient(conn)
	caps, err := client.Capabilities(ctx, &p4v1.CapabilitiesRequest{})
	if err != nil {
		t.Fatalf("Capabilities: %v", err)
	}
	if caps.GetP4RuntimeApiVersion() == "" || caps.GetP4RuntimeApiVersion() != s.P4RuntimeVersion() {
		t.Errorf("Capabilities version %q, Start saw %q", caps.GetP4RuntimeApiVersion(), s.P4RuntimeVersion())
	}

	// P4Runtime spec §5.3: the client becomes primary by arbitration on the
	// stream before it may set the pipeline.
	sctx, scancel := context.WithCancel(ctx)
	defer scancel()
	stream, err := client.StreamChannel(sctx)
	if err != nil {
		t.Fatal(err)
	}
	election := &p4v1.Uint128{High: 0, Low: 1}
	if err := stream.Send(&p4v1.StreamMessageRequest{Update: &p4v1.StreamMessageRequest_Arbitration{
		Arbitration: &p4v1.MasterArbitrationUpdate{DeviceId: s.DeviceID(), ElectionId: election}}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatalf("arbitration: %v", err)
	}
	if st := resp.GetArbitration().GetStatus(); st.GetCode() != int32(code.Code_OK) {
		t.Fatalf("arbitration status %v, want OK (primary)", st)
	}
	if _, err := client.SetForwardingPipelineConfig(ctx, &p4v1.SetForwardingPipelineConfigRequest{
		DeviceId: s.DeviceID(), ElectionId: election,
		Action: p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT,
		Config: &p4v1.ForwardingPipelineConfig{P4Info: info, P4DeviceConfig: devCfg,
			Cookie: &p4v1.ForwardingPipelineConfig_Cookie{Cookie: 0x11e}},
	}); err != nil {
		t.Fatalf("SetForwardingPipelineConfig: %v", err)
	}

	tc, err := thrift.Dial(ctx, s.ThriftAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	const reg = "MyEgress.byte_cnt_reg" // bit<32>[8]
	all, err := tc.RegisterReadAll(ctx, reg)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 8 {
		t.Errorf("%s has %d cells, want 8", reg, len(all))
	}
	if err := tc.RegisterWrite(ctx, reg, 3, -1); err != nil {
		t.Fatal(err)
	}
	if v, err := tc.RegisterRead(ctx, reg, 3); err != nil || v != 0xffffffff {
		t.Errorf("after writing -1 to bit<32>: %#x, %v; want 0xffffffff", v, err)
	}
	if _, err := tc.RegisterRead(ctx, reg, 8); !errors.Is(err, thrift.RegisterInvalidIndex) {
		t.Errorf("index 8 of 8: %v, want INVALID_INDEX", err)
	}
	if _, err := tc.RegisterRead(ctx, "MyEgress.no_such_reg", 0); !errors.Is(err, thrift.RegisterInvalidName) {
		t.Errorf("unknown register: %v, want INVALID_REGISTER_NAME", err)
	}
	if err := tc.RegisterReset(ctx, reg); err != nil {
		t.Fatal(err)
	}
	if v, err := tc.RegisterRead(ctx, reg, 3); err != nil || v != 0 {
		t.Errorf("after reset: %d, %v; want 0", v, err)
	}
}
