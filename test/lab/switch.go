//go:build linux

package lab

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// Spec describes a switch to start: no pipeline is loaded (the scenario
// pushes one over P4Runtime, as a controller does).
type Spec struct {
	// Name identifies the switch in messages and logs, e.g. "s1".
	Name string
	// DeviceID is the P4Runtime device id (bmv2's --device-id); non-zero.
	DeviceID uint64
	// Ports are the host-facing port numbers (P4Runtime port ids, bmv2 port
	// numbers); each gets a Host. None: a switch without data-plane ports.
	Ports []uint32
	// CPUPort is the packet-in/out port (--cpu-port); 0 for none.
	CPUPort uint32
	// CPUs are the CPUs a switch in a process of its own runs on (real
	// bmv2); none: anywhere. See CPUPlan.
	CPUs []int
}

// validate reports what is wrong with a spec.
func (s Spec) validate() error {
	if s.Name == "" {
		return fmt.Errorf("lab: switch spec without a name")
	}
	if s.DeviceID == 0 {
		return fmt.Errorf("lab: switch %s: device id 0 is not valid", s.Name)
	}
	seen := map[uint32]bool{}
	for _, p := range s.Ports {
		switch {
		case p == 0:
			return fmt.Errorf("lab: switch %s: port 0 (v1model's default egress_spec, where unrouted packets go) cannot be a host port", s.Name)
		case s.CPUPort != 0 && p == s.CPUPort:
			return fmt.Errorf("lab: switch %s: port %d is the CPU port", s.Name, p)
		case seen[p]:
			return fmt.Errorf("lab: switch %s: port %d given twice", s.Name, p)
		}
		seen[p] = true
	}
	return nil
}

// Host is a test's end of one switch port.
type Host interface {
	// Send puts an Ethernet frame on the link towards the switch.
	Send(frame []byte) error
	// Recv waits for the next frame the switch sent out of the port, until
	// ctx is done.
	Recv(ctx context.Context) ([]byte, error)
	// Pending returns how many received frames are queued.
	Pending() int
}

// Switch is a running switch.
type Switch struct {
	Name     string
	DeviceID uint64
	Addr     string // P4Runtime address, host:port on loopback
	Thrift   string // bmv2 Thrift runtime API address, host:port on loopback
	CPUPort  uint32
	// Kind says what runs it, for messages: "sim (memory links)",
	// "simple_switch_grpc (native)", ...
	Kind  string
	hosts map[uint32]Host
	// restart starts the switch again, its state gone (nil: it cannot).
	restart func() error
}

// Restart starts the switch again as a switch process restarted is: its
// pipeline and forwarding state are gone, its streams end, and it answers
// again on the same addresses and ports (DESIGN.md, "Faults").
func (s *Switch) Restart() error {
	if s.restart == nil {
		return fmt.Errorf("lab: %s (%s) cannot restart", s.Name, s.Kind)
	}
	return s.restart()
}

// Host returns the host on port p, or nil.
func (s *Switch) Host(p uint32) Host { return s.hosts[p] }

// Ports returns the host-facing ports, sorted.
func (s *Switch) Ports() []uint32 {
	out := make([]uint32, 0, len(s.hosts))
	for p := range s.hosts {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// String names the switch and what runs it.
func (s *Switch) String() string {
	return fmt.Sprintf("%s (device %d, %s, P4Runtime %s, Thrift %s)", s.Name, s.DeviceID, s.Kind, s.Addr, s.Thrift)
}

// Backend starts switches of one kind.
type Backend interface {
	// Name describes the backend, e.g. "sim/memory" or "bmv2/docker".
	Name() string
	// Start starts a switch that runs until the test ends (t.Cleanup stops
	// it and removes what was made for it). It fails or skips t when the
	// switch cannot run here.
	Start(t testing.TB, spec Spec) *Switch
}

// Links says how hosts attach to switch ports.
type Links int

const (
	// Memory links are the simulator's in-memory host endpoints.
	Memory Links = iota
	// Veth links are veth pairs driven with AF_PACKET (root only).
	Veth
)

// String returns "memory" or "veth".
func (l Links) String() string {
	switch l {
	case Memory:
		return "memory"
	case Veth:
		return "veth"
	}
	return fmt.Sprintf("Links(%d)", int(l))
}
