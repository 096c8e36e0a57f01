package launch

import (
	"fmt"
	"os/exec"
	"runtime"

	"golang.org/x/sys/unix"
)

// startOn starts cmd on cpus (none: where this process runs): a child
// inherits the CPU affinity of the thread that forks it, so the fork is
// made from this goroutine's thread, locked and pinned for the while.
func startOn(cmd *exec.Cmd, cpus []int) error {
	if len(cpus) == 0 {
		return cmd.Start()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var old, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return fmt.Errorf("CPU affinity: %w", err)
	}
	for _, c := range cpus {
		set.Set(c)
	}
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("running on CPUs %v: %w", cpus, err)
	}
	defer unix.SchedSetaffinity(0, &old)
	return cmd.Start()
}
