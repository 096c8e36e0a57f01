package proxytest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// rawFrame is a gRPC message as the wire carries it, never decoded.
type rawFrame struct{ b []byte }

// rawCodec passes frames through as bytes. It is named "proto" so that
// both ends of the relay see the content type they expect.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return v.(*rawFrame).b, nil }

func (rawCodec) Unmarshal(data []byte, v any) error {
	v.(*rawFrame).b = append([]byte(nil), data...)
	return nil
}

func (rawCodec) Name() string { return "proto" }

// unary are the P4Runtime methods with one request and one response.
var unary = map[string]bool{
	"/p4.v1.P4Runtime/Write":                       true,
	"/p4.v1.P4Runtime/SetForwardingPipelineConfig": true,
	"/p4.v1.P4Runtime/GetForwardingPipelineConfig": true,
	"/p4.v1.P4Runtime/Capabilities":                true,
}

// Relay serves, on a loopback port until the test ends, a do-nothing
// relay to the gRPC server at addr: every call (P4Runtime's Write, Read,
// StreamChannel...) is passed on frame by frame, never decoded, with its
// metadata; the answers come back the same way. It is the cheapest a
// P4Runtime proxy can be (issue 14: the baseline of the proxy's cost).
func Relay(t testing.TB, addr string) string {
	t.Helper()
	return SlowRelay(t, addr, 0)
}

// SlowRelay is Relay, but each Write waits writeDelay before it is passed
// on: a slow switch behind it.
func SlowRelay(t testing.TB, addr string, writeDelay time.Duration) string {
	t.Helper()
	return serveRelay(t, dialRaw(t, addr), nil, writeDelay)
}

// FanRelay is Relay, except that each Write also goes, at once and as
// the same bytes, to the gRPC server at peer, and is answered (with addr's
// answer) once both answered: the cheapest a proxy that writes to two
// switches can be (issue 14: the baseline of a mirrored write's cost). It
// passes only Writes to peer: the peer's primary controller is whoever
// arbitrated there with the writes' device and election ids.
func FanRelay(t testing.TB, addr, peer string) string {
	t.Helper()
	return serveRelay(t, dialRaw(t, addr), dialRaw(t, peer), 0)
}

// dialRaw is a connection to addr that passes frames as bytes, closed when
// the test ends.
func dialRaw(t testing.TB, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// serveRelay serves a relay to conn (and peer, see FanRelay) on a loopback
// port until the test ends.
func serveRelay(t testing.TB, conn, peer *grpc.ClientConn, writeDelay time.Duration) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.UnknownServiceHandler(func(_ any, ss grpc.ServerStream) error {
		return relayCall(conn, peer, ss, writeDelay)
	}))
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	return lis.Addr().String()
}

// relayCall passes one call on to conn, and a Write to peer too.
func relayCall(conn, peer *grpc.ClientConn, ss grpc.ServerStream, writeDelay time.Duration) error {
	method, _ := grpc.MethodFromServerStream(ss)
	ctx := ss.Context()
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		ctx = metadata.NewOutgoingContext(ctx, md.Copy())
	}
	if unary[method] {
		in, out := &rawFrame{}, &rawFrame{}
		if err := ss.RecvMsg(in); err != nil {
			return err
		}
		if writeDelay > 0 && method == "/p4.v1.P4Runtime/Write" {
			time.Sleep(writeDelay)
		}
		var peerErr chan error
		if peer != nil && method == "/p4.v1.P4Runtime/Write" {
			peerErr = make(chan error, 1)
			go func() { peerErr <- peer.Invoke(ctx, method, in, &rawFrame{}) }()
		}
		err := conn.Invoke(ctx, method, in, out)
		if peerErr != nil {
			if perr := <-peerErr; err == nil && perr != nil {
				err = fmt.Errorf("the peer: %w", perr)
			}
		}
		if err != nil {
			return status.Convert(err).Err()
		}
		return ss.SendMsg(out)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cs, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method)
	if err != nil {
		return err
	}
	up := make(chan error, 1)
	go func() { // controller -> device
		for {
			f := &rawFrame{}
			if err := ss.RecvMsg(f); err != nil {
				if errors.Is(err, io.EOF) {
					err = cs.CloseSend()
				}
				up <- err
				return
			}
			if err := cs.SendMsg(f); err != nil {
				up <- err
				return
			}
		}
	}()
	for { // device -> controller
		f := &rawFrame{}
		if err := cs.RecvMsg(f); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := ss.SendMsg(f); err != nil {
			return err
		}
	}
}
