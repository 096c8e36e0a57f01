package difftest

import (
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/p4test"
)

// Sessions that would kill real bmv2 (an open stream re-arbitrating with
// an election id another stream holds) are not Safe; the others are, and
// every generated session is.
func TestSafe(t *testing.T) {
	arb := func(stream int, eid uint64) Step {
		return Step{Op: OpArbitrate, Stream: stream, Arb: &p4v1.MasterArbitrationUpdate{DeviceId: 1, ElectionId: &p4v1.Uint128{Low: eid}}}
	}
	leave := func(stream int) Step { return Step{Op: OpLeave, Stream: stream} }
	for _, c := range []struct {
		name  string
		steps []Step
		want  bool
	}{
		{"re-arbitration to a held id", []Step{arb(0, 1), arb(1, 2), arb(1, 1)}, false},
		{"the holder left first", []Step{arb(0, 1), arb(1, 2), leave(0), arb(1, 1)}, true},
		{"a new stream with a held id", []Step{arb(0, 1), arb(1, 1)}, true},
		{"a refused new stream then re-arbitrating", []Step{arb(0, 1), arb(1, 1), arb(1, 1)}, true},
	} {
		if got := Safe(c.steps); got != c.want {
			t.Errorf("%s: Safe = %v, want %v", c.name, got, c.want)
		}
	}
}

// Every session the generator makes is Safe.
func TestGeneratedSessionsAreSafe(t *testing.T) {
	fx := fixtures.Get(t, "onos-basic")
	cfg := p4test.Config(t, fx, 1)
	prog := Program{Info: p4test.Index(t, cfg.P4Info), Config: cfg, DeviceID: 1}
	for seed := uint64(1); seed <= 50; seed++ {
		if !Safe(Generate(prog, seed, 300)) {
			t.Errorf("seed %d: the generated session is not safe", seed)
		}
	}
}
