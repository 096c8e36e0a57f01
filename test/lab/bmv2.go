//go:build linux

package lab

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lime-p4/lime/bmv2/launch"
	"github.com/lime-p4/lime/internal/fixtures"
)

// Timeouts of the bmv2 backend.
const (
	// bmv2StartTimeout bounds starting one switch, a Docker image pull
	// included.
	bmv2StartTimeout = 10 * time.Minute
	// bmv2ReadyTimeout bounds the wait for P4Runtime to answer once the
	// process runs.
	bmv2ReadyTimeout = 2 * time.Minute
	// logTail is how much of a switch's log a failing test shows.
	logTail = 4 << 10
)

// BMv2 starts simple_switch_grpc through bmv2/launch, each switch with
// ports of its own and a veth pair per host port.
type BMv2 struct {
	// Mode is launch.ModeNative or launch.ModeDocker.
	Mode launch.Mode
	// Binary is the native executable (default simple_switch_grpc on PATH).
	Binary string
	// Label names the backend in messages (default "bmv2/<mode>").
	Label string
	// Supervise starts a switch that exits by itself (a crash) again on
	// its ports, at most maxRespawns times, as a supervisor does
	// (systemd's Restart=, Docker's restart policy); each time is logged.
	Supervise bool
}

// maxRespawns bounds how many times a supervised switch is started again.
const maxRespawns = 3

// RealBMv2 returns the backend that runs real simple_switch_grpc here: the
// build shared beside the checkout (shared/tools/bmv2, or $LIME_BMV2) when
// it is there — the test then runs, it does not skip — else native when it
// is on PATH, else in Docker when an engine answers "docker info". Where
// none is present, or with -short, it skips the test and says what it
// looked for.
func RealBMv2(t testing.TB) BMv2 {
	t.Helper()
	if testing.Short() {
		t.Skip("real bmv2 test skipped in -short mode")
	}
	if bin, ok := fixtures.BMv2(); ok {
		t.Logf("real bmv2: %s", bin)
		return BMv2{Mode: launch.ModeNative, Binary: bin}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mode, why := launch.Available(ctx, launch.Config{})
	if mode == launch.ModeUnavailable {
		t.Skipf("no real bmv2 to test against: looked for %s on PATH and for a Docker engine answering \"docker info\" (to run the %s image): %s",
			launch.DefaultBinary, launch.DefaultImage, why)
	}
	t.Logf("real bmv2: %v, %s", mode, why)
	return BMv2{Mode: mode}
}

// Name returns the label.
func (b BMv2) Name() string {
	if b.Label != "" {
		return b.Label
	}
	return "bmv2/" + b.Mode.String()
}

// Start starts simple_switch_grpc without a program (--no-p4), P4Runtime on
// 127.0.0.1 and Thrift on ports of its own, -i N@veth for each host port,
// and a log file that a failing test shows the end of.
func (b BMv2) Start(t testing.TB, spec Spec) *Switch {
	t.Helper()
	if err := spec.validate(); err != nil {
		t.Fatal(err)
	}
	var links map[uint32]vethLink
	ifaces := map[int]string{}
	if len(spec.Ports) > 0 {
		links = makeVeths(t, spec.Ports)
		for p, l := range links {
			ifaces[int(p)] = l.switchEnd
		}
	}
	sw := b.StartOn(t, spec, ifaces)
	for _, p := range spec.Ports {
		sw.hosts[p] = attachVethHost(t, fmt.Sprintf("%s-h%d", spec.Name, p), p, links[p])
	}
	return sw
}

// StartOn starts simple_switch_grpc as Start does, its ports on the given
// interfaces (port number -> interface, as -i N@iface), which the caller
// made; the Switch has no hosts.
func (b BMv2) StartOn(t testing.TB, spec Spec, ifaces map[int]string) *Switch {
	t.Helper()
	if err := spec.validate(); err != nil {
		t.Fatal(err)
	}
	ports, err := FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := launch.Config{
		Mode: b.Mode, Binary: b.Binary, DeviceID: spec.DeviceID,
		ContainerName: fmt.Sprintf("lime-e2e-%d-%s-%d", os.Getpid(), spec.Name, ports[0]),
		GRPCHost:      "127.0.0.1", GRPCPort: ports[0], ThriftPort: ports[1], CPUPort: spec.CPUPort,
		Interfaces: ifaces, LogFile: filepath.Join(dir, spec.Name), LogLevel: "info",
		StartTimeout: bmv2ReadyTimeout, CPUs: spec.CPUs,
	}
	start := func() (*launch.Switch, error) {
		ctx, cancel := context.WithTimeout(context.Background(), bmv2StartTimeout)
		defer cancel()
		return launch.Start(ctx, cfg)
	}
	s, err := start()
	if err != nil {
		t.Fatalf("lab: starting %s on %s: %v", spec.Name, b.Name(), err)
	}
	var mu sync.Mutex // guards s, which a restart replaces
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if t.Failed() {
			exit := "still running"
			if e := s.Exit(); e != "" {
				exit = "exited: " + e
			}
			t.Logf("%s (%s): %q\noutput:\n%s\nlog %s ends:\n%s", spec.Name, exit, s.Argv(), s.Output(), s.LogPath(), tail(s.LogPath(), logTail))
		}
		if err := s.Stop(); err != nil {
			t.Errorf("lab: stopping %s: %v", spec.Name, err)
		}
	})
	sw := &Switch{Name: spec.Name, DeviceID: spec.DeviceID, Addr: s.GRPCAddr(), Thrift: s.ThriftAddr(),
		CPUPort: spec.CPUPort, Kind: fmt.Sprintf("%s, P4Runtime %s", b.Name(), s.P4RuntimeVersion()), hosts: map[uint32]Host{}}
	restarts := 0
	again := func() error { // mu held
		restarts++ // a log of its own for each run
		cfg.LogFile = filepath.Join(dir, fmt.Sprintf("%s.%d", spec.Name, restarts))
		ns, err := start()
		if err != nil {
			return fmt.Errorf("lab: starting %s again: %w", spec.Name, err)
		}
		s = ns
		return nil
	}
	sw.restart = func() error {
		mu.Lock()
		defer mu.Unlock()
		if err := s.Stop(); err != nil {
			return fmt.Errorf("lab: restarting %s: %w", spec.Name, err)
		}
		return again()
	}
	if b.Supervise {
		stop := make(chan struct{})
		done := make(chan struct{})
		t.Cleanup(func() { close(stop); <-done })
		go func() {
			defer close(done)
			for respawns := 0; respawns < maxRespawns; {
				mu.Lock()
				cur := s
				mu.Unlock()
				select {
				case <-stop:
					return
				case <-cur.Done():
				}
				mu.Lock()
				if s == cur && cur.Exit() != "" { // not a restart the test made
					select {
					case <-stop: // the test ends: Cleanup stops it
					default:
						respawns++
						t.Logf("lab: %s exited by itself (%s): starting it again, as a supervisor would (log %s)", spec.Name, cur.Exit(), cur.LogPath())
						if err := again(); err != nil {
							t.Errorf("lab: %v", err)
						}
					}
				}
				mu.Unlock()
			}
		}()
	}
	return sw
}

// tail returns the last n bytes of a file, or a note saying why not.
func tail(path string, n int64) string {
	if path == "" {
		return "(no log file)"
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		if _, err := f.Seek(-n, io.SeekEnd); err != nil {
			return fmt.Sprintf("(%v)", err)
		}
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	return strings.TrimSpace(string(b))
}
