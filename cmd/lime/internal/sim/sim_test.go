package sim_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/cmd/lime/internal/sim"
	gclient "github.com/lime-p4/lime/gnmi/client"
	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/syncbuf"
	"github.com/lime-p4/lime/internal/testcert"
	"github.com/lime-p4/lime/p4/client"
)

// start runs `lime sim args...` in-process until the returned cancel.
func start(t *testing.T, args ...string) (out *syncbuf.Buffer, cancel func(), done <-chan error) {
	t.Helper()
	out = &syncbuf.Buffer{}
	cmd := sim.New(cli.Deps{Out: out, Err: out, Log: slog.New(slog.DiscardHandler)})
	cmd.SetArgs(args)
	ctx, c := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- cmd.ExecuteContext(ctx) }()
	return out, c, ch
}

// addrs waits for the device table and returns each device's address.
func addrs(t *testing.T, out *syncbuf.Buffer, done <-chan error, n int) map[string]string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		got := map[string]string{}
		for _, line := range strings.Split(out.String(), "\n") {
			f := strings.Fields(line)
			if len(f) >= 3 && strings.HasPrefix(f[0], "s") && f[0] != "DEVICE" {
				got[f[0]] = f[2]
			}
		}
		if len(got) == n {
			return got
		}
		select {
		case err := <-done:
			t.Fatalf("lime sim ended: %v\n%s", err, out)
		case <-deadline:
			t.Fatalf("no device table:\n%s", out)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestSimFromFlags runs `lime sim --devices 2 --pipeline DIR` in-process,
// talks P4Runtime and gNMI to both switches, and stops it as a signal
// would (by cancelling its context).
func TestSimFromFlags(t *testing.T) {
	dir := fixtures.Get(t, "onos-basic").Dir
	out, cancel, done := start(t, "--devices", "2", "--base-port", "0", "--ports", "3", "--pipeline", dir, "--profile", "spec")
	defer cancel()
	for name, addr := range addrs(t, out, done, 2) {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		ctx, c := context.WithTimeout(context.Background(), 10*time.Second)
		id := uint64(name[1] - '0')
		r, err := p4v1.NewP4RuntimeClient(conn).GetForwardingPipelineConfig(ctx, &p4v1.GetForwardingPipelineConfigRequest{DeviceId: id, ResponseType: p4v1.GetForwardingPipelineConfigRequest_P4INFO_AND_COOKIE})
		if err != nil || len(r.GetConfig().GetP4Info().GetTables()) == 0 {
			t.Errorf("%s: pipeline %v, %v", name, r, err)
		}
		if pid, err := gclient.New(conn).PortID(ctx, "eth3"); err != nil || pid != 3 {
			t.Errorf("%s: gNMI eth3 id %d, %v", name, pid, err)
		}
		c()
		conn.Close()
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("lime sim: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("lime sim did not stop within 10s")
	}
}

// TestSimTopologyFile runs the example topology shape from a file with
// ephemeral addresses.
func TestSimTopologyFile(t *testing.T) {
	dir := fixtures.Get(t, "tutorials-basic").Dir
	file := filepath.Join(t.TempDir(), "topo.yaml")
	yaml := "pipeline: " + dir + "\ndevices:\n  - {name: s1, device_id: 1, p4runtime: '127.0.0.1:0', ports: [{name: p, id: 1}]}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	out, cancel, done := start(t, "--topology", file)
	addrs(t, out, done, 1)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("lime sim: %v", err)
	}
}

// TestSimTopologyWithDefaults: device flags given at their default values
// (`--pipeline none`, the default) do not conflict with --topology; the
// topology's devices and pipeline run (issue 15, point 5).
func TestSimTopologyWithDefaults(t *testing.T) {
	dir := fixtures.Get(t, "tutorials-basic").Dir
	file := filepath.Join(t.TempDir(), "topo.yaml")
	yaml := "pipeline: " + dir + "\ndevices:\n  - {name: s1, device_id: 1, p4runtime: '127.0.0.1:0', ports: [{name: p, id: 1}]}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	out, cancel, done := start(t, "--topology", file, "--pipeline", "none", "--profile", "bmv2", "--devices", "1")
	defer cancel()
	addrs(t, out, done, 1)
	if !strings.Contains(out.String(), "tutorials-basic") {
		t.Errorf("the topology's pipeline is not loaded:\n%s", out)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("lime sim: %v", err)
	}
}

// TestSimBadFlags: errors name the problem and exit with status 2.
func TestSimBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--devices", "0"}, "--devices 0"},
		{[]string{"--profile", "fast"}, "--profile"},
		{[]string{"--base-port", "65535", "--devices", "2"}, "--base-port"},
		{[]string{"--topology", "x.yaml", "--devices", "2"}, "cannot be combined with --topology"},
		{[]string{"--topology", "x.yaml", "--pipeline", "onos-basic"}, "--pipeline describes devices"},
		{[]string{"--topology", "/nonexistent.yaml"}, "nonexistent.yaml"},
		{[]string{"--pipeline", "/nonexistent/dir", "--base-port", "0"}, `device "s1"`},
	} {
		_, cancel, done := start(t, tc.args...)
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%v: did not fail", tc.args)
		}
		cancel()
		var ee *cli.ExitError
		if !errors.As(err, &ee) || ee.Code != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want exit 2 mentioning %q", tc.args, err, tc.want)
		}
	}
}

// TestSimTLS: with --tls-cert and --tls-key the switches serve P4Runtime
// and gNMI over TLS, and a plaintext client gets nowhere.
func TestSimTLS(t *testing.T) {
	ca := testcert.NewCA(t, "lime test CA")
	certFile, keyFile := ca.Issue(t, "switch", x509.ExtKeyUsageServerAuth, nil, []net.IP{net.ParseIP("127.0.0.1")}).WriteFiles(t)
	out, cancel, done := start(t, "--devices", "1", "--base-port", "0", "--pipeline", fixtures.Get(t, "onos-basic").Dir,
		"--tls-cert", certFile, "--tls-key", keyFile)
	defer func() {
		cancel()
		<-done
	}()
	addr := addrs(t, out, done, 1)["s1"]
	ctx, c := context.WithTimeout(context.Background(), 10*time.Second)
	defer c()
	cl, err := client.Dial(ctx, addr, client.DialOptions{DeviceID: 1, TLS: &client.TLSOptions{CA: ca.Pool()}})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if cfg, err := cl.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_P4INFO_AND_COOKIE); err != nil || len(cfg.GetP4Info().GetTables()) == 0 {
		t.Fatalf("pipeline over TLS: %v, %v", cfg, err)
	}
	g, err := gclient.Dial(ctx, addr, gclient.WithTLS(&tls.Config{RootCAs: ca.Pool()}))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if pid, err := g.PortID(ctx, "eth2"); err != nil || pid != 2 {
		t.Errorf("gNMI over TLS: eth2 id %d, %v", pid, err)
	}
	pctx, pc := context.WithTimeout(ctx, time.Second)
	defer pc()
	if p, err := client.Dial(pctx, addr, client.DialOptions{DeviceID: 1, Insecure: true}); err == nil {
		p.Close()
		t.Error("a plaintext client reached the TLS switch")
	}
}
