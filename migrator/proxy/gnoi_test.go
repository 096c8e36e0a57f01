package proxy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	spb "github.com/openconfig/gnoi/system"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/lime-p4/lime/internal/proxytest"
	"github.com/lime-p4/lime/migrator/proxy"
)

// The proxy answers gNOI's System.Time on its P4Runtime address, as a
// Stratum switch does (ONOS's Stratum drivers take a device that does not
// answer it for unreachable: GnoiHandshaker.probeReachability), with the
// time in nanoseconds since the Unix epoch (gnoi/system/system.proto,
// TimeResponse), and refuses reboots by name.
func TestGNOISystem(t *testing.T) {
	addr := proxytest.Serve(t, proxy.New(proxy.Options{}))
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sys := spb.NewSystemClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	before := time.Now()
	r, err := sys.Time(ctx, &spb.TimeRequest{})
	if err != nil {
		t.Fatalf("Time: %v", err)
	}
	if at := time.Unix(0, int64(r.GetTime())); at.Before(before) || at.After(time.Now()) {
		t.Fatalf("Time: %v (%d ns), not between the call's start %v and end", at, r.GetTime(), before)
	}

	_, err = sys.Reboot(ctx, &spb.RebootRequest{Method: spb.RebootMethod_COLD})
	if status.Code(err) != codes.Unimplemented || !strings.Contains(status.Convert(err).Message(), "reboot the switch through its own gNOI") {
		t.Fatalf("Reboot: %v, want UNIMPLEMENTED saying where to reboot the switch", err)
	}
	if _, err := sys.CancelReboot(ctx, &spb.CancelRebootRequest{}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("CancelReboot: %v, want UNIMPLEMENTED", err)
	}
	if _, err := sys.RebootStatus(ctx, &spb.RebootStatusRequest{}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("RebootStatus: %v, want UNIMPLEMENTED (the proxy knows nothing of the switches' reboots)", err)
	}
}

// Time answers what GNOI.Now says.
func TestGNOITimeNow(t *testing.T) {
	at := time.Date(2026, 12, 6, 12, 0, 0, 42, time.UTC)
	x := &proxy.GNOI{Now: func() time.Time { return at }}
	r, err := x.Time(context.Background(), &spb.TimeRequest{})
	if err != nil || r.GetTime() != uint64(at.UnixNano()) {
		t.Fatalf("Time: %v, %v; want %d", r, err, at.UnixNano())
	}
}
