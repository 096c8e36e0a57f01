package proxy

import (
	"context"
	"time"

	spb "github.com/openconfig/gnoi/system"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// GNOI serves gNOI's System service on the proxy's address, as a Stratum
// switch serves it beside P4Runtime and gNMI: ONOS's Stratum drivers
// (stratum-bmv2, stratum-tofino, ...) probe whether a device is reachable
// with System.Time, and take a device that does not answer it for gone.
// The proxy answers Time itself (the time of the machine it runs on, as a
// switch answers its own): it is what the controller reaches. A reboot is
// refused, by name: the proxy does not reboot the switches it stands for
// (during a migration that would drop the state it moves); the other RPCs
// are unimplemented, as on a switch without them.
type GNOI struct {
	spb.UnimplementedSystemServer
	// Now gives the time answered; nil: time.Now.
	Now func() time.Time
}

// RegisterGNOI adds the gNOI System service to a gRPC server.
func RegisterGNOI(g *grpc.Server) *GNOI {
	x := &GNOI{}
	spb.RegisterSystemServer(g, x)
	return x
}

// Time implements the gNOI RPC: nanoseconds since the Unix epoch.
func (x *GNOI) Time(context.Context, *spb.TimeRequest) (*spb.TimeResponse, error) {
	now := time.Now
	if x.Now != nil {
		now = x.Now
	}
	return &spb.TimeResponse{Time: uint64(now().UnixNano())}, nil
}

// Reboot implements the gNOI RPC: refused.
func (x *GNOI) Reboot(context.Context, *spb.RebootRequest) (*spb.RebootResponse, error) {
	return nil, errRebootRefused
}

// CancelReboot implements the gNOI RPC: refused, as Reboot is.
func (x *GNOI) CancelReboot(context.Context, *spb.CancelRebootRequest) (*spb.CancelRebootResponse, error) {
	return nil, errRebootRefused
}

var errRebootRefused = status.Error(codes.Unimplemented,
	"lime proxy: reboots are not passed on (during a migration a reboot would drop the state being moved): reboot the switch through its own gNOI address")
