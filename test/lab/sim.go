//go:build linux

package lab

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/bmv2/sim/port"
)

// simShutdownTimeout bounds a graceful stop of a simulated switch.
const simShutdownTimeout = 5 * time.Second

// Sim starts bmv2/sim devices in this process, answering like bmv2
// (profile bmv2) and serving bmv2's Thrift runtime API, with hosts attached
// by Links.
type Sim struct {
	Links Links
	// Logger receives the devices' events (the data plane's drops, at
	// Debug); nil: none.
	Logger *slog.Logger
}

// Name returns "sim/memory" or "sim/veth".
func (b Sim) Name() string { return "sim/" + b.Links.String() }

// portName is the simulator's name for port p.
func portName(p uint32) string { return fmt.Sprintf("port%d", p) }

// Start starts a simulated switch serving P4Runtime and Thrift on loopback
// ports of its own.
func (b Sim) Start(t testing.TB, spec Spec) *Switch {
	t.Helper()
	if err := spec.validate(); err != nil {
		t.Fatal(err)
	}
	var links map[uint32]vethLink
	if b.Links == Veth && len(spec.Ports) > 0 {
		links = makeVeths(t, spec.Ports)
	}
	var ports []sim.PortSpec
	for _, p := range spec.Ports {
		ports = append(ports, sim.PortSpec{Name: portName(p), ID: p})
	}
	quiet := slog.New(slog.DiscardHandler)
	devLog := quiet
	if b.Logger != nil {
		devLog = b.Logger
	}
	dev, err := sim.New(sim.Options{Name: spec.Name, DeviceID: spec.DeviceID, Profile: p4rt.ProfileBMv2,
		Ports: ports, CPUPort: spec.CPUPort, Logger: devLog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), simShutdownTimeout)
		defer cancel()
		dev.Shutdown(ctx)
		dev.Close()
	})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		lis.Close()
		t.Fatal(err)
	}
	go dev.Serve(lis)
	go dev.ServeThrift(tl)

	sw := &Switch{Name: spec.Name, DeviceID: spec.DeviceID, Addr: lis.Addr().String(), Thrift: tl.Addr().String(),
		CPUPort: spec.CPUPort, Kind: "bmv2/sim in this process, " + b.Links.String() + " links", hosts: map[uint32]Host{},
		restart: dev.Restart}
	for _, p := range spec.Ports {
		sp := dev.Port(portName(p))
		hostName := fmt.Sprintf("%s-h%d", spec.Name, p)
		switch b.Links {
		case Memory:
			h, err := port.ConnectHost(sp, hostName)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { h.Close() })
			sw.hosts[p] = h
		case Veth:
			l := links[p]
			iface, err := port.AttachInterface(sp, l.switchEnd, port.WithLogger(quiet))
			if err != nil {
				t.Fatalf("lab: %s port %d on %s: %v", spec.Name, p, l.switchEnd, err)
			}
			t.Cleanup(func() { iface.Close() })
			sw.hosts[p] = attachVethHost(t, hostName, p, l)
		default:
			t.Fatalf("lab: unknown links %v", b.Links)
		}
	}
	return sw
}
