package lab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lime-p4/lime/internal/syncbuf"
)

// GNMICLIVersion is the openconfig/gnmi release whose gnmi_cli the tests
// run, as an outside client of lime's gNMI (issue 15).
const GNMICLIVersion = "v0.14.1"

// gnmiCLIPackage is gnmi_cli's import path.
const gnmiCLIPackage = "github.com/openconfig/gnmi/cmd/gnmi_cli"

// GNMICLI is openconfig's gnmi_cli, built from the module proxy.
type GNMICLI struct {
	Path string
}

// unfetchable matches what the go tool says when it cannot fetch a module:
// no network, a proxy that does not answer, or fetching turned off.
var unfetchable = regexp.MustCompile(`dial tcp|no such host|connection refused|i/o timeout|network is unreachable|TLS handshake timeout|GOPROXY=off|module lookup disabled`)

// BuildGNMICLI returns gnmi_cli at GNMICLIVersion, built with `go install
// github.com/openconfig/gnmi/cmd/gnmi_cli@VERSION` (the go tool on PATH;
// modules from GOPROXY, sums checked against GOSUMDB) once and kept in the
// user cache directory under lime/gnmi_cli/VERSION/GOOS_GOARCH, so that
// later runs take it from there. It skips the test only when the module
// cannot be fetched (no network or no module proxy), saying so; any other
// failure fails the test.
func BuildGNMICLI(t testing.TB) *GNMICLI {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("lab: building gnmi_cli needs the go tool on PATH: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "gnmi_cli") // no user cache: built for this test
	if cache, err := os.UserCacheDir(); err == nil {
		dir = filepath.Join(cache, "lime", "gnmi_cli", GNMICLIVersion, runtime.GOOS+"_"+runtime.GOARCH)
	}
	path := filepath.Join(dir, "gnmi_cli")
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
		return &GNMICLI{Path: path}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("lab: gnmi_cli cache: %v", err)
	}
	// Built into a directory of its own, then renamed into place: a
	// concurrent run never sees half a binary.
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		t.Fatalf("lab: gnmi_cli cache: %v", err)
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gobin, "install", gnmiCLIPackage+"@"+GNMICLIVersion)
	// Outside any module or workspace, whatever GOFLAGS says of this one.
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOFLAGS=", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		if unfetchable.Match(out) {
			t.Skipf("lab: gnmi_cli %s cannot be fetched from the module proxy, and no build of it is cached in %s: %v\n%s", GNMICLIVersion, dir, err, out)
		}
		t.Fatalf("lab: go install %s@%s: %v\n%s", gnmiCLIPackage, GNMICLIVersion, err, out)
	}
	if err := os.Rename(filepath.Join(tmp, "gnmi_cli"), path); err != nil {
		t.Fatalf("lab: gnmi_cli cache: %v", err)
	}
	return &GNMICLI{Path: path}
}

// Run runs gnmi_cli with args (over plaintext: -insecure comes first) and
// returns what it printed; err is set when it exits non-zero or ctx ends.
func (g *GNMICLI) Run(ctx context.Context, args ...string) (string, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, g.Path, append([]string{"-insecure"}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = waitDelay
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("gnmi_cli %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}

// GNMIStream is a gnmi_cli subscription running in the background.
type GNMIStream struct {
	cmd  *exec.Cmd
	out  *syncbuf.Buffer
	done chan struct{}
}

// Stream starts gnmi_cli with args (a STREAM subscription) in the
// background; it is killed when the test ends.
func (g *GNMICLI) Stream(t testing.TB, args ...string) *GNMIStream {
	t.Helper()
	s := &GNMIStream{out: &syncbuf.Buffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(g.Path, append([]string{"-insecure"}, args...)...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.WaitDelay = waitDelay
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("lab: gnmi_cli: %v", err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.done
	})
	return s
}

// WaitFor waits until the stream printed a line holding want, and reports
// whether it did within timeout (false too when gnmi_cli ended first).
func (s *GNMIStream) WaitFor(want string, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		if strings.Contains(s.out.String(), want) {
			return true
		}
		select {
		case <-s.done:
			return strings.Contains(s.out.String(), want)
		case <-deadline:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Output is what the stream printed so far.
func (s *GNMIStream) Output() string { return s.out.String() }
