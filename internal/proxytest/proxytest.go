// Package proxytest puts the migration proxy together for tests: backends
// on simulated switches, the proxy served on loopback, and controllers
// connected to it.
package proxytest

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"

	gnmiclient "github.com/lime-p4/lime/gnmi/client"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/info"
)

// ElectionID is the proxy's election id towards the test switches, above
// their own clients' (simtest's 1:0).
var ElectionID = client.ElectionID{High: 10}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// Backend connects the proxy to d as its primary, with d's gNMI when d is
// a whole switch (the simulator serves it on its P4Runtime address); opts
// are added to its gRPC dial options.
func Backend(t testing.TB, d *simtest.Device, name string, rules info.PortRules, opts ...grpc.DialOption) *proxy.Backend {
	t.Helper()
	c, err := client.Dial(ctx(t), d.Addr, client.DialOptions{DeviceID: d.Dev.ID(), Insecure: true,
		ElectionID: &ElectionID, Logger: slog.New(slog.DiscardHandler), GRPCOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	b, err := proxy.NewBackend(ctx(t), name, c, info.WithPortRules(rules))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if d.Sim != nil {
		g, err := gnmiclient.Dial(ctx(t), d.Addr, gnmiclient.WithInsecure())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { g.Close() })
		b.SetGNMI(g)
	}
	return b
}

// Serve serves p (P4Runtime, gNMI and gNOI) on a loopback port until the test
// ends, and returns its address.
func Serve(t testing.TB, p *proxy.Proxy) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	proxy.Register(g, p)
	x := proxy.RegisterGNMI(g, p)
	proxy.RegisterGNOI(g)
	go g.Serve(lis)
	t.Cleanup(func() {
		g.Stop()
		x.Close()
		p.Close()
	})
	return lis.Addr().String()
}

// Controller connects a controller to the proxy at addr as device vid with
// election id 0:eid, and arbitrates.
func Controller(t testing.TB, addr string, vid, eid uint64) (*client.Client, *client.Session) {
	t.Helper()
	c, err := client.Dial(ctx(t), addr, client.DialOptions{DeviceID: vid, Insecure: true,
		ElectionID: &client.ElectionID{Low: eid}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Arbitrate(ctx(t))
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		c.Close()
	})
	return c, s
}
