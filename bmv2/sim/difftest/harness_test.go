//go:build linux

package difftest

import (
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/test/lab"
)

// deviceID is the device id of both switches.
const deviceID = 1

// cpuPort is both switches' CPU port (simple_switch_grpc's --cpu-port).
const cpuPort = 255

// startPair starts a simulated switch (profile bmv2) and a real
// simple_switch_grpc, both without a program, and connects to them.
func startPair(t *testing.T) *Pair {
	t.Helper()
	real := lab.RealBMv2(t)
	spec := lab.Spec{Name: "real", DeviceID: deviceID, CPUPort: cpuPort}
	rs := real.StartOn(t, spec, nil)
	spec.Name = "sim"
	ss := lab.Sim{Links: lab.Memory}.Start(t, spec)
	p := &Pair{}
	var err error
	if p.Sim, err = Dial("simulator", ss.Addr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Sim.Close() })
	if p.Real, err = Dial("real bmv2", rs.Addr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Real.Close() })
	return p
}

// startRequest is the push of fx that starts every replay.
func startRequest(t *testing.T, fx fixtures.Pipeline) *p4v1.SetForwardingPipelineConfigRequest {
	return &p4v1.SetForwardingPipelineConfigRequest{DeviceId: deviceID, Action: p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT,
		Config: p4test.Config(t, fx, 1)}
}

// startProgram starts a pair whose replays begin with a push of program.
func startProgram(t *testing.T, program string) (*Pair, *info.Info) {
	p := startPair(t)
	fx := fixtures.Get(t, program)
	p.Start = startRequest(t, fx)
	return p, p4test.Index(t, p4test.P4Info(t, fx))
}

// check runs steps on the pair and fails the test on the first
// undocumented divergence, with a minimal reproduction.
func check(t *testing.T, p *Pair, program string, steps []Step) int {
	t.Helper()
	divs, n, err := p.Run(steps, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range divs {
		if d.Documented != nil {
			t.Logf("documented divergence %s at step %d", d.Documented.ID, d.Index)
			continue
		}
		t.Errorf("%s: the simulator and real bmv2 answer differently:\n%s", program, d)
		min, err := p.Minimize(steps, d, minimizeBudget, minimizeDeadline())
		if err != nil {
			t.Fatalf("minimising: %v", err)
		}
		md, _, err := p.Run(min, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range md {
			if m.Index == len(min)-1 {
				t.Errorf("minimal reproduction (%d of %d steps):\n%s", len(min), d.Index+1, Reproduction(program, min, m))
			}
		}
	}
	return n
}

// Bounds of a minimisation: replays, and time.
const minimizeBudget = 200

func minimizeDeadline() time.Time { return time.Now().Add(2 * time.Minute) }
