package thrift

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"

	athrift "github.com/apache/thrift/lib/go/thrift"
)

// Server answers the calls of this package from a Backend, over the same
// wire protocol as bmv2 (see the package documentation), one goroutine per
// connection, calls on one connection answered in order.
//
// It answers malformed input the way bmv2's C++ server does, except that it
// requires versioned (strict) binary messages and bounds announced sizes to
// 16 MiB, closing the connection otherwise. An unknown
// method of service "standard" gets a TApplicationException UNKNOWN_METHOD
// ("Invalid method name: 'x'") and the connection stays open; a call that is
// not multiplexed, names another service (bmv2's "simple_pre" services are
// not served here) or is not a CALL gets a TApplicationException
// PROTOCOL_ERROR from the multiplexer and the connection is closed; arguments
// that cannot be decoded close the connection without a reply. Unknown
// argument fields, or fields of the wrong type, are skipped, leaving the
// argument at its zero value, as generated Thrift code does. A context id
// other than 0 gets a TApplicationException UNKNOWN, as on simple_switch.
type Server struct {
	// Backend answers the calls. It must be safe for concurrent use.
	Backend Backend
	// Logger receives connection-level events; nil means slog.Default().
	Logger *slog.Logger
}

// Serve answers calls on l from b until l is closed; see [Server.Serve].
func Serve(l net.Listener, b Backend) error {
	return (&Server{Backend: b}).Serve(l)
}

// Serve accepts connections on l and answers their calls. It returns when l
// is closed (nil) or fails (the error); before returning it closes every
// connection it accepted and waits for their calls to finish, so closing the
// listener stops the server completely.
func (s *Server) Serve(l net.Listener) error {
	if s.Backend == nil {
		return errors.New("bmv2 thrift: serve: nil Backend")
	}
	ctx, cancel := context.WithCancel(context.Background())
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
	)
	defer func() {
		cancel()
		mu.Lock()
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()
	for {
		conn, err := l.Accept()
		if err != nil {
			_ = l.Close()
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("bmv2 thrift: serve: accept: %w", err)
		}
		mu.Lock()
		conns[conn] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(ctx, conn)
			mu.Lock()
			delete(conns, conn)
			mu.Unlock()
		}()
	}
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// serveConn answers the calls of one connection until it ends.
func (s *Server) serveConn(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	p := newProtocol(conn, true)
	for {
		more, err := s.handleOne(ctx, p)
		if err != nil {
			s.logger().Debug("bmv2 thrift: closing connection", "remote", conn.RemoteAddr().String(), "err", err)
			return
		}
		if !more {
			return
		}
	}
}

// handleOne answers one message. It returns false when the connection must
// be closed: the peer left (nil error) or the input was unusable.
func (s *Server) handleOne(ctx context.Context, p athrift.TProtocol) (bool, error) {
	name, typ, seq, err := p.ReadMessageBegin(ctx)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
			return false, nil
		}
		return false, fmt.Errorf("read message: %w", err)
	}
	if typ != athrift.CALL && typ != athrift.ONEWAY {
		return false, multiplexError(ctx, p, name, seq, "Unexpected message type")
	}
	// The C++ multiplexer splits on ':' and ignores empty tokens.
	var tokens []string
	for _, t := range strings.Split(name, athrift.MULTIPLEXED_SEPARATOR) {
		if t != "" {
			tokens = append(tokens, t)
		}
	}
	switch {
	case len(tokens) == 1:
		return false, multiplexError(ctx, p, name, seq,
			"Non-multiplexed client request dropped. Did you forget to call defaultProcessor()?")
	case len(tokens) != 2:
		return false, multiplexError(ctx, p, name, seq, "Wrong number of tokens.")
	case tokens[0] != serviceName:
		return false, multiplexError(ctx, p, name, seq,
			"Unknown service: "+tokens[0]+". Did you forget to call registerProcessor()?")
	}
	method := tokens[1]
	h, ok := handlers[method]
	if !ok {
		if err := skipArgs(ctx, p); err != nil {
			return false, err
		}
		return true, writeAppException(ctx, p, method, seq, athrift.UNKNOWN_METHOD,
			"Invalid method name: '"+method+"'")
	}
	out, err := h(ctx, s.Backend, p)
	if err != nil {
		return false, fmt.Errorf("%s: arguments: %w", method, err)
	}
	return true, s.writeOutcome(ctx, p, method, seq, out)
}

// skipArgs consumes a call's argument struct and the message end.
func skipArgs(ctx context.Context, p athrift.TProtocol) error {
	if err := athrift.SkipDefaultDepth(ctx, p, athrift.STRUCT); err != nil {
		return fmt.Errorf("skip arguments: %w", err)
	}
	return p.ReadMessageEnd(ctx)
}

// multiplexError answers as the C++ TMultiplexedProcessor does for a message
// it cannot route: it consumes the arguments, replies with a
// TApplicationException PROTOCOL_ERROR under the name as received, and the
// connection is then closed (the returned error says why).
func multiplexError(ctx context.Context, p athrift.TProtocol, name string, seq int32, msg string) error {
	reason := fmt.Errorf("message %q refused: %s", name, msg)
	if err := skipArgs(ctx, p); err != nil {
		return errors.Join(reason, err)
	}
	if err := writeAppException(ctx, p, name, seq, athrift.PROTOCOL_ERROR, "TMultiplexedProcessor: "+msg); err != nil {
		return errors.Join(reason, err)
	}
	return reason
}

// writeAppException sends a TApplicationException as the reply to seq.
func writeAppException(ctx context.Context, p athrift.TProtocol, name string, seq int32, typ int32, msg string) error {
	w := &writer{ctx: ctx, p: p}
	w.messageBegin(name, athrift.EXCEPTION, seq)
	w.do(func() error { return athrift.NewTApplicationException(typ, msg).Write(ctx, p) })
	w.messageEnd()
	return w.err
}

// outcome is a backend's answer to one call: a success writer (nil for a
// void method), or an error, and how to recognize the method's declared
// exception in that error.
type outcome struct {
	success   func(w *writer)
	err       error
	exception func(err error) (name string, code int32, ok bool)
}

// writeOutcome sends the reply for one answered call.
func (s *Server) writeOutcome(ctx context.Context, p athrift.TProtocol, method string, seq int32, out outcome) error {
	if out.err != nil {
		name, code, ok := out.exception(out.err)
		if !ok {
			// bmv2's generated processor answers a handler's non-Thrift
			// exception with a TApplicationException of type UNKNOWN.
			return writeAppException(ctx, p, method, seq, athrift.UNKNOWN_APPLICATION_EXCEPTION, out.err.Error())
		}
		w := &writer{ctx: ctx, p: p}
		w.messageBegin(method, athrift.REPLY, seq)
		w.structBegin(method + "_result")
		w.field("ouch", athrift.STRUCT, 1, func() error {
			w.exception(name, code)
			return w.err
		})
		w.structEnd()
		w.messageEnd()
		return w.err
	}
	w := &writer{ctx: ctx, p: p}
	w.messageBegin(method, athrift.REPLY, seq)
	w.structBegin(method + "_result")
	if out.success != nil {
		out.success(w)
	}
	w.structEnd()
	w.messageEnd()
	return w.err
}
