package proxycmd_test

import (
	"context"
	"crypto/x509"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/cmd/lime/internal/clitest"
	"github.com/lime-p4/lime/cmd/lime/internal/proxycmd"
	"github.com/lime-p4/lime/cmd/lime/internal/statuscmd"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/internal/syncbuf"
	"github.com/lime-p4/lime/internal/testcert"
)

// status runs `lime status` with args; it returns what it printed and its
// exit code.
func status(t *testing.T, args ...string) (string, int) {
	t.Helper()
	return clitest.Exec(t, statuscmd.New, args...)
}

// The admin API starts and aborts migrations: lime proxy lets in only a
// client with its bearer token (in --admin-token-file, which it makes
// beside the journal) or, with --tls-client-ca, a verified client
// certificate; everyone else gets 401. With --tls-cert it serves HTTPS, and
// beyond loopback it serves nothing else.
func TestAdminAPICredentials(t *testing.T) {
	t.Setenv(cli.TokenEnv, "")
	ca := testcert.NewCA(t, "lime test CA")
	loopback := []net.IP{net.ParseIP("127.0.0.1")}
	certFile, keyFile := ca.Issue(t, "proxy", x509.ExtKeyUsageServerAuth, nil, loopback).WriteFiles(t)
	clientCert, clientKey := ca.Issue(t, "operator", x509.ExtKeyUsageClientAuth, nil, nil).WriteFiles(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	sw := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, Cookie: 3})
	dir := t.TempDir()
	journal := filepath.Join(dir, "proxy.db")
	stop := func() {}
	start := func(args ...string) (string, *syncbuf.Buffer, error) {
		stop() // the journal is one proxy's
		out := &syncbuf.Buffer{}
		ctx, cancel := context.WithCancel(context.Background())
		args = append([]string{"--listen", "127.0.0.1:0", "--journal", journal, "--device", "vid=1,addr=" + sw.Addr, "--election-high", "10"}, args...)
		_, admin, wait, err := proxycmd.Run(ctx, cli.Deps{Out: out, Err: out, Log: slog.New(slog.DiscardHandler)}, args...)
		if err != nil {
			cancel()
			return "", out, err
		}
		stop = func() { cancel(); wait() }
		return admin, out, nil
	}
	defer func() { stop() }()

	// Beyond loopback without TLS: refused, naming the way out.
	if _, out, err := start("--admin", "0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "beyond loopback") {
		t.Fatalf("an admin API on 0.0.0.0 without TLS: %v\n%s", err, out)
	}

	// Plain HTTP on loopback: the token the proxy made beside its journal.
	admin, out, err := start("--admin", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("lime proxy: %v\n%s", err, out)
	}
	tokenFile := filepath.Join(dir, "proxy.token")
	if !strings.Contains(out.String(), tokenFile+" (made now)") {
		t.Errorf("lime proxy does not say where its token is:\n%s", out)
	}
	if got, code := status(t, "--admin", admin, "--admin-token-file", filepath.Join(dir, "none")); code != 2 || !strings.Contains(got, "none") {
		t.Errorf("lime status with a missing token file: exit %d\n%s", code, got)
	}
	if got, code := status(t, "--admin", admin); code != 2 || !strings.Contains(got, "unauthorized") || !strings.Contains(got, tokenFile) {
		t.Errorf("lime status without a token: exit %d, want 2 saying unauthorized and where the token is\n%s", code, got)
	}
	wrong := filepath.Join(dir, "wrong.token")
	if err := os.WriteFile(wrong, []byte("0123456789abcdef0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, code := status(t, "--admin", admin, "--admin-token-file", wrong); code != 2 || !strings.Contains(got, "wrong token") {
		t.Errorf("lime status with a wrong token: exit %d\n%s", code, got)
	}
	if got, code := status(t, "--admin", admin, "--admin-token-file", tokenFile); code != 0 || !strings.Contains(got, sw.Addr) {
		t.Errorf("lime status with the token: exit %d\n%s", code, got)
	}
	tok, _ := os.ReadFile(tokenFile)
	t.Setenv(cli.TokenEnv, strings.TrimSpace(string(tok)))
	if got, code := status(t, "--admin", admin); code != 0 {
		t.Errorf("lime status with $%s: exit %d\n%s", cli.TokenEnv, code, got)
	}
	t.Setenv(cli.TokenEnv, "")

	// HTTPS, beyond loopback, with client certificates.
	admin, out, err = start("--admin", "0.0.0.0:0", "--tls-cert", certFile, "--tls-key", keyFile, "--tls-client-ca", caFile)
	if err != nil {
		t.Fatalf("lime proxy over TLS: %v\n%s", err, out)
	}
	_, port, _ := net.SplitHostPort(admin)
	admin = "127.0.0.1:" + port
	if got, code := status(t, "--admin", admin, "--admin-ca", caFile, "--admin-cert", clientCert, "--admin-key", clientKey); code != 0 || !strings.Contains(got, sw.Addr) {
		t.Errorf("lime status with a client certificate: exit %d\n%s", code, got)
	}
	if got, code := status(t, "--admin", admin, "--admin-ca", caFile); code != 2 || !strings.Contains(got, "unauthorized") {
		t.Errorf("lime status over TLS with neither certificate nor token: exit %d\n%s", code, got)
	}
	if got, code := status(t, "--admin", admin, "--admin-ca", caFile, "--admin-token-file", tokenFile); code != 0 {
		t.Errorf("lime status over TLS with the token: exit %d\n%s", code, got)
	}
	if resp, err := http.Get("http://" + admin + "/v1/status"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP reached the TLS admin API")
		}
	}
}
