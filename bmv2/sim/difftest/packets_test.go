//go:build linux

package difftest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim/dataplane/bmjson"
	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/pipelines"
)

// EnvFrames makes the packet test longer (make fuzz): how many inputs per
// seed and program.
const EnvFrames = "LIME_DIFFTEST_FRAMES"

// EnvSeed plays only that seed (a reproduction: with -run
// 'TestPacketDifferential/<program>' it replays one program's seed alone).
const EnvSeed = "LIME_DIFFTEST_SEED"

// Defaults of make test: every program in well under a minute in all on
// two cores.
const (
	defaultPacketSeeds = 1
	defaultFrames      = 20
)

// Bounds of a packet minimisation: replays, and time.
const packetMinimizeBudget = 40

// packetTarget is a program the packet test plays.
type packetTarget struct {
	name string
	prog *pipelines.Program
	pp   PacketProgram
	// scenario, when set, is a test's own scenario for the program, played
	// before the random ones.
	scenario func(in *info.Info) (Scenario, error)
	// times renders its frames, times masked.
	times *FrameTimes
}

// packetTargets are the shared programs bmv2 can load and lime's own
// (pipelines/lime_l2, pipelines/lime_router, test/testdata/counter_units).
func packetTargets(t *testing.T) []packetTarget {
	var dirs []string
	for _, fx := range fixtures.All(t) {
		if fx.JSON == "" {
			t.Logf("%s: skipped, a P4Info without a bmv2 JSON: no data plane to send packets through", fx.Name)
			continue
		}
		dirs = append(dirs, fx.Dir)
	}
	dirs = append(dirs, filepath.Join("..", "..", "..", "pipelines", pipelines.LimeL2),
		filepath.Join("..", "..", "..", "pipelines", pipelines.LimeRouter),
		filepath.Join("..", "..", "..", "test", "testdata", "counter_units"))
	var out []packetTarget
	for _, d := range dirs {
		prog, err := pipelines.LoadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		in, err := info.New(prog.P4Info, info.WithPortRules(portRules(prog.Name)))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := bmjson.Decode(prog.JSON)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		times, err := NewFrameTimes(doc, prog.JSON)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		out = append(out, packetTarget{name: prog.Name, prog: prog, pp: PacketProgram{Info: in, Doc: doc, Ports: hostPorts},
			scenario: scenarios[prog.Name], times: times})
	}
	return out
}

// Issue 16, "the same for packets": the packet scenarios of lime's tests
// and seeded random ones — a random state (table entries, members and
// groups, multicast groups, clone sessions, counter, meter and register
// cells), then frames drawn from each program's parser (valid, truncated,
// with bits flipped, random) on random ports and packet-outs — sent
// through the simulator (bmv2 profile, a whole device with ports) and real
// simple_switch_grpc on veth links, the same state written to both: each
// input leaves by the same ports with the same bytes, or raises the same
// packet-ins (metadata included) and digests, or is dropped by both; then
// every counter (P4Runtime) and register (bmv2's Thrift API) reads the
// same. A divergence fails the test with the shortest scenario that shows
// it.
func TestPacketDifferential(t *testing.T) {
	seeds, frames := envInt(t, EnvSeeds, defaultPacketSeeds), envInt(t, EnvFrames, defaultFrames)
	p := startPacketPair(t)
	start := time.Now()
	compared, programs := 0, 0
	for _, pt := range packetTargets(t) {
		if p.dead != nil {
			t.Fatalf("stopped before %s and the programs after it: %v", pt.name, p.dead)
		}
		t.Run(pt.name, func(t *testing.T) {
			p.connect(t, pt.prog)
			programs++
			if pt.scenario != nil {
				sc, err := pt.scenario(pt.pp.Info)
				if err != nil {
					t.Fatal(err)
				}
				compared += p.check(t, pt, sc, "the tests' scenario")
			}
			first, last := uint64(1), uint64(seeds)
			if os.Getenv(EnvSeed) != "" {
				first = uint64(envInt(t, EnvSeed, 1))
				last = first
			}
			for seed := first; seed <= last && !t.Failed(); seed++ {
				sc, err := GenerateScenario(pt.pp, seed, frames)
				if err != nil {
					t.Fatal(err)
				}
				compared += p.check(t, pt, sc, fmt.Sprintf("seed %d", seed))
			}
		})
	}
	t.Logf("%d inputs compared on %d programs (%d seeds of %d inputs each, and the tests' scenarios) in %v",
		compared, programs, seeds, frames, time.Since(start).Round(time.Millisecond))
}

// packetDivergence is where a scenario's play first differed: at an
// input, in writing the state (At -1) or in the read-back after the
// inputs (At == len(Inputs)).
type packetDivergence struct {
	At   int
	Text string
}

// packetStats counts what the inputs of a play made the switches do.
type packetStats struct {
	inputs, forwarded, packetIns, digests, dropped int
	// asserted counts inputs not sent to real bmv2: one of the program's
	// asserts failed on them in the simulator, and real bmv2 aborts there.
	asserted int
}

func (s *packetStats) add(o Outcome) {
	s.inputs++
	switch {
	case o.Empty():
		s.dropped++
	case len(o.Frames) > 0:
		s.forwarded++
	}
	if len(o.PacketIns) > 0 {
		s.packetIns++
	}
	if len(o.Digests) > 0 {
		s.digests++
	}
}

func (s packetStats) String() string {
	out := fmt.Sprintf("%d inputs: %d left by ports, %d raised packet-ins, %d digests, %d dropped", s.inputs, s.forwarded, s.packetIns, s.digests, s.dropped)
	if s.asserted > 0 {
		out += fmt.Sprintf("; %d not sent to real bmv2: a P4 assert fails on them (bmv2 aborts)", s.asserted)
	}
	return out
}

// play resets the pair, writes the scenario's state and sends its inputs;
// it stops at the first divergence. It returns how many inputs it
// compared.
func (p *packetPair) play(pt packetTarget, sc Scenario) (*packetDivergence, packetStats, error) {
	var st packetStats
	p.times = pt.times
	if err := p.reset(pt.prog); err != nil {
		return nil, st, err
	}
	text, err := p.write(pt.pp.Info, sc.State)
	if err != nil {
		return nil, st, err
	}
	if text != "" {
		return &packetDivergence{At: -1, Text: text}, st, nil
	}
	guard := hasAsserts(pt.pp.Doc)
	for i, in := range sc.Inputs {
		sim, real, asserted, err := p.send(in, guard)
		if asserted != "" {
			st.asserted++
			continue
		}
		if err != nil {
			return nil, st, fmt.Errorf("input %d, %s: %w\n%s", i+1, in, err, Scenario{State: sc.State, Inputs: sc.Inputs[:i+1]}.Reproduction(pt.name))
		}
		st.add(real)
		if !sim.Equal(real) {
			return &packetDivergence{At: i, Text: fmt.Sprintf("input %d, %s\n  simulator: %s\n  real bmv2: %s", i+1, in, sim, real)}, st, nil
		}
	}
	sim, real, what, err := p.readBack(pt.pp.Info, pt.pp.Doc)
	if err != nil {
		return nil, st, err
	}
	for i := range what {
		if !sim[i].Equal(real[i]) {
			return &packetDivergence{At: len(sc.Inputs), Text: fmt.Sprintf("after the inputs, reading %s:\n%s", what[i], answers(sim[i], real[i]))},
				st, nil
		}
	}
	return nil, st, nil
}

// check plays a scenario and fails the test on a divergence, with the
// shortest scenario found that shows it.
func (p *packetPair) check(t *testing.T, pt packetTarget, sc Scenario, label string) int {
	t.Helper()
	d, st, err := p.play(pt, sc)
	if err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	t.Logf("%s: %s", label, st)
	n := st.inputs
	if d == nil {
		return n
	}
	t.Errorf("%s, %s: the simulator and real bmv2 differ:\n%s", pt.name, label, d.Text)
	min, md, err := p.minimize(pt, sc, d)
	if err != nil {
		t.Fatalf("minimising: %v", err)
	}
	t.Errorf("minimal reproduction (%d of %d entities, %d of %d inputs):\n%s%s", len(min.State), len(sc.State),
		len(min.Inputs), len(sc.Inputs), min.Reproduction(pt.name), md.Text)
	return n
}

// item is a piece of a scenario a minimisation may leave out.
type item struct {
	e  *p4v1.Entity
	in *Input
}

// minimize finds a short scenario that still diverges where d did (at
// its last input, in its writes or in its read-back): ddmin over the
// state's entities and the inputs before, each candidate replayed.
func (p *packetPair) minimize(pt packetTarget, sc Scenario, d *packetDivergence) (Scenario, *packetDivergence, error) {
	var items []item
	for _, e := range sc.State {
		items = append(items, item{e: e})
	}
	var last *Input
	switch {
	case d.At >= 0 && d.At < len(sc.Inputs):
		last = &sc.Inputs[d.At]
		for i := range sc.Inputs[:d.At] {
			items = append(items, item{in: &sc.Inputs[i]})
		}
	case d.At == len(sc.Inputs):
		for i := range sc.Inputs {
			items = append(items, item{in: &sc.Inputs[i]})
		}
	}
	build := func(c []item) Scenario {
		var s Scenario
		for _, it := range c {
			if it.e != nil {
				s.State = append(s.State, it.e)
			} else {
				s.Inputs = append(s.Inputs, *it.in)
			}
		}
		if last != nil {
			s.Inputs = append(s.Inputs, *last)
		}
		return s
	}
	where := func(s Scenario) int {
		switch {
		case d.At < 0:
			return -1
		case last != nil:
			return len(s.Inputs) - 1
		}
		return len(s.Inputs)
	}
	var found *packetDivergence
	min, err := ddmin(items, func(c []item) (bool, error) {
		s := build(c)
		md, _, err := p.play(pt, s)
		if err != nil || md == nil || md.At != where(s) {
			return false, err
		}
		found = md
		return true, nil
	}, packetMinimizeBudget, time.Now().Add(2*time.Minute))
	if err != nil {
		return Scenario{}, nil, err
	}
	s := build(min)
	md, _, err := p.play(pt, s) // the reproduction's own answers
	if err != nil {
		return Scenario{}, nil, err
	}
	if md == nil {
		md = found
	}
	if md == nil {
		return sc, d, nil
	}
	return s, md, nil
}
