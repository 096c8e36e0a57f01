package testcert

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
)

// TestCertificatesVerify: a leaf verifies against its CA's pool for its use
// and names, not against another CA's; a self-signed server certificate
// verifies for 127.0.0.1 against its own pool; written files load as a key
// pair (RFC 5280 path validation as crypto/x509 does it).
func TestCertificatesVerify(t *testing.T) {
	ca, other := NewCA(t, "test CA"), NewCA(t, "other CA")
	server := ca.Issue(t, "server", x509.ExtKeyUsageServerAuth, []string{"switch.test"}, []net.IP{net.IPv4(127, 0, 0, 1)})
	self := SelfSigned(t, "self")
	tests := []struct {
		name    string
		cert    *Cert
		opts    x509.VerifyOptions
		wantErr bool
	}{
		{"leaf by its CA, DNS name", server, x509.VerifyOptions{Roots: ca.Pool(), DNSName: "switch.test"}, false},
		{"leaf by its CA, IP", server, x509.VerifyOptions{Roots: ca.Pool(), DNSName: "127.0.0.1"}, false},
		{"leaf by another CA", server, x509.VerifyOptions{Roots: other.Pool()}, true},
		{"leaf for client use", server, x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, true},
		{"self-signed for loopback", self, x509.VerifyOptions{Roots: self.Pool(), DNSName: "127.0.0.1"}, false},
		{"self-signed for another name", self, x509.VerifyOptions{Roots: self.Pool(), DNSName: "switch.test"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.cert.X509.Verify(tc.opts)
			if (err != nil) != tc.wantErr {
				t.Errorf("Verify: %v, want error %v", err, tc.wantErr)
			}
		})
	}
	if server.X509.SerialNumber.Cmp(self.X509.SerialNumber) == 0 {
		t.Error("two certificates share a serial number")
	}
	certFile, keyFile := server.WriteFiles(t)
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if !pair.Leaf.Equal(server.X509) {
		t.Error("the written certificate differs")
	}
}
