//go:build linux

package test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lime-p4/lime/internal/fwdemo"
	"github.com/lime-p4/lime/test/lab"
)

// How long a probe waits: a delivered segment ends the wait at once; a
// dropped one is declared after dropWait without it.
const (
	deliverWait = 3 * time.Second
	dropWait    = 500 * time.Millisecond
	// maxFrames bounds the frames one wait looks at (stray frames included).
	maxFrames = 1000
)

// fwNet is the firewall scenario's four hosts (fwdemo.Hosts) on a switch
// whose host i (1..4) hangs on ports[i-1].
type fwNet struct {
	sw    *lab.Switch
	hosts map[string]lab.Host
	seq   uint32 // tag of the last probe sent (its TCP sequence number)
}

func newFwNet(t *testing.T, sw *lab.Switch, ports []uint32) *fwNet {
	t.Helper()
	n := &fwNet{sw: sw, hosts: map[string]lab.Host{}, seq: 1000}
	for _, h := range fwdemo.Hosts {
		lh := sw.Host(ports[h.Index-1])
		if lh == nil {
			t.Fatalf("%s has no host on port %d", sw.Name, ports[h.Index-1])
		}
		n.hosts[h.Name] = lh
	}
	return n
}

// probe is one TCP segment between two hosts and its expected fate.
type probe struct {
	from, to string
	flags    byte
	want     bool // delivered to the destination (and nowhere else)
	why      string
}

// tcpSeq reads the TCP sequence number of an Ethernet/IPv4/TCP frame
// (fwdemo.TCP's layout: 20-byte IPv4 header); ok is false for any other
// frame (stray IPv6 or ARP from a kernel, for instance).
func tcpSeq(f []byte) (uint32, bool) {
	if len(f) < 54 || binary.BigEndian.Uint16(f[12:14]) != 0x0800 || f[14] != 0x45 || f[23] != 6 {
		return 0, false
	}
	return binary.BigEndian.Uint32(f[38:42]), true
}

// send sends one probe and reports how it fared, or an error when
// something arrived that should not have: a segment at another host, or a
// segment of an earlier probe arriving late (one declared dropped).
func (n *fwNet) send(ctx context.Context, p probe) (bool, error) {
	a, b := fwdemo.HostByName(p.from), fwdemo.HostByName(p.to)
	// Flows are opened from inside, port 40000 to port 80; segments from
	// outside travel back, 80 to 40000.
	sport, dport := uint16(40000), uint16(80)
	if !a.Internal {
		sport, dport = dport, sport
	}
	n.seq++
	tag := n.seq
	frame := fwdemo.TCP(a, b, sport, dport, p.flags)
	binary.BigEndian.PutUint32(frame[38:42], tag)
	if err := n.hosts[p.from].Send(frame); err != nil {
		return false, fmt.Errorf("%s sending: %w", p.from, err)
	}
	wait := dropWait
	if p.want {
		wait = deliverWait
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	delivered := false
	for i := 0; i < maxFrames && !delivered; i++ {
		f, err := n.hosts[p.to].Recv(wctx)
		if err != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			break // nothing within the wait
		}
		seq, ok := tcpSeq(f)
		switch {
		case !ok:
			continue // not a probe
		case seq != tag:
			return false, fmt.Errorf("%s received the segment of probe %d late (during probe %d)", p.to, seq, tag)
		case !bytes.Equal(f[0:6], b.MAC) || binary.BigEndian.Uint16(f[34:36]) != sport:
			return false, fmt.Errorf("%s received probe %d rewritten wrongly: % x", p.to, tag, f)
		}
		delivered = true
	}
	for name, h := range n.hosts {
		if name == p.to {
			continue
		}
		if err := noProbeQueued(name, h); err != nil {
			return false, err
		}
	}
	return delivered, nil
}

// noProbeQueued drains what a host has received and reports a probe
// segment among it.
func noProbeQueued(name string, h lab.Host) error {
	done, cancel := context.WithCancel(context.Background())
	cancel() // Recv returns queued frames only
	for i := 0; i < maxFrames && h.Pending() > 0; i++ {
		f, err := h.Recv(done)
		if err != nil {
			return nil
		}
		if seq, ok := tcpSeq(f); ok {
			return fmt.Errorf("%s received probe %d, meant for another host", name, seq)
		}
	}
	return nil
}

// expect sends the probes in order and fails the test at the first that
// does not fare as expected.
func (n *fwNet) expect(t *testing.T, ctx context.Context, probes []probe) {
	t.Helper()
	for _, p := range probes {
		got, err := n.send(ctx, p)
		if err != nil {
			t.Fatalf("on %s: %s -> %s: %v", n.sw, p.from, p.to, err)
		}
		verdict := map[bool]string{true: "delivered", false: "dropped"}
		t.Logf("%s: %s -> %s TCP %-7s %-9s (%s)", n.sw.Name, p.from, p.to, flagNames(p.flags), verdict[got], p.why)
		if got != p.want {
			t.Fatalf("on %s: %s -> %s (%s): %s, want %s", n.sw, p.from, p.to, p.why, verdict[got], verdict[p.want])
		}
	}
}

func flagNames(f byte) string {
	var s []string
	if f&fwdemo.SYN != 0 {
		s = append(s, "SYN")
	}
	if f&fwdemo.ACK != 0 {
		s = append(s, "ACK")
	}
	return strings.Join(s, "/")
}
