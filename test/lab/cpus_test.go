//go:build linux

package lab

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// Pinning this process sets every thread's CPUs, and putting them back
// restores them all (PlanCPUs keeps the benchmark's process off the
// switches' CPUs so).
func TestSetProcessCPUs(t *testing.T) {
	var mine unix.CPUSet
	if err := unix.SchedGetaffinity(0, &mine); err != nil {
		t.Skipf("no CPU affinity here: %v", err)
	}
	last := -1
	for c := range 1024 {
		if mine.IsSet(c) {
			last = c
		}
	}
	var one unix.CPUSet
	one.Set(last)
	if err := setProcessCPUs(&one); err != nil {
		t.Fatal(err)
	}
	check := func(want unix.CPUSet) {
		t.Helper()
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range tasks {
			tid, _ := strconv.Atoi(task.Name())
			var got unix.CPUSet
			if unix.SchedGetaffinity(tid, &got) == nil && got != want {
				t.Errorf("thread %d on %d CPUs, want %d", tid, got.Count(), want.Count())
			}
		}
	}
	check(one)
	if err := setProcessCPUs(&mine); err != nil {
		t.Fatal(err)
	}
	check(mine)
}

// A plan hands the switches' CPUs out in turn: a source and the target
// started after it run on two; a plan that pins nothing gives none.
func TestCPUPlanNext(t *testing.T) {
	p := &CPUPlan{Pinned: true, cpus: []int{2, 3, 4}}
	var got []string
	for range 5 {
		got = append(got, fmt.Sprint(p.Next()))
	}
	if want := []string{"[2]", "[3]", "[4]", "[2]", "[3]"}; !slices.Equal(got, want) {
		t.Errorf("handed out %v, want %v", got, want)
	}
	if c := (&CPUPlan{}).Next(); c != nil {
		t.Errorf("a plan that pins nothing gave %v", c)
	}
	// More CPUs kept than there are: nothing pinned, and it says why.
	if p := PlanCPUs(t, 1024); p.Pinned || p.Why == "" {
		t.Errorf("a plan keeping 1024 CPUs: %+v", p)
	}
}
