package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/lime-p4/lime/gnmi"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Client talks gNMI to one target.
type Client struct {
	conn   *grpc.ClientConn
	owned  bool
	g      gpb.GNMIClient
	target string
}

// Option configures Dial and New.
type Option func(*options)

type options struct {
	tls      *tls.Config
	target   string
	dialOpts []grpc.DialOption
}

// WithTLS dials with TLS configured by cfg (Dial only).
func WithTLS(cfg *tls.Config) Option { return func(o *options) { o.tls = cfg } }

// WithInsecure dials in plaintext, the default (Dial only).
func WithInsecure() Option { return func(o *options) { o.tls = nil } }

// WithTarget names the target in every request's prefix (gNMI spec
// 2.2.2.1); by default none is sent.
func WithTarget(name string) Option { return func(o *options) { o.target = name } }

// WithDialOptions adds gRPC dial options (Dial only).
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOpts = append(o.dialOpts, opts...) }
}

// Dial connects to the gNMI target at addr (host:port) and checks it
// answers Capabilities, waiting for it until ctx ends.
func Dial(ctx context.Context, addr string, opts ...Option) (*Client, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	creds := insecure.NewCredentials()
	if o.tls != nil {
		creds = credentials.NewTLS(o.tls)
	}
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(creds)}, o.dialOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("gnmi client: dial %s: %w", addr, err)
	}
	c := &Client{conn: conn, owned: true, g: gpb.NewGNMIClient(conn), target: o.target}
	if _, err := c.g.Capabilities(ctx, &gpb.CapabilityRequest{}, grpc.WaitForReady(true)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("gnmi client: %s does not answer gNMI Capabilities: %w", addr, err)
	}
	return c, nil
}

// New returns a client using conn, which the caller keeps and closes.
func New(conn *grpc.ClientConn, opts ...Option) *Client {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return &Client{conn: conn, g: gpb.NewGNMIClient(conn), target: o.target}
}

// Close closes the connection if Dial made it.
func (c *Client) Close() error {
	if c.owned {
		return c.conn.Close()
	}
	return nil
}

// GNMI returns the raw gNMI stub, for requests the helpers do not cover.
func (c *Client) GNMI() gpb.GNMIClient { return c.g }

func (c *Client) prefix() *gpb.Path {
	if c.target == "" {
		return nil
	}
	return &gpb.Path{Target: c.target}
}

// Capabilities asks the target for its models, encodings and version.
func (c *Client) Capabilities(ctx context.Context) (*gpb.CapabilityResponse, error) {
	r, err := c.g.Capabilities(ctx, &gpb.CapabilityRequest{})
	if err != nil {
		return nil, fmt.Errorf("gnmi client: capabilities: %w", err)
	}
	return r, nil
}

// SetEnabled sets config/enabled of the named interface with a bool_val
// update: false disables the port, true enables it.
func (c *Client) SetEnabled(ctx context.Context, name string, enabled bool) error {
	req := &gpb.SetRequest{Prefix: c.prefix(), Update: []*gpb.Update{{
		Path: gnmi.InterfacePath(name, "config", "enabled"),
		Val:  &gpb.TypedValue{Value: &gpb.TypedValue_BoolVal{BoolVal: enabled}},
	}}}
	if _, err := c.g.Set(ctx, req); err != nil {
		return fmt.Errorf("gnmi client: set %s config/enabled=%v: %w", name, enabled, err)
	}
	return nil
}

// Get reads paths with PROTO encoding and returns the notifications, one
// per path.
func (c *Client) Get(ctx context.Context, paths ...*gpb.Path) ([]*gpb.Notification, error) {
	r, err := c.g.Get(ctx, &gpb.GetRequest{Prefix: c.prefix(), Path: paths, Encoding: gpb.Encoding_PROTO})
	if err != nil {
		return nil, fmt.Errorf("gnmi client: get %s: %w", pathList(paths), err)
	}
	return r.GetNotification(), nil
}

// GetLeaf reads one leaf and returns its value.
func (c *Client) GetLeaf(ctx context.Context, p *gpb.Path) (*gpb.TypedValue, error) {
	ns, err := c.Get(ctx, p)
	if err != nil {
		return nil, err
	}
	var vals []*gpb.TypedValue
	for _, n := range ns {
		for _, u := range n.GetUpdate() {
			vals = append(vals, u.GetVal())
		}
	}
	if len(vals) != 1 {
		return nil, fmt.Errorf("gnmi client: get %s: %d values, want one leaf", gnmi.PathString(p), len(vals))
	}
	return vals[0], nil
}

func pathList(ps []*gpb.Path) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += ", "
		}
		s += gnmi.PathString(p)
	}
	return s
}

func (c *Client) leaf(ctx context.Context, name string, rel ...string) (*gpb.TypedValue, error) {
	return c.GetLeaf(ctx, gnmi.InterfacePath(name, rel...))
}

// PortID returns the P4Runtime port id of the named interface
// (state/id).
func (c *Client) PortID(ctx context.Context, name string) (uint32, error) {
	v, err := c.leaf(ctx, name, "state", "id")
	if err != nil {
		return 0, err
	}
	u, ok := v.GetValue().(*gpb.TypedValue_UintVal)
	if !ok || u.UintVal > 1<<32-1 {
		return 0, fmt.Errorf("gnmi client: %s state/id is %v, want a uint32 uint_val", name, v)
	}
	return uint32(u.UintVal), nil
}

// OperStatus returns the named interface's state/oper-status.
func (c *Client) OperStatus(ctx context.Context, name string) (gnmi.OperStatus, error) {
	v, err := c.stringLeaf(ctx, name, "state", "oper-status")
	return gnmi.OperStatus(v), err
}

// AdminStatus returns the named interface's state/admin-status ("UP" or
// "DOWN").
func (c *Client) AdminStatus(ctx context.Context, name string) (string, error) {
	return c.stringLeaf(ctx, name, "state", "admin-status")
}

// Enabled returns the named interface's config/enabled.
func (c *Client) Enabled(ctx context.Context, name string) (bool, error) {
	v, err := c.leaf(ctx, name, "config", "enabled")
	if err != nil {
		return false, err
	}
	b, ok := v.GetValue().(*gpb.TypedValue_BoolVal)
	if !ok {
		return false, fmt.Errorf("gnmi client: %s config/enabled is %v, want a bool_val", name, v)
	}
	return b.BoolVal, nil
}

func (c *Client) stringLeaf(ctx context.Context, name string, rel ...string) (string, error) {
	v, err := c.leaf(ctx, name, rel...)
	if err != nil {
		return "", err
	}
	s, ok := v.GetValue().(*gpb.TypedValue_StringVal)
	if !ok {
		return "", fmt.Errorf("gnmi client: %s %v is %v, want a string_val", name, rel, v)
	}
	return s.StringVal, nil
}

// Counters returns the named interface's state/counters.
func (c *Client) Counters(ctx context.Context, name string) (gnmi.Counters, error) {
	ns, err := c.Get(ctx, gnmi.InterfacePath(name, "state", "counters"))
	if err != nil {
		return gnmi.Counters{}, err
	}
	ifs, err := decodeInterfaces(ns)
	if err != nil {
		return gnmi.Counters{}, err
	}
	for _, p := range ifs {
		if p.Name == name {
			return p.Counters, nil
		}
	}
	return gnmi.Counters{}, fmt.Errorf("gnmi client: no counters of %s in the answer", name)
}

// Interfaces reads /interfaces/interface[name=*]/state and returns every
// interface by name, with its id, admin state (state/enabled), oper state
// and counters.
func (c *Client) Interfaces(ctx context.Context) ([]gnmi.PortState, error) {
	ns, err := c.Get(ctx, gnmi.InterfacePath("*", "state"))
	if err != nil {
		return nil, err
	}
	return decodeInterfaces(ns)
}

var errNoName = errors.New("update path without an interface name")
