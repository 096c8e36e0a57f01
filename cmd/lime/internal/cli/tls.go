package cli

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/lime-p4/lime/p4/client"
	"google.golang.org/grpc/credentials"
)

// ClientTLSFlags are a client's TLS files towards a server: PREFIXca,
// PREFIXcert and PREFIXkey.
type ClientTLSFlags struct {
	CAFile, CertFile, KeyFile string
}

// Register adds the flags, each name prefixed and each help text naming
// the server (what).
func (f *ClientTLSFlags) Register(fs *pflag.FlagSet, prefix, what string) {
	fs.StringVar(&f.CAFile, prefix+"ca", "", "PEM CA bundle that verifies the certificate of the "+what+" (enables TLS)")
	fs.StringVar(&f.CertFile, prefix+"cert", "", "client certificate (PEM) for mutual TLS with the "+what)
	fs.StringVar(&f.KeyFile, prefix+"key", "", "client key (PEM) for mutual TLS with the "+what)
}

// TLS is the TLS the flags (and serverName, the name expected in the
// server's certificate) ask for; nil when none is given: plaintext.
func (f *ClientTLSFlags) TLS(serverName string) *client.TLSOptions {
	if f.CAFile == "" && f.CertFile == "" && f.KeyFile == "" && serverName == "" {
		return nil
	}
	return &client.TLSOptions{CAFile: f.CAFile, CertFile: f.CertFile, KeyFile: f.KeyFile, ServerName: serverName}
}

// ServerTLSFlags are a gRPC server's --tls-cert, --tls-key and
// --tls-client-ca.
type ServerTLSFlags struct {
	Cert, Key, ClientCA string
}

// Register adds the flags; what names the server's protocols.
func (f *ServerTLSFlags) Register(fs *pflag.FlagSet, what string) {
	fs.StringVar(&f.Cert, "tls-cert", "", "PEM certificate to serve "+what+" over TLS (with --tls-key)")
	fs.StringVar(&f.Key, "tls-key", "", "PEM private key of --tls-cert")
	fs.StringVar(&f.ClientCA, "tls-client-ca", "", "PEM CA bundle: require client certificates signed by it (needs --tls-cert)")
}

// Credentials are the server's TLS credentials; nil when no certificate
// is given (plaintext).
func (f *ServerTLSFlags) Credentials() (credentials.TransportCredentials, error) {
	cfg, err := serverTLS(f.Cert, f.Key, f.ClientCA)
	if cfg == nil || err != nil {
		return nil, err
	}
	return credentials.NewTLS(cfg), nil
}

// Config is the server's TLS config; nil when no certificate is given.
// With --tls-client-ca, a client certificate is verified when one is
// presented (optional: where a bearer token serves as well).
func (f *ServerTLSFlags) Config() (*tls.Config, error) {
	cfg, err := serverTLS(f.Cert, f.Key, f.ClientCA)
	if cfg != nil && cfg.ClientCAs != nil {
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return cfg, err
}

func serverTLS(certFile, keyFile, clientCA string) (*tls.Config, error) {
	switch {
	case certFile == "" && keyFile == "" && clientCA == "":
		return nil, nil
	case certFile == "" || keyFile == "":
		return nil, errors.New("--tls-cert and --tls-key go together (and --tls-client-ca needs both)")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert %s / --tls-key %s: %w", certFile, keyFile, err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCA != "" {
		pem, err := os.ReadFile(clientCA)
		if err != nil {
			return nil, fmt.Errorf("--tls-client-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-client-ca %s: no PEM certificate in it", clientCA)
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}
