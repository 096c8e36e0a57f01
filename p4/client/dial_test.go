package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// testCA is a throwaway certificate authority.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

var serial int64

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// issue signs a leaf certificate for the given DNS names and IPs, returning
// it with its PEM forms.
func (ca *testCA) issue(t *testing.T, cn string, usage x509.ExtKeyUsage, dns []string, ips []net.IP) (tls.Certificate, []byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		DNSNames:     dns,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return pair, certPEM, keyPEM
}

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
	ca := newTestCA(t, "lime test CA")
	otherCA := newTestCA(t, "some other CA")
	loopback := []net.IP{net.ParseIP("127.0.0.1")}
	serverCert, _, _ := ca.issue(t, "switch", x509.ExtKeyUsageServerAuth, nil, loopback)
	namedCert, _, _ := ca.issue(t, "named switch", x509.ExtKeyUsageServerAuth, []string{"switch1.lime.test"}, nil)
	clientCert, clientPEM, clientKeyPEM := ca.issue(t, "controller", x509.ExtKeyUsageClientAuth, nil, nil)
	strangerCert, _, _ := otherCA.issue(t, "stranger", x509.ExtKeyUsageClientAuth, nil, nil)
	dir := t.TempDir()
	caFile := writeFile(t, dir, "ca.pem", ca.pem)
	certFile := writeFile(t, dir, "client.pem", clientPEM)
	keyFile := writeFile(t, dir, "client.key", clientKeyPEM)

	tests := []struct {
		name    string
		server  *tls.Config
		client  TLSOptions
		wantErr string // empty: must connect
	}{
		{"TLS, CA in memory", &tls.Config{Certificates: []tls.Certificate{serverCert}},
			TLSOptions{CA: ca.pool()}, ""},
		{"TLS, CA file", &tls.Config{Certificates: []tls.Certificate{serverCert}},
			TLSOptions{CAFile: caFile}, ""},
		{"TLS, wrong CA", &tls.Config{Certificates: []tls.Certificate{serverCert}},
			TLSOptions{CA: otherCA.pool()}, "certificate signed by unknown authority"},
		{"server name override", &tls.Config{Certificates: []tls.Certificate{namedCert}},
			TLSOptions{CA: ca.pool(), ServerName: "switch1.lime.test"}, ""},
		{"server name mismatch", &tls.Config{Certificates: []tls.Certificate{namedCert}},
			TLSOptions{CA: ca.pool()}, "127.0.0.1"},
		{"mTLS, cert in memory", &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: ca.pool(), ClientAuth: tls.RequireAndVerifyClientCert},
			TLSOptions{CA: ca.pool(), Certificate: &clientCert}, ""},
		{"mTLS, cert files", &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: ca.pool(), ClientAuth: tls.RequireAndVerifyClientCert},
			TLSOptions{CAFile: caFile, CertFile: certFile, KeyFile: keyFile}, ""},
		{"mTLS, no client cert", &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: ca.pool(), ClientAuth: tls.RequireAndVerifyClientCert},
			TLSOptions{CA: ca.pool()}, "connection not ready"}, // TLS 1.3: the refusal shows as "certificate required" or a broken pipe
		{"mTLS, client cert from another CA", &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: ca.pool(), ClientAuth: tls.RequireAndVerifyClientCert},
			TLSOptions{CA: ca.pool(), Certificate: &strangerCert}, "connection not ready"},
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
