//go:build linux

package agentcmd

import (
	"context"
	"fmt"
	"net"
	"time"

	"google.golang.org/grpc"

	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/gnmi"
	"github.com/lime-p4/lime/gnmi/bmv2ports"
)

const (
	// startTimeout bounds reaching bmv2's Thrift server, and then the
	// first reading of the ports, at start.
	startTimeout = 5 * time.Second
	// stopGrace is how long open RPCs may finish after a stop signal;
	// streaming subscriptions never finish on their own, so they are then
	// cut.
	stopGrace = 2 * time.Second
)

// serve runs the agent until ctx ends: Thrift client, bmv2 backend, gNMI
// server, and their orderly stop.
func serve(ctx context.Context, deps cli.Deps, cfg *config) error {
	log := deps.Log
	dctx, cancel := context.WithTimeout(ctx, startTimeout)
	tc, err := thrift.Dial(dctx, cfg.thrift)
	cancel()
	if err != nil {
		return fmt.Errorf("--thrift %s: bmv2's Thrift server does not answer: %w", cfg.thrift, err)
	}
	defer tc.Close()

	bctx, cancel := context.WithTimeout(ctx, startTimeout)
	backend, err := bmv2ports.New(bctx, bmv2ports.Options{Ports: cfg.ports, Thrift: tc, PollInterval: cfg.poll, Logger: log})
	cancel()
	if err != nil {
		return err
	}
	defer backend.Close()
	agent, err := gnmi.NewServer(backend, gnmi.Options{Target: cfg.target, Logger: log})
	if err != nil {
		return err
	}
	defer agent.Close()

	lis, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", cfg.listen, err)
	}
	var opts []grpc.ServerOption
	if cfg.creds != nil {
		opts = append(opts, grpc.Creds(cfg.creds))
	}
	g := grpc.NewServer(opts...)
	agent.Register(g)
	served := make(chan error, 1)
	go func() { served <- g.Serve(lis) }()
	log.Info("lime agent: serving gNMI", "listen", lis.Addr().String(), "tls", cfg.creds != nil,
		"target", cfg.target, "thrift", cfg.thrift, "ports", len(cfg.ports))
	fmt.Fprintf(deps.Out, "lime agent: gNMI on %s for bmv2 at %s (%d ports)\n", lis.Addr(), cfg.thrift, len(cfg.ports))

	select {
	case <-ctx.Done():
		log.Info("lime agent: stopping")
		stopServer(g)
		<-served
		return nil
	case err := <-served:
		return fmt.Errorf("gNMI server on %s: %w", lis.Addr(), err)
	}
}

// stopServer lets unary RPCs finish for stopGrace, then cuts what is left
// (subscriptions stream until cut).
func stopServer(g *grpc.Server) {
	done := make(chan struct{})
	go func() {
		g.GracefulStop()
		close(done)
	}()
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		g.Stop()
		<-done
	}
}
