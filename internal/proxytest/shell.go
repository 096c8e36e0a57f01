package proxytest

import (
	"errors"
	"io"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
)

// ShellElection is p4runtime-shell's election id, (0,1).
var ShellElection = &p4v1.Uint128{High: 0, Low: 1}

// Shell is a controller as p4runtime-shell (p4lang's, used as a library)
// is: one stream arbitrated with election id (0,1) and no role, then
// SetForwardingPipelineConfig, GetForwardingPipelineConfig, Write and Read
// with that election id, over plain gRPC.
type Shell struct {
	t      testing.TB
	device uint64
	conn   *grpc.ClientConn
	c      p4v1.P4RuntimeClient
}

// NewShell connects a Shell to device at addr and arbitrates; it must
// become primary (a former controller's stream that is still ending is
// waited for, a second at most). It is closed when the test ends.
func NewShell(t testing.TB, addr string, device uint64) *Shell {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := p4v1.NewP4RuntimeClient(conn)
	sctx := ctx(t)
	for attempt := 0; ; attempt++ {
		stream, err := c.StreamChannel(sctx)
		if err != nil {
			t.Fatal(err)
		}
		err = stream.Send(&p4v1.StreamMessageRequest{Update: &p4v1.StreamMessageRequest_Arbitration{
			Arbitration: &p4v1.MasterArbitrationUpdate{DeviceId: device, ElectionId: ShellElection}}})
		var resp *p4v1.StreamMessageResponse
		if err == nil {
			resp, err = stream.Recv()
		}
		if err == nil && resp.GetArbitration().GetStatus().GetCode() == int32(codes.OK) {
			return &Shell{t: t, device: device, conn: conn, c: c}
		}
		_ = stream.CloseSend()
		if attempt == 50 {
			t.Fatalf("proxytest: the shell is not primary: %v %v", resp, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Close ends the session (the stream and the connection).
func (s *Shell) Close() { s.conn.Close() }

// Set sends SetForwardingPipelineConfig and returns the answer.
func (s *Shell) Set(a p4v1.SetForwardingPipelineConfigRequest_Action, cfg *p4v1.ForwardingPipelineConfig) error {
	_, err := s.c.SetForwardingPipelineConfig(ctx(s.t), &p4v1.SetForwardingPipelineConfigRequest{
		DeviceId: s.device, ElectionId: ShellElection, Action: a, Config: cfg})
	return err
}

// MustSet is Set, failing the test on an error.
func (s *Shell) MustSet(a p4v1.SetForwardingPipelineConfigRequest_Action, cfg *p4v1.ForwardingPipelineConfig) {
	s.t.Helper()
	if err := s.Set(a, cfg); err != nil {
		s.t.Fatalf("%s: %v", a, err)
	}
}

// Get is GetForwardingPipelineConfig's config, failing the test on an error.
func (s *Shell) Get(rt p4v1.GetForwardingPipelineConfigRequest_ResponseType) *p4v1.ForwardingPipelineConfig {
	s.t.Helper()
	resp, err := s.c.GetForwardingPipelineConfig(ctx(s.t), &p4v1.GetForwardingPipelineConfigRequest{DeviceId: s.device, ResponseType: rt})
	if err != nil {
		s.t.Fatalf("GetForwardingPipelineConfig %s: %v", rt, err)
	}
	return resp.GetConfig()
}

// Write sends updates in one WriteRequest, failing the test on an error.
func (s *Shell) Write(ups ...*p4v1.Update) {
	s.t.Helper()
	if _, err := s.c.Write(ctx(s.t), &p4v1.WriteRequest{DeviceId: s.device, ElectionId: ShellElection,
		Updates: ups, Atomicity: p4v1.WriteRequest_CONTINUE_ON_ERROR}); err != nil {
		s.t.Fatalf("write: %v", err)
	}
}

// Read returns what e selects, failing the test on an error.
func (s *Shell) Read(e *p4v1.Entity) []*p4v1.Entity {
	s.t.Helper()
	rc, err := s.c.Read(ctx(s.t), &p4v1.ReadRequest{DeviceId: s.device, Entities: []*p4v1.Entity{e}})
	if err != nil {
		s.t.Fatal(err)
	}
	var out []*p4v1.Entity
	for {
		resp, err := rc.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			s.t.Fatalf("read: %v", err)
		}
		out = append(out, resp.Entities...)
	}
}
