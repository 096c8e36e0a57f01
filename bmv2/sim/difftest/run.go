package difftest

import (
	"fmt"
	"strings"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
)

// resetTimeout bounds the wait for a switch to notice that a session's
// streams closed.
const resetTimeout = 5 * time.Second

// Pair is the simulator and the real switch a session runs on, and the
// program a session starts from.
type Pair struct {
	Sim, Real *Target
	// Start is the pipeline push that begins every replay: it leaves each
	// switch with the program and no state.
	Start *p4v1.SetForwardingPipelineConfigRequest
}

// Divergence is a step whose answers differ.
type Divergence struct {
	Index     int // of the step in the session
	Step      Step
	Sim, Real Answer
	// Documented is the entry of Documented that accounts for it, if any.
	Documented *Documentation
}

func (d Divergence) String() string {
	return fmt.Sprintf("step %d, %s\n%s", d.Index, d.Step, answers(d.Sim, d.Real))
}

// maxShown bounds the entities a report shows on each side.
const maxShown = 12

// answers renders two answers for a report: codes and messages, and of
// the entities read only those one side has (at most maxShown each).
func answers(sim, real Answer) string {
	only := func(a, b Answer) []string {
		in := map[string]int{}
		for _, e := range b.Entities {
			in[e]++
		}
		var out []string
		for _, e := range a.Entities {
			if in[e] > 0 {
				in[e]--
				continue
			}
			out = append(out, e)
		}
		return out
	}
	show := func(a Answer, extra []string) string {
		b := a
		b.Entities = nil
		s := b.String()
		if len(a.Entities) > 0 {
			s += fmt.Sprintf("\n    %d entities, %d of them not on the other side:", len(a.Entities), len(extra))
			for i, e := range extra {
				if i == maxShown {
					s += fmt.Sprintf("\n      ... %d more", len(extra)-maxShown)
					break
				}
				s += "\n      " + e
			}
		}
		return s
	}
	return fmt.Sprintf("  simulator: %s\n  real bmv2: %s", show(sim, only(sim, real)), show(real, only(real, sim)))
}

// Reset closes every stream and pushes the start pipeline on both switches
// (no controller is connected, so no election id is needed): each is left
// with the program and nothing written.
func (p *Pair) Reset() error {
	for _, t := range []*Target{p.Sim, p.Real} {
		t.CloseStreams()
		// The switch learns that the streams closed a moment later:
		// until then it takes the push for a backup's.
		deadline := time.Now().Add(resetTimeout)
		for {
			a := t.Do(Step{Op: OpPipeline, Pipe: p.Start})
			if a.Code == codes.OK {
				break
			}
			if a.Code != codes.PermissionDenied || time.Now().After(deadline) {
				return fmt.Errorf("%s: resetting with the start pipeline: %s", t.Name, a)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return nil
}

// Run resets the pair and sends the steps to both switches, one at a time,
// comparing the answers. It returns the divergences, documented ones
// included, and how many steps it compared; it stops after the first
// undocumented one when stopAtFirst.
func (p *Pair) Run(steps []Step, stopAtFirst bool) ([]Divergence, int, error) {
	if err := p.Reset(); err != nil {
		return nil, 0, err
	}
	var out []Divergence
	for i, s := range steps {
		a, b := p.do(s)
		if a.Equal(b) {
			continue
		}
		d := Divergence{Index: i, Step: s, Sim: a, Real: b, Documented: documented(s, a, b)}
		out = append(out, d)
		if stopAtFirst && d.Documented == nil {
			return out, i + 1, nil
		}
	}
	return out, len(steps), nil
}

// do sends a step to both switches at once (an arbitration waits for the
// streams to go quiet: the two waits overlap).
func (p *Pair) do(s Step) (sim, real Answer) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		real = p.Real.Do(s)
	}()
	sim = p.Sim.Do(s)
	<-done
	return sim, real
}

// lastDiffers replays steps and reports whether the last one's answers
// differ (undocumented), whatever the steps before it answered.
func (p *Pair) lastDiffers(steps []Step) (bool, error) {
	if err := p.Reset(); err != nil {
		return false, err
	}
	for i, s := range steps {
		a, b := p.do(s)
		if i == len(steps)-1 {
			return !a.Equal(b) && documented(s, a, b) == nil, nil
		}
	}
	return false, nil
}

// Minimize returns the shortest session it finds whose last step is d's
// step and still answers differently: ddmin (Zeller and Hildebrandt,
// "Simplifying and Isolating Failure-Inducing Input") over the steps
// before it, each candidate replayed on both switches from Reset. It gives
// up refining after budget replays or once deadline has passed, returning
// the shortest found so far.
func (p *Pair) Minimize(steps []Step, d Divergence, budget int, deadline time.Time) ([]Step, error) {
	last := d.Step
	prefix, err := ddmin(steps[:d.Index], func(c []Step) (bool, error) {
		cand := append(append([]Step(nil), c...), last)
		if !Safe(cand) {
			return false, nil
		}
		return p.lastDiffers(cand)
	}, budget, deadline)
	if err != nil {
		return nil, err
	}
	return append(prefix, last), nil
}

// Reproduction renders a minimal session for a report.
func Reproduction(program string, steps []Step, d Divergence) string {
	var b strings.Builder
	fmt.Fprintf(&b, "program %s, after a pipeline push that starts from nothing:\n", program)
	for i, s := range steps {
		fmt.Fprintf(&b, "  %d. %s\n", i+1, s)
	}
	fmt.Fprintf(&b, "answers to the last step:\n%s\n", answers(d.Sim, d.Real))
	return b.String()
}
