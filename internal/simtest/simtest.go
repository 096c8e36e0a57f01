// Package simtest starts simulated P4Runtime devices on loopback for tests
// of the migrator: a bmv2/sim/p4rt Device served by gRPC on 127.0.0.1:0,
// with a pipeline from the shared fixtures, and a p4/client connected to it
// as primary.
package simtest

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"testing"
	"time"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/info"
)

// Device is a running simulated device.
type Device struct {
	Addr    string
	Dev     *p4rt.Device
	Sim     *sim.Device     // the whole switch, when started with Ports
	Thrift  string          // bmv2 Thrift address, when started with Ports
	Client  *client.Client  // primary (election id 1:0 unless set)
	Session *client.Session // the client's arbitration session
	Info    *info.Info      // the P4Info it runs (nil without a pipeline)
}

// Options for Start.
type Options struct {
	DeviceID uint64 // default 1
	Profile  p4rt.Profile
	Target   p4rt.Target // default: a MemoryTarget
	// Pipeline is the fixture to load; empty starts without a pipeline.
	Pipeline string
	// P4Info replaces the fixture's P4Info (e.g. renumbered); nil keeps it.
	P4Info *p4configv1.P4Info
	Cookie uint64
	// Rules are the port rules of Info (default info.DefaultPortRules).
	Rules *info.PortRules
	// Ports, when set, start the whole simulated switch (bmv2/sim: data
	// plane forwarding frames, ports, gNMI, and bmv2's Thrift API) instead
	// of a P4Runtime core without forwarding.
	Ports []sim.PortSpec
	// CPUPort of the whole switch (default 255).
	CPUPort uint32
	// TLS, when set, serves P4Runtime over TLS with this configuration
	// (without Ports); ClientTLS is how the device's own client then
	// verifies it.
	TLS       *tls.Config
	ClientTLS *client.TLSOptions
}

// Start runs a device until the test ends.
func Start(t testing.TB, o Options) *Device {
	t.Helper()
	if o.DeviceID == 0 {
		o.DeviceID = 1
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &Device{Addr: lis.Addr().String()}
	var stop func()
	if o.Ports != nil {
		if o.CPUPort == 0 {
			o.CPUPort = 255
		}
		sd, err := sim.New(sim.Options{DeviceID: o.DeviceID, Profile: o.Profile, Ports: o.Ports, CPUPort: o.CPUPort,
			Logger: slog.New(slog.DiscardHandler), P4Runtime: p4rt.Options{IdleScan: 10 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		go sd.Serve(lis)
		tl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go sd.ServeThrift(tl)
		d.Sim, d.Dev, d.Thrift = sd, sd.P4Runtime(), tl.Addr().String()
		stop = func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			sd.Shutdown(ctx)
			sd.Close()
		}
	} else {
		dev, err := p4rt.New(p4rt.Options{DeviceID: o.DeviceID, Profile: o.Profile, Target: o.Target,
			Logger: slog.New(slog.DiscardHandler), IdleScan: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		var gopts []grpc.ServerOption
		if o.TLS != nil {
			gopts = append(gopts, grpc.Creds(credentials.NewTLS(o.TLS)))
		}
		g := grpc.NewServer(gopts...)
		p4rt.Register(g, dev)
		go g.Serve(lis)
		d.Dev = dev
		stop = func() {
			g.Stop()
			dev.Close()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d.Client, err = client.Dial(ctx, d.Addr, client.DialOptions{DeviceID: o.DeviceID, Insecure: o.ClientTLS == nil, TLS: o.ClientTLS,
		ElectionID: &client.ElectionID{High: 1}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	d.Session, err = d.Client.Arbitrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Session.Close()
		d.Client.Close()
		stop()
	})
	if o.Pipeline == "" {
		return d
	}
	cfg := p4test.Config(t, fixtures.Get(t, o.Pipeline), o.Cookie)
	p4i := cfg.P4Info
	if o.P4Info != nil {
		p4i = o.P4Info
	}
	if err := d.Client.SetPipeline(ctx, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, p4i, cfg.P4DeviceConfig, o.Cookie); err != nil {
		t.Fatalf("%s: SetPipeline: %v", o.Pipeline, err)
	}
	rules := info.DefaultPortRules
	if o.Rules != nil {
		rules = *o.Rules
	}
	d.Info = p4test.Index(t, p4i, info.WithPortRules(rules))
	return d
}
