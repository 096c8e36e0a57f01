package proxy

import (
	"context"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc"

	"github.com/lime-p4/lime/p4/stream"
)

// Server is the gRPC P4Runtime service of a Proxy: each handler is a
// one-liner over a Proxy method, and the only place where errors become
// gRPC statuses.
type Server struct {
	p4v1.UnimplementedP4RuntimeServer
	p *Proxy
}

// Register adds the P4Runtime service of p to a gRPC server (its Write
// taken as wire bytes: see rawwrite.go).
func Register(g *grpc.Server, p *Proxy) { g.RegisterService(serviceDesc(), &Server{p: p}) }

// Write implements the Write RPC.
func (s *Server) Write(ctx context.Context, req *p4v1.WriteRequest) (*p4v1.WriteResponse, error) {
	return &p4v1.WriteResponse{}, toStatus(s.p.Write(ctx, req))
}

// writeRaw implements the Write RPC given as wire bytes.
func (s *Server) writeRaw(ctx context.Context, req *rawMessage) (*p4v1.WriteResponse, error) {
	return &p4v1.WriteResponse{}, toStatus(s.p.WriteRaw(ctx, req.XXX_unrecognized))
}

// Read implements the Read RPC.
func (s *Server) Read(req *p4v1.ReadRequest, ss p4v1.P4Runtime_ReadServer) error {
	return toStatus(s.p.Read(ss.Context(), req, ss.Send))
}

// SetForwardingPipelineConfig implements the RPC of that name.
func (s *Server) SetForwardingPipelineConfig(ctx context.Context, req *p4v1.SetForwardingPipelineConfigRequest) (*p4v1.SetForwardingPipelineConfigResponse, error) {
	return &p4v1.SetForwardingPipelineConfigResponse{}, toStatus(s.p.SetPipeline(ctx, req))
}

// GetForwardingPipelineConfig implements the RPC of that name.
func (s *Server) GetForwardingPipelineConfig(ctx context.Context, req *p4v1.GetForwardingPipelineConfigRequest) (*p4v1.GetForwardingPipelineConfigResponse, error) {
	resp, err := s.p.GetPipeline(ctx, req)
	return resp, toStatus(err)
}

// Capabilities implements the Capabilities RPC.
func (s *Server) Capabilities(ctx context.Context, req *p4v1.CapabilitiesRequest) (*p4v1.CapabilitiesResponse, error) {
	resp, err := s.p.Capabilities(ctx, req)
	return resp, toStatus(err)
}

// StreamChannel implements the StreamChannel RPC over a Session.
func (s *Server) StreamChannel(ss p4v1.P4Runtime_StreamChannelServer) error {
	return toStatus(stream.Serve(ss.Context(), s.p.OpenSession(), ss.Recv, ss.Send))
}
