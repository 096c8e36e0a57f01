package client

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/protobuf/types/known/anypb"
)

// DefaultMaxRecvMsgSize is the receive limit a [Client] sets when
// [DialOptions.MaxRecvMsgSize] is zero. gRPC's own default (4 MiB) is far too
// small: bmv2 answers a whole Read in a single ReadResponse.
const DefaultMaxRecvMsgSize = 256 << 20

// DefaultStreamBuffer is the capacity of each notification channel of a
// [Session] when [DialOptions.StreamBuffer] is zero.
const DefaultStreamBuffer = 1024

// DefaultKeepalive is used when [DialOptions.Keepalive] is nil. Its ping
// interval equals the minimum that gRPC servers (Go and C++, hence bmv2)
// tolerate by default; pinging more often makes them close the connection
// with ENHANCE_YOUR_CALM ("too_many_pings"). Lower it only for servers
// configured to accept it.
var DefaultKeepalive = keepalive.ClientParameters{
	Time:                5 * time.Minute,
	Timeout:             20 * time.Second,
	PermitWithoutStream: false,
}

// DialOptions configures [Dial]. Transport security must be chosen
// explicitly: exactly one of Insecure and TLS.
type DialOptions struct {
	// DeviceID is the P4Runtime device id carried on every request.
	DeviceID uint64
	// ElectionID is carried on arbitration, Write and
	// SetForwardingPipelineConfig. Nil leaves it unset: per the spec such a
	// client is lower than any other and never becomes primary.
	ElectionID *ElectionID
	// Role is the role name (Role.name, P4Runtime 1.4 and later) carried on
	// arbitration, Read, Write and SetForwardingPipelineConfig. Empty is the
	// default role (full pipeline access).
	Role string
	// RoleConfig is sent untouched as Role.config in the arbitration request.
	RoleConfig *anypb.Any

	// Insecure selects a plaintext connection. It must be asked for.
	Insecure bool
	// TLS selects TLS (and mutual TLS when it holds a client certificate).
	TLS *TLSOptions

	// MaxRecvMsgSize is the largest message the client accepts, in bytes;
	// zero means DefaultMaxRecvMsgSize.
	MaxRecvMsgSize int
	// Keepalive overrides DefaultKeepalive.
	Keepalive *keepalive.ClientParameters
	// StreamBuffer is the capacity of each notification channel of a
	// Session; zero means DefaultStreamBuffer.
	StreamBuffer int
	// Logger receives the client's logs; nil means slog.Default().
	Logger *slog.Logger
	// GRPCOptions are appended to the dial options the client builds, so they
	// can override them.
	GRPCOptions []grpc.DialOption
}

// TLSOptions configures TLS. Each file field has an in-memory alternative;
// setting both forms of one item is an error.
type TLSOptions struct {
	// CAFile is a PEM bundle of the CAs that verify the server certificate.
	CAFile string
	// CA is the in-memory alternative to CAFile. When both are empty the
	// host's root CAs are used.
	CA *x509.CertPool
	// CertFile and KeyFile hold the client certificate and key (PEM) for
	// mutual TLS; both or neither.
	CertFile string
	KeyFile  string
	// Certificate is the in-memory alternative to CertFile and KeyFile.
	Certificate *tls.Certificate
	// ServerName overrides the name verified in the server certificate
	// (by default the host part of the address).
	ServerName string
}
