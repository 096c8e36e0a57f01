package cli

import (
	"context"
	"fmt"
	"iter"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"github.com/spf13/pflag"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lime-p4/lime/bmv2/regs"
	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/info"
)

// DeviceFlags are the flags that reach one P4Runtime device: address,
// device id, election id, role and transport security. Several sets can
// live on one command under different prefixes ("from-", "to-").
type DeviceFlags struct {
	Addr         string
	DeviceID     uint64
	ElectionHigh uint64
	ElectionLow  uint64
	Role         string
	Insecure     bool
	TLSFiles     ClientTLSFlags
	ServerName   string
	Timeout      time.Duration
	Thrift       string

	prefix string // of the flags' names (Register)
}

// Register adds the flags to fs, each name prefixed (e.g. "from-addr") and
// each help text naming what the device is for.
func (d *DeviceFlags) Register(fs *pflag.FlagSet, prefix, what string) {
	d.prefix = prefix
	fs.StringVar(&d.Addr, prefix+"addr", "", "P4Runtime address (host:port) of the "+what)
	fs.Uint64Var(&d.DeviceID, prefix+"device-id", 1, "P4Runtime device id of the "+what)
	fs.Uint64Var(&d.ElectionHigh, prefix+"election-high", 0, "high 64 bits of the election id used with the "+what)
	fs.Uint64Var(&d.ElectionLow, prefix+"election-low", 1, "low 64 bits of the election id used with the "+what)
	fs.StringVar(&d.Role, prefix+"role", "", "P4Runtime role name with the "+what+" (empty: default role)")
	fs.BoolVar(&d.Insecure, prefix+"insecure", true, "plaintext connection to the "+what+" (set false and give a CA for TLS)")
	d.TLSFiles.Register(fs, prefix, what)
	fs.StringVar(&d.ServerName, prefix+"server-name", "", "server name expected in the "+what+"'s certificate")
	fs.DurationVar(&d.Timeout, prefix+"timeout", 10*time.Second, "how long to wait for the "+what+" to answer")
	fs.StringVar(&d.Thrift, prefix+"thrift", "", "bmv2 Thrift address (host:port) of the "+what+": registers travel over it where P4Runtime answers UNIMPLEMENTED")
}

// Options turns the flags into client.DialOptions.
func (d *DeviceFlags) Options() (client.DialOptions, error) {
	o := client.DialOptions{DeviceID: d.DeviceID, Role: d.Role,
		ElectionID: &client.ElectionID{High: d.ElectionHigh, Low: d.ElectionLow}}
	if o.TLS = d.TLSFiles.TLS(d.ServerName); o.TLS == nil {
		o.Insecure = d.Insecure
	}
	if !o.Insecure && o.TLS == nil {
		return o, fmt.Errorf("no transport chosen: give a CA (TLS) or leave insecure on")
	}
	return o, nil
}

// Device is a connected device with its arbitration session (when asked
// for) and the P4Info it runs.
type Device struct {
	Client  *client.Client
	Session *client.Session // nil unless arbitrated
	Info    *info.Info
	Cookie  uint64
	Thrift  *thrift.Client // nil unless a Thrift address was given
	// ThriftFlag names the flag that gives Thrift ("--from-thrift"), for
	// the hint on a register read P4Runtime refuses.
	ThriftFlag string
}

// Close ends the session and the connections.
func (d *Device) Close() {
	if d.Session != nil {
		d.Session.Close()
	}
	if d.Thrift != nil {
		d.Thrift.Close()
	}
	d.Client.Close()
}

// Read reads the device over P4Runtime, and registers over Thrift when
// P4Runtime cannot and a Thrift address was given.
func (d *Device) Read(ctx context.Context, filters ...*p4v1.Entity) iter.Seq2[*p4v1.Entity, error] {
	if d.Thrift == nil {
		return withThriftHint(d.Client.Read(ctx, filters...), filters, d.ThriftFlag)
	}
	return (&regs.Reader{P4: d.Client, Thrift: d.Thrift, Info: d.Info}).Read(ctx, filters...)
}

// ReadRaw is Read in wire form (snapshot.RawReader), which spares the
// clone and the diff a decoded entity per counter or register cell.
func (d *Device) ReadRaw(ctx context.Context, filters ...*p4v1.Entity) iter.Seq2[[]byte, error] {
	if d.Thrift == nil {
		return withThriftHint(d.Client.ReadRaw(ctx, filters...), filters, d.ThriftFlag)
	}
	return (&regs.Reader{P4: d.Client, Thrift: d.Thrift, Info: d.Info}).ReadRaw(ctx, filters...)
}

// withThriftHint is seq, its UNIMPLEMENTED answer to a read of registers
// (simple_switch_grpc serves them over Thrift only) saying which flag
// gives the device's Thrift address.
func withThriftHint[T any](seq iter.Seq2[T, error], filters []*p4v1.Entity, flag string) iter.Seq2[T, error] {
	if flag == "" || len(filters) == 0 {
		return seq
	}
	for _, f := range filters {
		if f.GetRegisterEntry() == nil {
			return seq
		}
	}
	return func(yield func(T, error) bool) {
		for v, err := range seq {
			if err != nil && status.Code(err) == codes.Unimplemented {
				err = fmt.Errorf("%w (bmv2 serves registers over its Thrift API only: give %s HOST:PORT)", err, flag)
			}
			if !yield(v, err) {
				return
			}
		}
	}
}

// RegisterWriter writes registers over Thrift; nil without a Thrift address.
func (d *Device) RegisterWriter() *regs.Writer {
	if d.Thrift == nil {
		return nil
	}
	return &regs.Writer{Thrift: d.Thrift, Info: d.Info}
}

// Dial connects to the device (waiting at most Timeout) without arbitrating.
func (d *DeviceFlags) Dial(ctx context.Context, what string) (*client.Client, error) {
	if d.Addr == "" {
		return nil, fmt.Errorf("%s: no address given", what)
	}
	o, err := d.Options()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, d.Addr, err)
	}
	dctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	c, err := client.Dial(dctx, d.Addr, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return c, nil
}

// Connect dials the device, arbitrates when primary is true (and fails if
// it is not elected primary), and fetches its P4Info and cookie. The error
// names the device's address and what failed.
func (d *DeviceFlags) Connect(ctx context.Context, what string, primary bool, rules info.PortRules) (*Device, error) {
	c, err := d.Dial(ctx, what)
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	dev := &Device{Client: c}
	if d.prefix != "" {
		dev.ThriftFlag = "--" + d.prefix + "thrift"
	}
	if primary {
		s, err := c.Arbitrate(dctx)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("%s %s: arbitration: %w", what, d.Addr, err)
		}
		dev.Session = s
		if !s.IsPrimary() {
			dev.Close()
			return nil, fmt.Errorf("%s %s: not primary with election id %d:%d (another client holds a higher one)", what, d.Addr, d.ElectionHigh, d.ElectionLow)
		}
	}
	cfg, err := c.GetPipeline(dctx, p4v1.GetForwardingPipelineConfigRequest_P4INFO_AND_COOKIE)
	if err != nil {
		dev.Close()
		return nil, fmt.Errorf("%s %s: reading its pipeline: %w", what, d.Addr, err)
	}
	if cfg.GetP4Info() == nil {
		dev.Close()
		return nil, fmt.Errorf("%s %s: no pipeline set", what, d.Addr)
	}
	dev.Info, err = info.New(cfg.GetP4Info(), info.WithPortRules(rules))
	if err != nil {
		dev.Close()
		return nil, fmt.Errorf("%s %s: its P4Info: %w", what, d.Addr, err)
	}
	dev.Cookie = cfg.GetCookie().GetCookie()
	if d.Thrift != "" {
		if dev.Thrift, err = thrift.Dial(dctx, d.Thrift); err != nil {
			dev.Close()
			return nil, fmt.Errorf("%s: bmv2 Thrift %s: %w", what, d.Thrift, err)
		}
	}
	return dev, nil
}
