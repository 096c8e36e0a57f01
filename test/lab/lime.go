package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lime-p4/lime/internal/syncbuf"
)

// limePackage is the import path of the lime command.
const limePackage = "github.com/lime-p4/lime/cmd/lime"

// waitDelay bounds the wait for lime's output once it has exited or been
// killed (a child holding its pipes open cannot stall a test).
const waitDelay = 5 * time.Second

// Lime is a built lime binary.
type Lime struct {
	Path string
}

// BuildLime builds the lime command into dir with the go tool on PATH
// (go test puts its own first), with the race detector when this binary
// has it, and returns it. It runs from the working directory, which must be
// inside the lime module.
func BuildLime(ctx context.Context, dir string) (*Lime, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("lab: building lime needs the go tool on PATH: %w", err)
	}
	out := filepath.Join(dir, "lime")
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, limePackage)
	cmd := exec.CommandContext(ctx, gobin, args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("lab: go %s: %w\n%s", strings.Join(args, " "), err, b)
	}
	return &Lime{Path: out}, nil
}

// Run is one run of a lime verb.
type Run struct {
	Args   []string
	Stdout string
	Stderr string
	Code   int // exit status
}

// String shows the command line, exit status and output, for messages.
func (r *Run) String() string {
	return fmt.Sprintf("$ lime %s\nexit status %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.Args, " "), r.Code, r.Stdout, r.Stderr)
}

// JSON decodes the run's standard output (a verb run with --json) into v.
func (r *Run) JSON(v any) error {
	if err := json.Unmarshal([]byte(r.Stdout), v); err != nil {
		return fmt.Errorf("lab: lime %s printed no JSON report: %w", r.Args[0], err)
	}
	return nil
}

// Run runs lime with args, as a user does, and returns its output and exit
// status; the error is for a lime that could not run or was killed (ctx
// ended), not for a non-zero exit.
func (l *Lime) Run(ctx context.Context, args ...string) (*Run, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, l.Path, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = waitDelay
	err := cmd.Run()
	r := &Run{Args: args, Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.Code = ee.ExitCode()
	default:
		return r, fmt.Errorf("lab: lime %s: %w\n%s", strings.Join(args, " "), err, r)
	}
	return r, nil
}

// Daemon is a lime verb running in the background (lime proxy).
type Daemon struct {
	cmd    *exec.Cmd
	stdout *syncbuf.Buffer
	stderr *syncbuf.Buffer
	done   chan struct{}
	err    error
}

// Start starts lime with args in the background and waits until its
// standard output matches ready (a line saying it serves), returning the
// submatches. The daemon is stopped (SIGTERM) when the test ends.
func (l *Lime) Start(t testing.TB, ready *regexp.Regexp, args ...string) (*Daemon, []string) {
	t.Helper()
	return l.StartEnv(t, nil, ready, args...)
}

// StartEnv is Start with env (KEY=VALUE) added to the environment.
func (l *Lime) StartEnv(t testing.TB, env []string, ready *regexp.Regexp, args ...string) (*Daemon, []string) {
	t.Helper()
	d := &Daemon{stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, done: make(chan struct{})}
	d.cmd = exec.Command(l.Path, args...)
	if env != nil {
		d.cmd.Env = append(os.Environ(), env...)
	}
	d.cmd.Stdout, d.cmd.Stderr = d.stdout, d.stderr
	d.cmd.WaitDelay = waitDelay
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("lab: lime %s: %v", strings.Join(args, " "), err)
	}
	go func() { d.err = d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() {
		d.Stop()
		if t.Failed() {
			t.Logf("lime %s printed:\n%s", strings.Join(args, " "), d.Output())
		}
	})
	deadline := time.After(30 * time.Second)
	for {
		if m := ready.FindStringSubmatch(d.stdout.String()); m != nil {
			return d, m
		}
		select {
		case <-d.done:
			t.Fatalf("lab: lime %s ended: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), d.err, d.stdout, d.stderr)
		case <-deadline:
			d.Stop()
			t.Fatalf("lab: lime %s did not start within 30s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), d.stdout, d.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// WaitOutput waits until the daemon's standard error holds want, or it
// ended, or timeout passed; it reports whether want came.
func (d *Daemon) WaitOutput(want string, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		if strings.Contains(d.stderr.String(), want) {
			return true
		}
		select {
		case <-d.done:
			return strings.Contains(d.stderr.String(), want)
		case <-deadline:
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Stop ends the daemon (SIGTERM, then SIGKILL after waitDelay).
func (d *Daemon) Stop() {
	select {
	case <-d.done:
		return
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(waitDelay):
		d.cmd.Process.Kill()
		<-d.done
	}
}

// Kill ends the daemon at once (SIGKILL), as a crash would, and waits
// until it is gone.
func (d *Daemon) Kill() {
	select {
	case <-d.done:
		return
	default:
	}
	d.cmd.Process.Kill()
	<-d.done
}

// Output is what the daemon printed so far.
func (d *Daemon) Output() string {
	return "stdout:\n" + d.stdout.String() + "\nstderr:\n" + d.stderr.String()
}
