package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Dial connects to the P4Runtime server at addr (host:port, or any gRPC
// target) and waits until the connection is ready or ctx ends. Errors name
// the address and, when the connection never became ready, the last
// connection error gRPC saw (refused, TLS handshake failure, ...).
//
// To learn that the connection is up, Dial sends one Capabilities request
// (wait-for-ready); any answer, even an error status, proves the
// connection. Dial does not open the arbitration stream; call
// [Client.Arbitrate] for that.
func Dial(ctx context.Context, addr string, opts DialOptions) (*Client, error) {
	if addr == "" {
		return nil, errors.New("p4runtime dial: empty address")
	}
	creds, err := transportCredentials(opts)
	if err != nil {
		return nil, fmt.Errorf("p4runtime dial %s: %w", addr, err)
	}
	if opts.MaxRecvMsgSize < 0 {
		return nil, fmt.Errorf("p4runtime dial %s: negative MaxRecvMsgSize %d", addr, opts.MaxRecvMsgSize)
	}
	if opts.StreamBuffer < 0 {
		return nil, fmt.Errorf("p4runtime dial %s: negative StreamBuffer %d", addr, opts.StreamBuffer)
	}
	recv := opts.MaxRecvMsgSize
	if recv == 0 {
		recv = DefaultMaxRecvMsgSize
	}
	ka := DefaultKeepalive
	if opts.Keepalive != nil {
		ka = *opts.Keepalive
	}
	dialOpts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(recv)),
		grpc.WithKeepaliveParams(ka),
	}
	dialOpts = append(dialOpts, opts.GRPCOptions...)
	conn, err := grpc.NewClient(addr, dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("p4runtime dial %s: %w", addr, err)
	}
	c := newClient(addr, conn, opts)
	if err := c.waitReady(ctx); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("p4runtime dial %s: %w", addr, err)
	}
	return c, nil
}

// waitReady blocks until the connection is ready. It sends a wait-for-ready
// Capabilities request: when the connection never comes up, gRPC's answer
// carries the last connection error, which a bare state watch would lose. Any
// answer from the server itself (even UNIMPLEMENTED) proves the connection.
func (c *Client) waitReady(ctx context.Context) error {
	_, err := c.p4.Capabilities(ctx, &p4v1.CapabilitiesRequest{DeviceId: c.deviceID}, grpc.WaitForReady(true))
	if err == nil || c.conn.GetState() == connectivity.Ready {
		return nil
	}
	return fmt.Errorf("connection not ready: %w", err)
}

// transportCredentials builds the credentials opts ask for, refusing an
// ambiguous or missing choice.
func transportCredentials(opts DialOptions) (credentials.TransportCredentials, error) {
	switch {
	case opts.Insecure && opts.TLS != nil:
		return nil, errors.New("both Insecure and TLS are set; choose one")
	case opts.Insecure:
		return insecure.NewCredentials(), nil
	case opts.TLS == nil:
		return nil, errors.New("no transport security chosen: set Insecure or TLS")
	}
	cfg, err := opts.TLS.Config()
	if err != nil {
		return nil, err
	}
	return credentials.NewTLS(cfg), nil
}

// Config turns the options into a tls.Config (for other clients of the
// same switch, such as gNMI).
func (o *TLSOptions) Config() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.ServerName}
	switch {
	case o.CAFile != "" && o.CA != nil:
		return nil, errors.New("TLS: both CAFile and CA are set; choose one")
	case o.CAFile != "":
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("TLS CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS CA file %s: no PEM certificate found", o.CAFile)
		}
		cfg.RootCAs = pool
	case o.CA != nil:
		cfg.RootCAs = o.CA
	}
	hasFiles := o.CertFile != "" || o.KeyFile != ""
	switch {
	case hasFiles && o.Certificate != nil:
		return nil, errors.New("TLS: both CertFile/KeyFile and Certificate are set; choose one")
	case hasFiles && (o.CertFile == "" || o.KeyFile == ""):
		return nil, errors.New("TLS: mutual TLS needs both CertFile and KeyFile")
	case hasFiles:
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("TLS client certificate %s / key %s: %w", o.CertFile, o.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	case o.Certificate != nil:
		cfg.Certificates = []tls.Certificate{*o.Certificate}
	}
	return cfg, nil
}
