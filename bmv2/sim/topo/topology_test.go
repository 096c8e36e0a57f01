package topo_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/lime-p4/lime/bmv2/sim/topo"
	"github.com/lime-p4/lime/bmv2/thrift"
	gclient "github.com/lime-p4/lime/gnmi/client"
	"github.com/lime-p4/lime/internal/fixtures"
)

// TestParseErrors: every malformed topology is refused with an error
// naming the problem.
func TestParseErrors(t *testing.T) {
	base := "devices:\n  - {name: s1, device_id: 1, p4runtime: '127.0.0.1:0', ports: [{name: a, id: 1}, {name: b, id: 2}]}\n"
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"no devices", "profile: bmv2\n", "no devices"},
		{"unknown key", base + "extra: 1\n", "field extra not found"},
		{"bad profile", "profile: fast\n" + base, `profile "fast"`},
		{"no name", "devices:\n  - {device_id: 1, p4runtime: ':1'}\n", "no name"},
		{"device id 0", "devices:\n  - {name: s1, p4runtime: ':1'}\n", "device_id must be set"},
		{"duplicate device id", base + "  - {name: s2, device_id: 1, p4runtime: ':2'}\n", "device_id 1 already used"},
		{"duplicate name", base + "  - {name: s1, device_id: 2, p4runtime: ':2'}\n", "name used twice"},
		{"duplicate address", "devices:\n  - {name: s1, device_id: 1, p4runtime: ':5'}\n  - {name: s2, device_id: 2, p4runtime: ':5'}\n", "already used"},
		{"bad address", "devices:\n  - {name: s1, device_id: 1, p4runtime: 'nowhere'}\n", "address"},
		{"duplicate port id", "devices:\n  - {name: s1, device_id: 1, p4runtime: ':1', ports: [{name: a, id: 1}, {name: b, id: 1}]}\n", "port id 1 used twice"},
		{"link to unknown device", base + "links: [[s1:a, s9:a]]\n", `no device "s9"`},
		{"link to unknown port", base + "links: [[s1:a, s1:z]]\n", `no port "z"`},
		{"port in two links", base + "links: [[s1:a, s1:b], [s1:a, s1:b]]\n", "in another link"},
		{"bad endpoint", base + "links: [[s1a, s1:b]]\n", "want device:port"},
		{"three ends", base + "links: [[s1:a, s1:b, s1:a]]\n", "exactly two"},
	} {
		_, err := topo.Parse([]byte(tc.yaml), "")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// TestExampleParses: the example topology shipped with the simulator is
// valid.
func TestExampleParses(t *testing.T) {
	tp, err := topo.Load(filepath.Join("..", "testdata", "two-switches.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tp.Devices) != 2 || len(tp.Links) != 1 {
		t.Errorf("example: %d devices, %d links", len(tp.Devices), len(tp.Links))
	}
}

// TestStartNetwork brings up two devices on loopback with a preloaded
// pipeline, a link and Thrift, and talks to each over P4Runtime, gNMI and
// Thrift; Shutdown stops them within its bound.
func TestStartNetwork(t *testing.T) {
	dir := fixtures.Get(t, "onos-basic").Dir
	yaml := `
pipeline: ` + dir + `
devices:
  - name: s1
    device_id: 1
    p4runtime: 127.0.0.1:0
    thrift: 127.0.0.1:0
    ports: [{name: eth1, id: 1}, {name: trunk, id: 9}]
  - name: s2
    device_id: 2
    p4runtime: 127.0.0.1:0
    profile: spec
    pipeline: none
    ports: [{name: eth1, id: 1}, {name: trunk, id: 9}]
links:
  - {a: s1:trunk, b: s2:trunk}
`
	tp, err := topo.Parse([]byte(yaml), "")
	if err != nil {
		t.Fatal(err)
	}
	n, err := topo.Start(tp, topo.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, r := range n.Devices() {
		conn, err := grpc.NewClient(r.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		c := p4v1.NewP4RuntimeClient(conn)
		caps, err := c.Capabilities(ctx, &p4v1.CapabilitiesRequest{})
		if err != nil {
			t.Fatalf("%s: Capabilities: %v", r.Spec.Name, err)
		}
		wantVersion := map[string]string{"s1": "1.3.0", "s2": "1.5.0"}[r.Spec.Name]
		if caps.P4RuntimeApiVersion != wantVersion {
			t.Errorf("%s: version %s, want %s", r.Spec.Name, caps.P4RuntimeApiVersion, wantVersion)
		}
		got, err := c.GetForwardingPipelineConfig(ctx, &p4v1.GetForwardingPipelineConfigRequest{DeviceId: r.Spec.DeviceID, ResponseType: p4v1.GetForwardingPipelineConfigRequest_COOKIE_ONLY})
		if r.Spec.Name == "s1" && err != nil {
			t.Errorf("s1: pipeline not preloaded: %v", err)
		}
		if r.Spec.Name == "s2" && (err != nil || got.GetConfig() != nil) {
			t.Errorf("s2 (pipeline none, spec profile): %v %v, want no config", got, err)
		}
		gc := gclient.New(conn)
		if id, err := gc.PortID(ctx, "trunk"); err != nil || id != 9 {
			t.Errorf("%s: gNMI trunk id %d, %v", r.Spec.Name, id, err)
		}
		if st, err := gc.OperStatus(ctx, "trunk"); err != nil || st != "UP" {
			t.Errorf("%s: trunk oper-status %s, %v (linked to the other device)", r.Spec.Name, st, err)
		}
	}
	s1 := n.Device("s1")
	tc, err := thrift.Dial(ctx, s1.ThriftAddr)
	if err != nil {
		t.Fatal(err)
	}
	ports, err := tc.DevMgrShowPorts(ctx)
	tc.Close()
	if err != nil || len(ports) != 2 {
		t.Errorf("Thrift ports: %+v, %v", ports, err)
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	start := time.Now()
	n.Shutdown(sctx)
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	select {
	case err := <-n.Err():
		t.Errorf("a server failed: %v", err)
	default:
	}
}

// TestStartFailsCleanly: a topology that cannot start (a missing pipeline)
// is refused with the device named, and nothing stays listening.
func TestStartFailsCleanly(t *testing.T) {
	tp, err := topo.Parse([]byte("devices:\n  - {name: s1, device_id: 1, p4runtime: '127.0.0.1:0', pipeline: /nonexistent/dir}\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := topo.Start(tp, topo.Options{Logger: slog.New(slog.DiscardHandler)}); err == nil || !strings.Contains(err.Error(), `device "s1"`) {
		t.Errorf("Start: %v, want an error naming device s1", err)
	}
}
