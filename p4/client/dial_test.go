package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/lime-p4/lime/internal/testcert"
)

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TLS and mutual TLS against servers using certificates made here: the
// right CA (in memory or from a file) succeeds, a wrong one fails naming the
// address; a server demanding client certificates refuses a client without
// one; ServerName overrides the verified name.
func TestDialTLS(t *testing.T) {
	ca := testcert.NewCA(t, "lime test CA")
	otherCA := testcert.NewCA(t, "some other CA")
	loopback := []net.IP{net.ParseIP("127.0.0.1")}
	serverCert := ca.Issue(t, "switch", x509.ExtKeyUsageServerAuth, nil, loopback).TLS
	namedCert := ca.Issue(t, "named switch", x509.ExtKeyUsageServerAuth, []string{"switch1.lime.test"}, nil).TLS
	client := ca.Issue(t, "controller", x509.ExtKeyUsageClientAuth, nil, nil)
	clientCert := client.TLS
	strangerCert := otherCA.Issue(t, "stranger", x509.ExtKeyUsageClientAuth, nil, nil).TLS
	dir := t.TempDir()
	caFile := writeFile(t, dir, "ca.pem", ca.CertPEM)
	certFile := writeFile(t, dir, "client.pem", client.CertPEM)
	keyFile := writeFile(t, dir, "client.key", client.KeyPEM)

	tests := []struct {
		name    string
		server  *tls.Config
		client  TLSOptions
		wantErr string // empty: must connect
	}{
		{"TLS, CA in memory", &tls.Config{Certificates: []tls.Certificate{serverCert}},
			TLSOptions{CA: ca.Pool()}, ""},
		{"TLS, CA file", &tls.Config{Certificates: []tls.Certificate{serverCert}},
			TLSOptions{CAFile: caFile}, ""},
		{"TLS, wrong CA", &tls.Config{Certificates: []tls.Certificate{serverCert}},
			TLSOptions{CA: otherCA.Pool()}, "certificate signed by unknown authority"},
		{"server name override", &tls.Config{Certificates: []tls.Certificate{namedCert}},
			TLSOptions{CA: ca.Pool(), ServerName: "switch1.lime.test"}, ""},
		{"server name mismatch", &tls.Config{Certificates: []tls.Certificate{namedCert}},
			TLSOptions{CA: ca.Pool()}, "127.0.0.1"},
		{"mTLS, cert in memory", &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: ca.Pool(), ClientAuth: tls.RequireAndVerifyClientCert},
			TLSOptions{CA: ca.Pool(), Certificate: &clientCert}, ""},
		{"mTLS, cert files", &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: ca.Pool(), ClientAuth: tls.RequireAndVerifyClientCert},
			TLSOptions{CAFile: caFile, CertFile: certFile, KeyFile: keyFile}, ""},
		{"mTLS, no client cert", &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: ca.Pool(), ClientAuth: tls.RequireAndVerifyClientCert},
			TLSOptions{CA: ca.Pool()}, "connection not ready"}, // TLS 1.3: the refusal shows as "certificate required" or a broken pipe
		{"mTLS, client cert from another CA", &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: ca.Pool(), ClientAuth: tls.RequireAndVerifyClientCert},
			TLSOptions{CA: ca.Pool(), Certificate: &strangerCert}, "connection not ready"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer()
			addr := f.start(t, grpc.Creds(credentials.NewTLS(tt.server)))
			timeout := 5 * time.Second
			if tt.wantErr != "" {
				timeout = 300 * time.Millisecond
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			opts := tt.client
			c, err := Dial(ctx, addr, DialOptions{
				DeviceID:   fakeDevice,
				ElectionID: &ElectionID{Low: 1},
				TLS:        &opts,
				Logger:     slog.New(slog.NewTextHandler(t.Output(), nil)),
			})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				defer c.Close()
				s, err := c.Arbitrate(ctx)
				if err != nil {
					t.Fatalf("Arbitrate over TLS: %v", err)
				}
				if !s.IsPrimary() {
					t.Error("not primary over TLS")
				}
				return
			}
			if err == nil {
				c.Close()
				t.Fatalf("Dial succeeded, want an error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), addr) {
				t.Errorf("Dial: %v; want an error naming %s and containing %q", err, addr, tt.wantErr)
			}
		})
	}
}

// Transport security must be chosen explicitly, and bad TLS material is
// refused before connecting, with an error naming the problem.
func TestDialOptionErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := writeFile(t, dir, "ca.txt", []byte("hello"))
	tests := []struct {
		name string
		addr string
		opts DialOptions
		want string
	}{
		{"no address", "", DialOptions{Insecure: true}, "empty address"},
		{"no security", "127.0.0.1:1", DialOptions{}, "no transport security chosen"},
		{"both", "127.0.0.1:1", DialOptions{Insecure: true, TLS: &TLSOptions{}}, "both Insecure and TLS"},
		{"CA file missing", "127.0.0.1:1", DialOptions{TLS: &TLSOptions{CAFile: filepath.Join(dir, "nope.pem")}}, "TLS CA file"},
		{"CA file not PEM", "127.0.0.1:1", DialOptions{TLS: &TLSOptions{CAFile: notPEM}}, "no PEM certificate found"},
		{"CA twice", "127.0.0.1:1", DialOptions{TLS: &TLSOptions{CAFile: notPEM, CA: x509.NewCertPool()}}, "both CAFile and CA"},
		{"cert without key", "127.0.0.1:1", DialOptions{TLS: &TLSOptions{CertFile: notPEM}}, "both CertFile and KeyFile"},
		{"bad key pair", "127.0.0.1:1", DialOptions{TLS: &TLSOptions{CertFile: notPEM, KeyFile: notPEM}}, "TLS client certificate"},
		{"cert twice", "127.0.0.1:1", DialOptions{TLS: &TLSOptions{CertFile: notPEM, KeyFile: notPEM, Certificate: &tls.Certificate{}}}, "both CertFile/KeyFile and Certificate"},
		{"negative recv size", "127.0.0.1:1", DialOptions{Insecure: true, MaxRecvMsgSize: -1}, "negative MaxRecvMsgSize"},
		{"negative buffer", "127.0.0.1:1", DialOptions{Insecure: true, StreamBuffer: -1}, "negative StreamBuffer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			c, err := Dial(ctx, tt.addr, tt.opts)
			if err == nil {
				c.Close()
				t.Fatalf("Dial succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Dial: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// Nothing listening: Dial gives up when ctx ends, naming the address and
// the last connection error.
func TestDialUnreachable(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close() // the port is now (almost certainly) closed
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	c, err := Dial(ctx, addr, DialOptions{Insecure: true})
	if err == nil {
		c.Close()
		t.Fatal("Dial to a closed port succeeded")
	}
	if !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Dial: %v; want the address and 'connection refused'", err)
	}
}
