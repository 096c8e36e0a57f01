package agentcmd

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/internal/syncbuf"
)

func testDeps(t *testing.T) cli.Deps {
	t.Helper()
	logs := &syncbuf.Buffer{} // printed when a test fails
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("agent logs:\n%s", logs)
		}
	})
	return cli.Deps{Out: logs, Err: logs, Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
}

// runVerb runs `lime agent args...` to its end (bounded).
func runVerb(t *testing.T, args ...string) error {
	t.Helper()
	cmd := New(testDeps(t))
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return cmd.ExecuteContext(ctx)
}

// TestFlagErrors: bad flags are refused before anything is dialled or
// opened, with an error naming the flag and the problem.
func TestFlagErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "x.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no port", nil, "no --port given"},
		{"port syntax", []string{"--port", "veth0"}, `--port "veth0": no '@'`},
		{"port id", []string{"--port", "h1=one@veth0"}, `port id "one" is not a number`},
		{"duplicate id", []string{"--port", "1@p1", "--port", "1@p2"}, "port id 1 already given"},
		{"duplicate name", []string{"--port", "h=1@p1", "--port", "h=2@p2"}, `name "h" already given`},
		{"thrift syntax", []string{"--thrift", "9090", "--port", "1@p1"}, `--thrift "9090": want HOST:PORT`},
		{"listen syntax", []string{"--listen", "localhost", "--port", "1@p1"}, `--listen "localhost": want HOST:PORT`},
		{"plaintext off loopback", []string{"--listen", "0.0.0.0:9339", "--port", "1@p1"}, "is not a loopback address: give --tls-cert"},
		{"plaintext on every address", []string{"--listen", ":9339", "--port", "1@p1"}, "is not a loopback address"},
		{"cert without key", []string{"--tls-cert", notPEM, "--port", "1@p1"}, "--tls-cert and --tls-key go together"},
		{"client CA alone", []string{"--tls-client-ca", notPEM, "--port", "1@p1"}, "--tls-cert and --tls-key go together"},
		{"unreadable key pair", []string{"--tls-cert", notPEM, "--tls-key", notPEM, "--port", "1@p1"}, "--tls-cert " + notPEM},
		{"no namespace", []string{"--netns", "lime-no-such-ns", "--port", "1@p1"}, `--netns "lime-no-such-ns": no network namespace at /var/run/netns/lime-no-such-ns`},
		{"poll too short", []string{"--poll-interval", "1ms", "--port", "1@p1"}, "--poll-interval 1ms: want 10ms to 1m0s"},
		{"empty target", []string{"--target", "", "--port", "1@p1"}, "--target: empty"},
		{"argument", []string{"--port", "1@p1", "extra"}, `unknown command "extra"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runVerb(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("lime agent %q: error %v, want one containing %q", tc.args, err, tc.want)
			}
		})
	}
}
