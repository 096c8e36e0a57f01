// Package failpoint stops a lime process at a named instant, for tests
// that kill it there (DESIGN.md "Faults": a proxy killed at any instant
// resumes on its journal). The points are named in the environment
// variable LIME_FAILPOINTS, separated by ';' (for instance "before device
// 1: clone;after device 2: move-host 1"); a process that reaches one
// prints "lime: failpoint NAME" on its standard error and waits there
// until it is killed. Without the variable Hit does nothing.
package failpoint

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

// Env names the failpoints to stop at.
const Env = "LIME_FAILPOINTS"

var points = sync.OnceValue(func() map[string]bool {
	v := os.Getenv(Env)
	if v == "" {
		return nil
	}
	m := map[string]bool{}
	for _, p := range strings.Split(v, ";") {
		if p = strings.TrimSpace(p); p != "" {
			m[p] = true
		}
	}
	return m
})

// Hit stops the process for good at failpoint name when LIME_FAILPOINTS
// names it.
func Hit(name string) {
	if !points()[name] {
		return
	}
	fmt.Fprintf(os.Stderr, "lime: failpoint %s\n", name)
	select {}
}
