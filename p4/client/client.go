package client

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/anypb"
)

// Client is a connection to one device of a P4Runtime server, acting as one
// controller (device id, role, election id). It is safe for concurrent use.
// Close it when done.
type Client struct {
	addr       string
	conn       *grpc.ClientConn
	p4         p4v1.P4RuntimeClient
	deviceID   uint64
	role       string
	roleConfig *anypb.Any
	buffer     int
	log        *slog.Logger

	// ctx is the parent of every Session stream; cancel ends them on Close.
	ctx    context.Context
	cancel context.CancelFunc

	mu         sync.Mutex
	electionID *ElectionID
	session    *Session
	// arbitrating is set while Arbitrate runs (one at a time).
	arbitrating bool
}

func newClient(addr string, conn *grpc.ClientConn, opts DialOptions) *Client {
	ctx, cancel := context.WithCancel(context.Background())
	buffer := opts.StreamBuffer
	if buffer == 0 {
		buffer = DefaultStreamBuffer
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	var eid *ElectionID
	if opts.ElectionID != nil {
		copied := *opts.ElectionID
		eid = &copied
	}
	return &Client{
		addr:       addr,
		conn:       conn,
		p4:         p4v1.NewP4RuntimeClient(conn),
		deviceID:   opts.DeviceID,
		role:       opts.Role,
		roleConfig: opts.RoleConfig,
		buffer:     buffer,
		log:        logger.With("p4runtime", addr, "device_id", opts.DeviceID),
		ctx:        ctx,
		cancel:     cancel,
		electionID: eid,
	}
}

// Addr is the address the client dialled.
func (c *Client) Addr() string { return c.addr }

// DeviceID is the device id carried on every request.
func (c *Client) DeviceID() uint64 { return c.deviceID }

// Role is the role name carried on every request ("" for the default role).
func (c *Client) Role() string { return c.role }

// ElectionID returns a copy of the election id carried on Write and
// SetForwardingPipelineConfig, or nil when it is unset.
func (c *Client) ElectionID() *ElectionID {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.electionID == nil {
		return nil
	}
	id := *c.electionID
	return &id
}

// electionProto is the wire form of the current election id.
func (c *Client) electionProto() *p4v1.Uint128 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.electionID.Proto()
}

// IsPrimary reports whether the client's arbitration session is live and the
// server last said it is the primary. Without a session it is false.
func (c *Client) IsPrimary() bool {
	c.mu.Lock()
	s := c.session
	c.mu.Unlock()
	return s != nil && s.IsPrimary()
}

// Raw gives the generated gRPC stub, for requests this package does not
// wrap. Requests sent through it carry nothing automatically.
func (c *Client) Raw() p4v1.P4RuntimeClient { return c.p4 }

// Conn gives the underlying gRPC connection (for example to reach other
// services, such as gNMI, served on the same address).
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// Close ends the arbitration session, if any, and closes the connection.
func (c *Client) Close() error {
	c.mu.Lock()
	s := c.session
	c.mu.Unlock()
	if s != nil {
		s.Close()
	}
	c.cancel()
	if err := c.conn.Close(); err != nil {
		return fmt.Errorf("p4runtime %s: close: %w", c.addr, err)
	}
	return nil
}

// Capabilities asks the server which P4Runtime version it implements.
func (c *Client) Capabilities(ctx context.Context) (*p4v1.CapabilitiesResponse, error) {
	resp, err := c.p4.Capabilities(ctx, &p4v1.CapabilitiesRequest{DeviceId: c.deviceID})
	if err != nil {
		return nil, c.errorf("capabilities", err)
	}
	return resp, nil
}

// errorf wraps err with the operation, address and device id.
func (c *Client) errorf(op string, err error) error {
	return fmt.Errorf("p4runtime %s device %d: %s: %w", c.addr, c.deviceID, op, err)
}
