//go:build linux

package difftest

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/p4test"
)

// Environment variables that make the differential test longer (make
// fuzz): how many seeds per program, and how many steps per session.
const (
	EnvSeeds = "LIME_DIFFTEST_SEEDS"
	EnvSteps = "LIME_DIFFTEST_STEPS"
)

// Defaults of make test: bounded to well under a minute for every program
// on two cores.
const (
	defaultSeeds = 2
	defaultSteps = 60
)

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// Issue 16: seeded random P4Runtime sessions (arbitration, pipeline
// pushes, writes of every entity kind with good and bad fields and every
// update type and atomicity, wildcard and filtered reads) on the simulator
// (bmv2 profile) and real simple_switch_grpc, for every shared program
// that bmv2 can load, answer alike request by request (P4Runtime spec
// sections 11 "Read RPC", 12 "Write RPC", 5 "Arbitration", 13
// "SetForwardingPipelineConfig"; codes, per-update codes, entities read in
// any order). A divergence fails the test with the shortest session that
// shows it.
func TestDifferential(t *testing.T) {
	seeds, steps := envInt(t, EnvSeeds, defaultSeeds), envInt(t, EnvSteps, defaultSteps)
	p := startPair(t)
	start := time.Now()
	compared, sessions := 0, 0
	for _, fx := range fixtures.All(t) {
		t.Run(fx.Name, func(t *testing.T) {
			if fx.JSON == "" {
				t.Skipf("%s has a P4Info and no bmv2 JSON: nothing for bmv2 to load", fx.Name)
			}
			p.Start = startRequest(t, fx)
			prog := Program{Info: p4test.Index(t, p.Start.Config.P4Info), Config: p.Start.Config, DeviceID: deviceID}
			for seed := uint64(1); seed <= uint64(seeds); seed++ {
				compared += check(t, p, fx.Name, Generate(prog, seed, steps))
				sessions++
				if t.Failed() {
					t.Logf("seed %d", seed)
					return
				}
			}
		})
	}
	t.Logf("%d requests compared in %d sessions (%d seeds of %d steps per program) in %v", compared, sessions, seeds, steps, time.Since(start).Round(time.Millisecond))
}
