package launch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/internal/freeport"
)

// fakeConfig returns a native config that runs this test binary as a fake
// simple_switch_grpc with the given behaviour (see fakeEnv).
func fakeConfig(t *testing.T, behaviour string) Config {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(fakeEnv, behaviour)
	return Config{
		Mode: ModeNative, Binary: self, DeviceID: 7,
		GRPCHost: "127.0.0.1", GRPCPort: freeport.Port(t), ThriftPort: freeport.Port(t), CPUPort: 255,
		Interfaces:   map[int]string{1: "veth1", 2: "veth2"},
		LogFile:      filepath.Join(t.TempDir(), "s7"),
		StartTimeout: 20 * time.Second, StopTimeout: 2 * time.Second,
	}
}

func startCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestStartStopNative starts a (fake) switch natively, waits for P4Runtime,
// checks the argv it got and its Thrift server, and stops it with SIGTERM.
func TestStartStopNative(t *testing.T) {
	cfg := fakeConfig(t, "serve")
	s, err := Start(startCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if s.Mode() != ModeNative || s.DeviceID() != 7 || s.P4RuntimeVersion() != "1.3.0" {
		t.Errorf("mode %v device %d version %q", s.Mode(), s.DeviceID(), s.P4RuntimeVersion())
	}
	if want := "127.0.0.1:" + strconv.Itoa(cfg.GRPCPort); s.GRPCAddr() != want {
		t.Errorf("GRPCAddr %q, want %q", s.GRPCAddr(), want)
	}
	if s.LogPath() != cfg.LogFile+".txt" {
		t.Errorf("LogPath %q, want %q", s.LogPath(), cfg.LogFile+".txt")
	}
	log, err := os.ReadFile(s.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"-i" "1@veth1" "-i" "2@veth2"`, `"--cpu-port" "255"`, `"--no-p4"`} {
		if !strings.Contains(string(log), want) {
			t.Errorf("switch log %q lacks %s", log, want)
		}
	}
	if !strings.Contains(s.Output(), "fake bmv2 ready") {
		t.Errorf("Output() = %q", s.Output())
	}
	ctx := startCtx(t)
	tc, err := thrift.Dial(ctx, s.ThriftAddr())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.DevMgrShowPorts(ctx); err != nil {
		t.Errorf("Thrift on %s: %v", s.ThriftAddr(), err)
	}
	tc.Close()

	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	select {
	case <-s.Done():
	default:
		t.Fatal("Stop returned before the process exited")
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	// Both ports are free again.
	if err := portFree("127.0.0.1", cfg.GRPCPort, "gRPC"); err != nil {
		t.Error(err)
	}
}

// A switch given CPUs runs on them alone, every thread of it (issue 14:
// benchmarks give each switch a CPU of its own).
func TestStartOnCPUs(t *testing.T) {
	var mine unix.CPUSet
	if err := unix.SchedGetaffinity(0, &mine); err != nil {
		t.Skipf("no CPU affinity here: %v", err)
	}
	cpu := -1
	for c := 1023; c >= 0 && cpu < 0; c-- {
		if mine.IsSet(c) {
			cpu = c // the last CPU this process may use
		}
	}
	cfg := fakeConfig(t, "serve")
	cfg.CPUs = []int{cpu}
	s, err := Start(startCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", s.cmd.Process.Pid))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("the switch's threads: %v", err)
	}
	for _, task := range tasks {
		tid, _ := strconv.Atoi(task.Name())
		var set unix.CPUSet
		if err := unix.SchedGetaffinity(tid, &set); err != nil {
			continue // the thread ended
		}
		if set.Count() != 1 || !set.IsSet(cpu) {
			t.Errorf("thread %d may run on %d CPUs, want CPU %d alone", tid, set.Count(), cpu)
		}
	}
	// This process's thread is as it was.
	var after unix.CPUSet
	if err := unix.SchedGetaffinity(0, &after); err != nil || after != mine {
		t.Errorf("this thread's CPUs changed: %d, want %d (%v)", after.Count(), mine.Count(), err)
	}
}

// TestFakePipeline runs the real-bmv2 exercise against the fake: it checks
// the exercise itself (arbitration, pipeline push, Thrift registers) in CI.
func TestFakePipeline(t *testing.T) {
	s, err := Start(startCtx(t), fakeConfig(t, "serve"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	}()
	exerciseSwitch(t, s)
}

// TestStartEarlyExit checks that a switch that dies before P4Runtime answers
// gives an error with its exit status and the tails of its output and log.
func TestStartEarlyExit(t *testing.T) {
	cfg := fakeConfig(t, "exit")
	start := time.Now()
	s, err := Start(startCtx(t), cfg)
	if err == nil {
		s.Stop()
		t.Fatal("Start succeeded")
	}
	for _, want := range []string{"exited (exit status 3)", "before P4Runtime answered", "fake bmv2: cannot load program",
		"log " + cfg.LogFile + ".txt ends:", "[error] fake failure at start"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("early exit noticed after %v", el)
	}
}

// TestStartTimeout checks that a switch whose P4Runtime never answers is
// given up on after StartTimeout, and killed.
func TestStartTimeout(t *testing.T) {
	cfg := fakeConfig(t, "silent")
	cfg.StartTimeout = time.Second
	_, err := Start(startCtx(t), cfg)
	if err == nil || !strings.Contains(err.Error(), "did not answer within 1s") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want a 1s timeout", err)
	}
	log, rerr := os.ReadFile(cfg.LogFile + ".txt")
	if rerr != nil {
		t.Fatal(rerr)
	}
	var pid int
	if _, err := fmtSscanPid(string(log), &pid); err != nil {
		t.Fatalf("no pid in log %q: %v", log, err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("fake switch pid %d still exists after the failed Start (kill 0: %v)", pid, err)
	}
}

// TestStopEscalates checks that a switch ignoring SIGTERM is killed after
// StopTimeout.
func TestStopEscalates(t *testing.T) {
	cfg := fakeConfig(t, "ignore-term")
	cfg.StopTimeout = 500 * time.Millisecond
	s, err := Start(startCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < cfg.StopTimeout {
		t.Errorf("Stop took %v, less than StopTimeout: SIGTERM was not ignored?", el)
	}
	<-s.Done()
}

// TestStartRefuses checks what Start refuses before starting anything:
// taken ports (DESIGN: a bmv2 on a taken Thrift port hangs), a missing JSON
// or log directory, and nothing to run.
func TestStartRefuses(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"thrift port taken", func(c *Config) { c.ThriftPort = port }, "Thrift port " + strconv.Itoa(port) + " is not free"},
		{"grpc port taken", func(c *Config) { c.GRPCPort = port }, "P4Runtime (gRPC) port " + strconv.Itoa(port) + " is not free"},
		{"missing JSON", func(c *Config) { c.JSON = filepath.Join(t.TempDir(), "nope.json") }, "nope.json: no such file"},
		{"JSON is a directory", func(c *Config) { c.JSON = t.TempDir() }, "is not a regular file"},
		{"log dir missing", func(c *Config) { c.LogFile = "/nonexistent-lime-dir/s1" }, "directory /nonexistent-lime-dir does not exist"},
		{"bad config", func(c *Config) { c.LogLevel = "loud" }, `LogLevel "loud"`},
		{"nothing to run", func(c *Config) { c.Mode = ModeAuto; c.Binary = "no-such-simple-switch"; c.Docker = "no-such-docker" },
			"no way to run simple_switch_grpc here: no-such-simple-switch not found on PATH; no no-such-docker CLI on PATH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fakeConfig(t, "serve")
			tc.edit(&cfg)
			s, err := Start(startCtx(t), cfg)
			if err == nil {
				s.Stop()
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}
