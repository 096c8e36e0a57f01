//go:build linux

package lab

import (
	"fmt"
	"net"
	"sync"
)

// maxPortTries bounds the search for ports not handed out before.
const maxPortTries = 64

var (
	portsMu sync.Mutex
	handed  = map[int]bool{} // ports FreePorts returned in this process
)

// FreePorts returns n distinct TCP ports that were free on 127.0.0.1 a
// moment ago and that no earlier call in this process returned, so that
// every switch a test starts gets ports of its own (a second bmv2 on a taken
// Thrift port hangs instead of exiting). The ports are found by listening on
// 127.0.0.1:0 and closing.
func FreePorts(n int) ([]int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	var out []int
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for tries := 0; len(out) < n; tries++ {
		if tries >= maxPortTries {
			return nil, fmt.Errorf("lab: found only %d of %d unused TCP ports on 127.0.0.1 in %d tries", len(out), n, maxPortTries)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("lab: looking for a free TCP port: %w", err)
		}
		held = append(held, l) // held until all are chosen: no port twice
		p := l.Addr().(*net.TCPAddr).Port
		if handed[p] {
			continue
		}
		handed[p] = true
		out = append(out, p)
	}
	return out, nil
}
