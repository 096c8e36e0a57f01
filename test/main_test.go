//go:build linux

package test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lime-p4/lime/migrator/clone"
	"github.com/lime-p4/lime/migrator/diff"
	"github.com/lime-p4/lime/test/lab"
)

// buildTimeout bounds building the lime binary.
const buildTimeout = 5 * time.Minute

var (
	binDir    string // where lime is built, removed after the tests
	limeOnce  sync.Once
	limeBuilt *lab.Lime
	limeErr   error
)

// TestMain runs the tests, or, started as a stand-in simple_switch_grpc
// (lab.StandInEnv), acts as one. It checks that no test leaves goroutines
// behind (glog's flush daemon comes with the simulator's gNMI cache).
func TestMain(m *testing.M) {
	if lab.StandInRequested() {
		os.Exit(lab.RunStandIn(os.Args[1:]))
	}
	dir, err := os.MkdirTemp("", "lime-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(goleak.IgnoreTopFunction("github.com/golang/glog.(*fileSink).flushDaemon")); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines left behind:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// limeTool returns the lime binary, built once for all tests (with the race
// detector when the tests run with it).
func limeTool(t testing.TB) *lab.Lime {
	t.Helper()
	limeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		limeBuilt, limeErr = lab.BuildLime(ctx, binDir)
	})
	if limeErr != nil {
		t.Fatal(limeErr)
	}
	return limeBuilt
}

// runLime runs a lime verb and fails the test unless it exits with want.
func runLime(t testing.TB, ctx context.Context, want int, args ...string) *lab.Run {
	t.Helper()
	r, err := limeTool(t).Run(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	if r.Code != want {
		t.Fatalf("want exit status %d:\n%s", want, r)
	}
	t.Logf("$ lime %v: exit status %d", r.Args, r.Code)
	return r
}

// proxyStarted matches lime proxy's first line: its P4Runtime and admin
// addresses.
var proxyStarted = regexp.MustCompile(`P4Runtime on (\S+), admin API on (\S+)`)

// limeProxy is a lime proxy a test started: its P4Runtime and admin
// addresses and its admin token file.
type limeProxy struct {
	*lab.Daemon
	addr, admin, token string
}

// startProxy starts lime proxy on loopback ports of its own with a journal
// and an admin token in the test's temporary folders, and args (its
// --device flags and the like).
func startProxy(t *testing.T, args ...string) limeProxy {
	t.Helper()
	token := filepath.Join(t.TempDir(), "admin.token")
	d, m := limeTool(t).Start(t, proxyStarted, append([]string{"proxy", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
		"--journal", filepath.Join(t.TempDir(), "journal.db"), "--admin-token-file", token}, args...)...)
	return limeProxy{Daemon: d, addr: m[1], admin: m[2], token: token}
}

// cloneThenDiff runs lime clone of pipeline dir with args (the switches,
// port map and fields), which must copy everything, then lime diff with the
// same args, which must find the two equal, volatile values included; it
// returns both reports.
func cloneThenDiff(t *testing.T, ctx context.Context, dir string, args []string) (*clone.Result, *diff.Report) {
	t.Helper()
	r := runLime(t, ctx, 0, append([]string{"clone", "--pipeline", dir, "--no-progress", "--json"}, args...)...)
	var res clone.Result
	if err := r.JSON(&res); err != nil {
		t.Fatal(err)
	}
	if !res.OK() || res.Total().Failed != 0 {
		t.Fatalf("clone result not OK:\n%s", r)
	}
	r = runLime(t, ctx, 0, append([]string{"diff", "--json"}, args...)...)
	var rep diff.Report
	if err := r.JSON(&rep); err != nil {
		t.Fatal(err)
	}
	if tot := rep.Total(); !rep.Equal() || tot.VolatileDifferent != 0 {
		t.Fatalf("diff after clone: %+v\n%s", tot, r)
	}
	return &res, &rep
}
