//go:build !linux

package launch

import (
	"fmt"
	"os/exec"
)

// startOn starts cmd; CPUs can be chosen on Linux only.
func startOn(cmd *exec.Cmd, cpus []int) error {
	if len(cpus) > 0 {
		return fmt.Errorf("running on CPUs %v: only on Linux", cpus)
	}
	return cmd.Start()
}
