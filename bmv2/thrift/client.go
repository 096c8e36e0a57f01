package thrift

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	athrift "github.com/apache/thrift/lib/go/thrift"
)

// DefaultCallTimeout bounds a call whose context has no deadline.
const DefaultCallTimeout = 30 * time.Second

// Client calls bmv2's Thrift runtime API over one TCP connection. It is safe
// for concurrent use: calls are serialized on the connection, as the
// protocol has no request ids a server could answer out of order.
//
// A call's context deadline (or [DefaultCallTimeout] when it has none) is set
// on the socket, and cancelling the context interrupts the call. After a
// transport error or an interrupted call the connection's state is unknown,
// so the client closes it and the next call dials again; no call is retried
// on its own.
type Client struct {
	addr   string
	dialer net.Dialer

	mu     sync.Mutex // serializes calls; guards the fields below
	conn   net.Conn
	proto  athrift.TProtocol
	seq    int32
	closed bool
}

// Dial connects to a Thrift runtime server at addr ("host:port"; bmv2's
// default port is 9090) and returns a client. The connection is made now, so
// an unreachable server is reported here.
func Dial(ctx context.Context, addr string) (*Client, error) {
	if addr == "" {
		return nil, errors.New("bmv2 thrift: dial: empty address")
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("bmv2 thrift: dial %q: %w", addr, err)
	}
	c := &Client{addr: addr}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.connect(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Addr returns the address the client dials.
func (c *Client) Addr() string { return c.addr }

// Close closes the connection; later calls return [ErrClosed]. A call in
// progress is not interrupted: Close waits for it.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	return c.dropLocked()
}

// connect dials; c.mu must be held.
func (c *Client) connect(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultCallTimeout)
		defer cancel()
	}
	conn, err := c.dialer.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return fmt.Errorf("bmv2 thrift: dial %s: %w", c.addr, err)
	}
	c.conn = conn
	c.proto = athrift.NewTMultiplexedProtocol(newProtocol(conn, false), serviceName)
	return nil
}

// dropLocked closes the connection; c.mu must be held.
func (c *Client) dropLocked() error {
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close()
	c.conn, c.proto = nil, nil
	if err != nil {
		return fmt.Errorf("bmv2 thrift: close %s: %w", c.addr, err)
	}
	return nil
}

// reply describes what a call expects back: the success field's type (STOP
// for a void method) and its reader, and the name of the method's declared
// exception, whose code is stored by asCode.
type reply struct {
	successType athrift.TType
	success     func(ctx context.Context, p athrift.TProtocol) error
	asCode      func(code int32) error
}

// protocolFault marks errors after which the connection is out of step.
type protocolFault struct{ err error }

func (f protocolFault) Error() string { return f.err.Error() }
func (f protocolFault) Unwrap() error { return f.err }

// call performs one request and reply. It returns an *OpError. A
// connection kept from an earlier call that the server closed meanwhile (a
// switch restarted: its first use fails with a reset or an end of stream,
// before the server saw the request) is dialled again and the call made
// once more.
func (c *Client) call(ctx context.Context, method, target string, args func(w *writer), rep reply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	reused := c.conn != nil
	err := c.callLocked(ctx, method, target, args, rep)
	if reused && staleConn(err) {
		err = c.callLocked(ctx, method, target, args, rep)
	}
	return err
}

// staleConn reports whether err is a kept connection the server had
// closed.
func staleConn(err error) bool {
	var fault protocolFault
	return errors.As(err, &fault) && (errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF))
}

// callLocked is call on the connection there is (dialled when none); c.mu
// is held.
func (c *Client) callLocked(ctx context.Context, method, target string, args func(w *writer), rep reply) error {
	opErr := func(err error) error { return &OpError{Op: method, Target: target, Err: err} }
	if c.closed {
		return opErr(ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return opErr(err)
	}
	if c.conn == nil {
		if err := c.connect(ctx); err != nil {
			return opErr(err)
		}
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultCallTimeout)
	}
	conn := c.conn
	if err := conn.SetDeadline(deadline); err != nil {
		_ = c.dropLocked()
		return opErr(fmt.Errorf("set deadline: %w", err))
	}
	// Cancellation without a deadline: expire the socket at once.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c.seq++
	err := c.exchange(ctx, method, c.seq, args, rep)
	var fault protocolFault
	if errors.As(err, &fault) {
		_ = c.dropLocked()
		if cerr := ctx.Err(); cerr != nil {
			return opErr(fmt.Errorf("%w (%v)", cerr, fault.err))
		}
		return opErr(fault)
	}
	if err != nil {
		return opErr(err)
	}
	return nil
}

// exchange writes the call and reads its reply. Errors that leave the
// stream out of step are returned as protocolFault; a declared exception or a
// TApplicationException (the whole reply read) is returned as is.
func (c *Client) exchange(ctx context.Context, method string, seq int32, args func(w *writer), rep reply) error {
	p := c.proto
	w := &writer{ctx: ctx, p: p}
	w.messageBegin(method, athrift.CALL, seq)
	w.structBegin(method + "_args")
	args(w)
	w.structEnd()
	w.messageEnd()
	if w.err != nil {
		return protocolFault{fmt.Errorf("send: %w", w.err)}
	}

	name, typ, rseq, err := p.ReadMessageBegin(ctx)
	if err != nil {
		return protocolFault{fmt.Errorf("receive: %w", err)}
	}
	if name != method {
		return protocolFault{athrift.NewTApplicationException(athrift.WRONG_METHOD_NAME,
			fmt.Sprintf("reply names method %q", name))}
	}
	if rseq != seq {
		return protocolFault{athrift.NewTApplicationException(athrift.BAD_SEQUENCE_ID,
			fmt.Sprintf("reply has sequence id %d, want %d", rseq, seq))}
	}
	switch typ {
	case athrift.EXCEPTION:
		ae := athrift.NewTApplicationException(athrift.UNKNOWN_APPLICATION_EXCEPTION, "")
		if err := ae.Read(ctx, p); err != nil {
			return protocolFault{fmt.Errorf("receive exception: %w", err)}
		}
		if err := p.ReadMessageEnd(ctx); err != nil {
			return protocolFault{fmt.Errorf("receive: %w", err)}
		}
		return ae
	case athrift.REPLY:
	default:
		return protocolFault{athrift.NewTApplicationException(athrift.INVALID_MESSAGE_TYPE_EXCEPTION,
			fmt.Sprintf("reply has message type %d", typ))}
	}

	var (
		gotSuccess, gotException bool
		code                     int32
	)
	fields := []field{{1, athrift.STRUCT, func() error {
		gotException = true
		return readStruct(ctx, p, field{1, athrift.I32, readI32(ctx, p, &code)})
	}}}
	if rep.successType != athrift.STOP {
		fields = append(fields, field{0, rep.successType, func() error {
			gotSuccess = true
			return rep.success(ctx, p)
		}})
	}
	if err := readStruct(ctx, p, fields...); err != nil {
		return protocolFault{fmt.Errorf("receive result: %w", err)}
	}
	if err := p.ReadMessageEnd(ctx); err != nil {
		return protocolFault{fmt.Errorf("receive: %w", err)}
	}
	switch {
	case gotException:
		return rep.asCode(code)
	case rep.successType != athrift.STOP && !gotSuccess:
		return athrift.NewTApplicationException(athrift.MISSING_RESULT, method+" failed: unknown result")
	}
	return nil
}
