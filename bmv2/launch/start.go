package launch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
)

const (
	// dockerCommandSlack bounds docker CLI calls (stop, rm, inspect) beyond
	// the timeouts they are given.
	dockerCommandSlack = 30 * time.Second
	// capabilitiesAttempt bounds one Capabilities call while waiting.
	capabilitiesAttempt = 2 * time.Second
	// readyPollMax is the longest pause between two Capabilities calls.
	readyPollMax = 500 * time.Millisecond
)

// Start starts simple_switch_grpc as cfg describes and returns once its
// P4Runtime server answers a Capabilities call on 127.0.0.1:GRPCPort.
//
// Before starting it resolves ModeAuto ([Available]; ErrUnavailable when
// nothing can run), makes JSON and LogFile absolute and checks that the JSON
// exists and the log directory too, and checks that the gRPC and Thrift
// ports are free (bmv2 on a taken Thrift port hangs rather than exits). In
// Docker mode it pulls the image if the engine lacks it (bounded by ctx
// only). Waiting for P4Runtime is bounded by cfg.StartTimeout and ctx; if the
// process exits first, or the wait times out, the error quotes the tail of
// its output and log file, and a process still running is stopped.
//
// ctx bounds starting only: the switch runs until [Switch.Stop].
func Start(ctx context.Context, cfg Config) (*Switch, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Mode == ModeAuto {
		m, why := Available(ctx, cfg)
		if m == ModeUnavailable {
			return nil, fmt.Errorf("%w: %s", ErrUnavailable, why)
		}
		cfg.Mode = m
	}
	if err := resolvePaths(&cfg); err != nil {
		return nil, err
	}
	if err := portFree(cfg.GRPCHost, cfg.GRPCPort, "P4Runtime (gRPC)"); err != nil {
		return nil, err
	}
	// bmv2's Thrift server binds the port on every interface.
	if err := portFree("", cfg.ThriftPort, "Thrift"); err != nil {
		return nil, err
	}
	argv, mode, err := Command(cfg)
	if err != nil {
		return nil, err
	}
	if mode == ModeDocker {
		if err := ensureImage(ctx, cfg); err != nil {
			return nil, err
		}
	}
	s := &Switch{cfg: cfg, mode: mode, argv: argv, out: newTailBuffer(tailSize), done: make(chan struct{})}
	s.cmd = exec.Command(argv[0], argv[1:]...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	cpus := cfg.CPUs
	if mode == ModeDocker {
		cpus = nil // --cpuset-cpus
	}
	if err := startOn(s.cmd, cpus); err != nil {
		return nil, fmt.Errorf("launch: start %s: %w", argv[0], err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ctx); err != nil {
		if serr := s.Stop(); serr != nil {
			err = errors.Join(err, serr)
		}
		return nil, err
	}
	return s, nil
}

// resolvePaths makes JSON and LogFile absolute and checks they can be used.
func resolvePaths(cfg *Config) error {
	if cfg.JSON != "" {
		abs, err := filepath.Abs(cfg.JSON)
		if err != nil {
			return fmt.Errorf("launch: JSON %s: %w", cfg.JSON, err)
		}
		st, err := os.Stat(abs)
		if err != nil {
			return fmt.Errorf("launch: JSON: %w", err)
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("launch: JSON %s is not a regular file", abs)
		}
		cfg.JSON = abs
	}
	if cfg.LogFile != "" {
		abs, err := filepath.Abs(cfg.LogFile)
		if err != nil {
			return fmt.Errorf("launch: LogFile %s: %w", cfg.LogFile, err)
		}
		dir := filepath.Dir(abs)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Errorf("launch: LogFile %s: directory %s does not exist", abs, dir)
		}
		cfg.LogFile = abs
	}
	return nil
}

// portFree checks that a TCP listener could bind host:port now.
func portFree(host string, port int, what string) error {
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("launch: %s port %d is not free (another bmv2 or program holds it?): %w", what, port, err)
	}
	if err := l.Close(); err != nil {
		return fmt.Errorf("launch: %s port %d: %w", what, port, err)
	}
	return nil
}

// ensureImage makes sure the Docker engine has cfg.Image, pulling it if not.
func ensureImage(ctx context.Context, cfg Config) error {
	ictx, cancel := context.WithTimeout(ctx, dockerCommandSlack)
	defer cancel()
	if exec.CommandContext(ictx, cfg.Docker, "image", "inspect", "--format", "{{.Id}}", cfg.Image).Run() == nil {
		return nil
	}
	out, err := exec.CommandContext(ctx, cfg.Docker, "pull", cfg.Image).CombinedOutput()
	if err != nil {
		return fmt.Errorf("launch: image %s is not present and docker pull failed: %w: %s", cfg.Image, err, indent(string(out)))
	}
	return nil
}

// waitReady polls Capabilities until it answers, the process exits, or
// StartTimeout or ctx ends.
func (s *Switch) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.StartTimeout)
	defer cancel()
	addr := s.GRPCAddr()
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: readyPollMax},
			MinConnectTimeout: capabilitiesAttempt,
		}))
	if err != nil {
		return fmt.Errorf("launch: P4Runtime client for %s: %w", addr, err)
	}
	defer conn.Close()
	client := p4v1.NewP4RuntimeClient(conn)
	delay := 50 * time.Millisecond
	var last error
	for {
		select {
		case <-s.done:
			return fmt.Errorf("launch: %s before P4Runtime answered on %s", s.exitReport(), addr)
		default:
		}
		actx, acancel := context.WithTimeout(ctx, capabilitiesAttempt)
		resp, err := client.Capabilities(actx, &p4v1.CapabilitiesRequest{})
		acancel()
		if err == nil {
			s.version = resp.GetP4RuntimeApiVersion()
			return nil
		}
		last = err
		select {
		case <-s.done:
			return fmt.Errorf("launch: %s before P4Runtime answered on %s", s.exitReport(), addr)
		case <-ctx.Done():
			msg := fmt.Sprintf("launch: P4Runtime on %s did not answer within %v (last error: %v)", addr, s.cfg.StartTimeout, last)
			if out := s.out.String(); out != "" {
				msg += "; output ends:\n" + indent(out)
			}
			if tail := fileTail(s.LogPath(), tailSize); tail != "" {
				msg += "\nlog " + s.LogPath() + " ends:\n" + indent(tail)
			}
			return fmt.Errorf("%s: %w", msg, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, readyPollMax)
	}
}
