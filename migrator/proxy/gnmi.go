package proxy

import (
	"context"
	"strconv"
	"sync"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lime-p4/lime/gnmi"
)

// GNMI serves the virtual devices' interfaces (Interfaces) over gNMI on
// the proxy's address, as a Stratum switch serves gNMI beside P4Runtime:
// each device is the gNMI target named by its id ("1"); a request naming
// no target goes to the device when there is one.
type GNMI struct {
	gpb.UnimplementedGNMIServer
	p *Proxy

	mu      sync.Mutex
	servers map[uint64]*gnmi.Server
}

// RegisterGNMI adds the gNMI service of p's devices to a gRPC server.
func RegisterGNMI(g *grpc.Server, p *Proxy) *GNMI {
	x := &GNMI{p: p, servers: map[uint64]*gnmi.Server{}}
	gpb.RegisterGNMIServer(g, x)
	return x
}

// Close stops the devices' gNMI servers.
func (x *GNMI) Close() {
	x.mu.Lock()
	defer x.mu.Unlock()
	for id, s := range x.servers {
		s.Close()
		delete(x.servers, id)
	}
}

// server is the gNMI server of the device a target names.
func (x *GNMI) server(target string) (*gnmi.Server, error) { return x.serverOr(target, 0) }

// serverOr is the gNMI server of the device a target names; with dflt
// (not 0), the address stands for that device alone: no target, or its
// own id. Else no target names the proxy's only device.
func (x *GNMI) serverOr(target string, dflt uint64) (*gnmi.Server, error) {
	var d *Device
	switch {
	case dflt != 0 && target != "" && target != strconv.FormatUint(dflt, 10):
		return nil, status.Errorf(codes.NotFound, "target %q: this address stands for device %d alone", target, dflt)
	case dflt != 0:
		if d = x.p.Device(dflt); d == nil {
			return nil, status.Errorf(codes.NotFound, "the proxy stands for no device %d", dflt)
		}
	case target == "":
		ds := x.p.Devices()
		if len(ds) != 1 {
			return nil, status.Errorf(codes.InvalidArgument, "the proxy stands for %d devices: name one as the target (its id), or serve each on an address of its own (lime proxy --device ...,listen=HOST:PORT)", len(ds))
		}
		d = ds[0]
	default:
		id, err := strconv.ParseUint(target, 10, 64)
		if err == nil {
			d = x.p.Device(id)
		}
		if d == nil {
			return nil, status.Errorf(codes.NotFound, "target %q: the proxy stands for no such device (targets are device ids)", target)
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if s := x.servers[d.ID()]; s != nil {
		return s, nil
	}
	s, err := gnmi.NewServer(d.Interfaces(), gnmi.Options{Target: strconv.FormatUint(d.ID(), 10), Logger: d.log})
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "device %d: %v", d.ID(), err)
	}
	x.servers[d.ID()] = s
	return s, nil
}

// ForDevice is x as the gNMI service of an address that stands for
// device vid alone, as a switch's own address does: a request that names
// no target is the device's (ONOS's gNMI drivers name none); one that
// names another device is refused (NOT_FOUND): a client pointed at the
// wrong address must not get another switch's ports.
func (x *GNMI) ForDevice(vid uint64) gpb.GNMIServer { return &deviceGNMI{x: x, vid: vid} }

type deviceGNMI struct {
	gpb.UnimplementedGNMIServer
	x   *GNMI
	vid uint64
}

func (g *deviceGNMI) Capabilities(ctx context.Context, req *gpb.CapabilityRequest) (*gpb.CapabilityResponse, error) {
	s, err := g.x.serverOr("", g.vid)
	if err != nil {
		return nil, err
	}
	return s.Capabilities(ctx, req)
}

func (g *deviceGNMI) Get(ctx context.Context, req *gpb.GetRequest) (*gpb.GetResponse, error) {
	return g.x.get(ctx, req, g.vid)
}

func (g *deviceGNMI) Set(ctx context.Context, req *gpb.SetRequest) (*gpb.SetResponse, error) {
	return g.x.set(ctx, req, g.vid)
}

func (g *deviceGNMI) Subscribe(stream gpb.GNMI_SubscribeServer) error {
	return g.x.subscribe(stream, g.vid)
}

// Capabilities implements the gNMI RPC.
func (x *GNMI) Capabilities(ctx context.Context, req *gpb.CapabilityRequest) (*gpb.CapabilityResponse, error) {
	s, err := x.server("")
	if err != nil {
		for _, d := range x.p.Devices() {
			if s, err = x.server(strconv.FormatUint(d.ID(), 10)); err == nil {
				break
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return s.Capabilities(ctx, req)
}

// Get implements the gNMI RPC.
func (x *GNMI) Get(ctx context.Context, req *gpb.GetRequest) (*gpb.GetResponse, error) {
	return x.get(ctx, req, 0)
}

// Set implements the gNMI RPC.
func (x *GNMI) Set(ctx context.Context, req *gpb.SetRequest) (*gpb.SetResponse, error) {
	return x.set(ctx, req, 0)
}

// Subscribe implements the gNMI RPC: the first request names the target.
func (x *GNMI) Subscribe(stream gpb.GNMI_SubscribeServer) error { return x.subscribe(stream, 0) }

// get, set and subscribe serve a request on the device its target names,
// or dflt (see serverOr).
func (x *GNMI) get(ctx context.Context, req *gpb.GetRequest, dflt uint64) (*gpb.GetResponse, error) {
	s, err := x.serverOr(req.GetPrefix().GetTarget(), dflt)
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, req)
}

func (x *GNMI) set(ctx context.Context, req *gpb.SetRequest, dflt uint64) (*gpb.SetResponse, error) {
	s, err := x.serverOr(req.GetPrefix().GetTarget(), dflt)
	if err != nil {
		return nil, err
	}
	return s.Set(ctx, req)
}

func (x *GNMI) subscribe(stream gpb.GNMI_SubscribeServer, dflt uint64) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	s, err := x.serverOr(first.GetSubscribe().GetPrefix().GetTarget(), dflt)
	if err != nil {
		return err
	}
	return s.Subscribe(&replayed{GNMI_SubscribeServer: stream, first: first})
}

// replayed gives a stream's first request again, then the rest.
type replayed struct {
	gpb.GNMI_SubscribeServer
	first *gpb.SubscribeRequest
}

func (r *replayed) Recv() (*gpb.SubscribeRequest, error) {
	if f := r.first; f != nil {
		r.first = nil
		return f, nil
	}
	return r.GNMI_SubscribeServer.Recv()
}
