package p4rt

import (
	"context"
	"errors"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/genproto/googleapis/rpc/code"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/lime-p4/lime/p4/stream"
)

// Server is the gRPC P4Runtime service of one Device. Its handlers are
// one-liners over the Device's methods; this is the only place where Go
// errors become gRPC statuses.
type Server struct {
	p4v1.UnimplementedP4RuntimeServer
	d *Device
}

// NewServer returns the gRPC service of d.
func NewServer(d *Device) *Server { return &Server{d: d} }

// Register adds the P4Runtime service of d to a gRPC server.
func Register(g *grpc.Server, d *Device) { p4v1.RegisterP4RuntimeServer(g, NewServer(d)) }

// Write implements the Write RPC.
func (s *Server) Write(ctx context.Context, req *p4v1.WriteRequest) (*p4v1.WriteResponse, error) {
	return &p4v1.WriteResponse{}, toStatus(s.d.Write(ctx, req))
}

// Read implements the Read RPC.
func (s *Server) Read(req *p4v1.ReadRequest, stream p4v1.P4Runtime_ReadServer) error {
	return toStatus(s.d.ReadWire(stream.Context(), req, stream.Send))
}

// SetForwardingPipelineConfig implements the RPC of that name.
func (s *Server) SetForwardingPipelineConfig(ctx context.Context, req *p4v1.SetForwardingPipelineConfigRequest) (*p4v1.SetForwardingPipelineConfigResponse, error) {
	return &p4v1.SetForwardingPipelineConfigResponse{}, toStatus(s.d.SetPipeline(ctx, req))
}

// GetForwardingPipelineConfig implements the RPC of that name.
func (s *Server) GetForwardingPipelineConfig(_ context.Context, req *p4v1.GetForwardingPipelineConfigRequest) (*p4v1.GetForwardingPipelineConfigResponse, error) {
	resp, err := s.d.GetPipeline(req)
	return resp, toStatus(err)
}

// Capabilities implements the Capabilities RPC.
func (s *Server) Capabilities(_ context.Context, req *p4v1.CapabilitiesRequest) (*p4v1.CapabilitiesResponse, error) {
	resp, err := s.d.Capabilities(req)
	return resp, toStatus(err)
}

// StreamChannel implements the StreamChannel RPC over a Session.
func (s *Server) StreamChannel(ss p4v1.P4Runtime_StreamChannelServer) error {
	return toStatus(stream.Serve(ss.Context(), s.d.OpenSession(), ss.Recv, ss.Send))
}

// toStatus turns a Device error into a gRPC status. A *BatchError or
// *ReadError becomes UNKNOWN with one p4.v1.Error per update or entity in
// the grpc-status-details-bin trailer (spec section "Error Reporting
// Messages"); any other error gets the code of the kind it wraps.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	var be *BatchError
	if errors.As(err, &be) {
		return detailed(be.Errors, "Write failure.")
	}
	var re *ReadError
	if errors.As(err, &re) {
		return detailed(re.Errors, "Read failure.")
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.Code(codeOf(err)), err.Error())
}

// detailed builds an UNKNOWN status with a p4.v1.Error per element (OK
// for nil), as PI's P4ErrorReporter does.
func detailed(errs []error, msg string) error {
	sp := &spb.Status{Code: int32(code.Code_UNKNOWN), Message: msg}
	for _, e := range errs {
		pe := &p4v1.Error{}
		if e != nil {
			pe.CanonicalCode = int32(codeOf(e))
			pe.Message = e.Error()
			pe.Space = "ALL-sswitch-p4org"
		}
		a, err := anypb.New(pe)
		if err != nil {
			return status.Error(codes.Internal, "encode error details: "+err.Error())
		}
		sp.Details = append(sp.Details, a)
	}
	return status.FromProto(sp).Err()
}
