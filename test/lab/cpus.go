//go:build linux

package lab

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// CPUPlan gives the switches of a benchmark CPUs of their own (issue 14:
// "switches on CPUs of their own"): this process (the client, the relay,
// the proxy) keeps `keep` of the CPUs it may use, and Next hands the
// others out one at a time, in turn, so that two switches started one
// after the other (a source and its target) run on two CPUs. With too few
// CPUs for that (keep + 2), nothing is pinned and Next gives none.
type CPUPlan struct {
	// Pinned reports whether the plan pins anything; Why says what it did.
	Pinned bool
	Why    string
	cpus   []int
	next   int
}

// PlanCPUs pins this process to `keep` of its CPUs, until the test ends,
// and plans the others for switches.
func PlanCPUs(t testing.TB, keep int) *CPUPlan {
	t.Helper()
	var mine unix.CPUSet
	if err := unix.SchedGetaffinity(0, &mine); err != nil {
		return &CPUPlan{Why: fmt.Sprintf("no CPU affinity here (%v): switches not pinned", err)}
	}
	var all []int
	for c := range 1024 {
		if mine.IsSet(c) {
			all = append(all, c)
		}
	}
	if len(all) < keep+2 {
		return &CPUPlan{Why: fmt.Sprintf("%d CPUs: too few to give the switches CPUs of their own (%d kept for the benchmark's process, 2 at least for switches); nothing pinned", len(all), keep)}
	}
	var kept unix.CPUSet
	for _, c := range all[:keep] {
		kept.Set(c)
	}
	if err := setProcessCPUs(&kept); err != nil {
		return &CPUPlan{Why: fmt.Sprintf("pinning this process: %v; nothing pinned", err)}
	}
	t.Cleanup(func() { _ = setProcessCPUs(&mine) })
	return &CPUPlan{Pinned: true, cpus: all[keep:],
		Why: fmt.Sprintf("this process on CPUs %v, the switches in turn on %v", all[:keep], all[keep:])}
}

// Next is the CPUs of the next switch (none when the plan pins nothing).
func (p *CPUPlan) Next() []int {
	if !p.Pinned {
		return nil
	}
	c := p.cpus[p.next%len(p.cpus)]
	p.next++
	return []int{c}
}

// setProcessCPUs sets the CPU affinity of every thread of this process
// (threads made later inherit it from the thread that makes them); twice,
// for a thread made while the first pass ran.
func setProcessCPUs(set *unix.CPUSet) error {
	for range 2 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		for _, task := range tasks {
			tid, err := strconv.Atoi(task.Name())
			if err != nil {
				continue
			}
			if err := unix.SchedSetaffinity(tid, set); err != nil && err != unix.ESRCH {
				return fmt.Errorf("thread %d: %w", tid, err)
			}
		}
	}
	return nil
}
