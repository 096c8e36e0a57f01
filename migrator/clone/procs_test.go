package clone_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lime-p4/lime/internal/fixtures"
)

// The processes of the clone benchmark: `lime sim` switches, `lime clone`,
// and the CPUs they run on.

var (
	limeOnce sync.Once
	limeBin  string
	limeErr  error
)

// limeBinary builds cmd/lime once, to measure a clone as its own process.
func limeBinary(b *testing.B) string {
	limeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lime-bench-")
		if err != nil {
			limeErr = err
			return
		}
		limeBin = filepath.Join(dir, "lime")
		out, err := exec.Command("go", "build", "-o", limeBin, "github.com/lime-p4/lime/cmd/lime").CombinedOutput()
		if err != nil {
			limeErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if limeErr != nil {
		b.Fatal(limeErr)
	}
	return limeBin
}

// simSwitch is a switch of the benchmark: `lime sim` with one device
// (id 1, spec profile, scale-bigtable) as a process of its own, so that
// its work and garbage stay out of the measured clients, as a real
// switch's would.
type simSwitch struct {
	addr string // P4Runtime
	pid  int
	cmd  *exec.Cmd
}

func startSwitch(b *testing.B) *simSwitch {
	b.Helper()
	cmd := exec.Command(limeBinary(b), "sim", "--devices", "1", "--profile", "spec", "--base-port", "0",
		"--pipeline", fixtures.Get(b, "scale-bigtable").Dir, "--log-level", "warn")
	if d := os.Getenv("TMP_PROFDIR"); d != "" {
		cmd.Args = append(cmd.Args, "--cpu-profile", fmt.Sprintf("%s/sim.%d.prof", d, time.Now().UnixNano()))
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	s := &simSwitch{pid: cmd.Process.Pid, cmd: cmd}
	b.Cleanup(s.stop)
	sc := bufio.NewScanner(out)
	for s.addr == "" && sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 3 && f[0] == "s1" {
			s.addr = f[2]
		}
	}
	if s.addr == "" {
		b.Fatalf("lime sim printed no address: %v", sc.Err())
	}
	go io.Copy(io.Discard, out)
	return s
}

// stop ends the switch (again: a no-op).
func (s *simSwitch) stop() {
	if s.cmd.ProcessState == nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		s.cmd.Wait()
	}
}

// peakRSS runs cmd and returns its peak resident set (VmHWM, polled every
// few milliseconds from /proc). getrusage's ru_maxrss is no use here: the
// child starts as a clone of this process's memory, whose size grows with
// the simulators' entries.
func peakRSS(cmd *exec.Cmd) (int64, []byte, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var peak atomic.Int64
	done := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for {
			if st, err := os.ReadFile(status); err == nil {
				for _, l := range strings.Split(string(st), "\n") {
					if f := strings.Fields(l); len(f) == 3 && f[0] == "VmHWM:" {
						if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil && kb*1024 > peak.Load() {
							peak.Store(kb * 1024)
						}
					}
				}
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	<-polled
	return peak.Load(), out.Bytes(), err
}

// cpuTime is the user+system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is the user and system CPU time process pid has used, all its
// threads (/proc/PID/stat, in clock ticks: sum it over runs).
func procCPU(b *testing.B, pid int) time.Duration {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The fields after the command name, which may hold spaces and
	// parentheses: utime and stime are the 12th and 13th.
	f := strings.Fields(string(st[bytes.LastIndexByte(st, ')')+1:]))
	var ticks int64
	for _, s := range f[11:13] {
		t, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.Fatalf("/proc/%d/stat: %v", pid, err)
		}
		ticks += t
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux architecture Go runs on.
const clockTicks = 100

// cpuLayout places the benchmark's processes on CPUs as on a network,
// where each switch has a CPU of its own: the target switch (of the raw
// writer or of the clone) runs alone on one CPU; the clients (this
// process) and the clone's source switch share another, or have one each
// when there are three. With fewer than two CPUs, or with
// LIME_BENCH_SHARED_CPUS=1 in the environment, nothing is placed: every
// process competes for every CPU (on two CPUs, a clone's three processes
// against the raw writer's two).
type cpuLayout struct {
	all                    unix.CPUSet // this process's CPUs at the start
	target, client, source int         // -1: not placed
}

var (
	layoutOnce sync.Once
	layout     cpuLayout
)

func benchLayout(b *testing.B) cpuLayout {
	layoutOnce.Do(func() {
		layout = cpuLayout{target: -1, client: -1, source: -1}
		if err := unix.SchedGetaffinity(0, &layout.all); err != nil {
			return
		}
		var cpus []int
		for c := 0; c < 1024 && len(cpus) < 3; c++ {
			if layout.all.IsSet(c) {
				cpus = append(cpus, c)
			}
		}
		if os.Getenv("LIME_BENCH_SHARED_CPUS") == "1" {
			return
		}
		switch len(cpus) {
		case 2:
			layout.target, layout.client, layout.source = cpus[1], cpus[0], cpus[0]
		case 3:
			layout.target, layout.client, layout.source = cpus[1], cpus[0], cpus[2]
		}
	})
	if layout.target < 0 {
		b.Logf("processes not placed (fewer than two CPUs, or LIME_BENCH_SHARED_CPUS=1): the switches and the clients share the CPUs")
	}
	return layout
}

// place runs every thread of process pid on cpu (-1: on all the CPUs this
// process had at the start). Threads created later inherit the placement
// of the thread that creates them.
func (l cpuLayout) place(b *testing.B, pid, cpu int) {
	if l.target < 0 {
		return
	}
	set := l.all
	if cpu >= 0 {
		set.Zero()
		set.Set(cpu)
	}
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH { // a thread may have ended
			b.Fatalf("placing thread %d of process %d on CPU %d: %v", tid, pid, cpu, err)
		}
	}
}

// unplace lets the processes run anywhere again.
func (l cpuLayout) unplace(b *testing.B, pids ...int) {
	for _, pid := range pids {
		l.place(b, pid, -1)
	}
}
