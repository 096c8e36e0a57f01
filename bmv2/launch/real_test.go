package launch

import (
	"context"
	"testing"
	"time"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/freeport"
)

// TestRealBMv2 starts a real simple_switch_grpc wherever this machine has
// one (the build shared beside the checkout, native on PATH, or a Docker
// engine with the p4lang/behavioral-model image, pulled if need be), pushes the registers-link_monitor pipeline over
// P4Runtime and reads and writes its registers over Thrift. Elsewhere it
// skips, saying what it looked for.
func TestRealBMv2(t *testing.T) {
	if testing.Short() {
		t.Skip("real bmv2 test skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	binary := ""
	mode, why := ModeNative, "the shared build"
	if bin, ok := fixtures.BMv2(); ok {
		binary, why = bin, bin
	} else if mode, why = Available(ctx, Config{}); mode == ModeUnavailable {
		t.Skipf("no real bmv2 to test against: looked for ../shared/tools/bmv2, for %s on PATH and for a Docker engine answering \"docker info\": %s", DefaultBinary, why)
	}
	t.Logf("using %v: %s", mode, why)
	s, err := Start(ctx, Config{
		Mode: mode, Binary: binary, DeviceID: 1,
		GRPCHost: "127.0.0.1", GRPCPort: freeport.Port(t), ThriftPort: freeport.Port(t),
		LogFile: t.TempDir() + "/bmv2", LogLevel: "info",
		StartTimeout: 2 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	}()
	t.Logf("argv %q, P4Runtime %s", s.Argv(), s.P4RuntimeVersion())
	exerciseSwitch(t, s)
}
