package thrift_test

import (
	"context"
	"net"
	"testing"
	"time"

	athrift "github.com/apache/thrift/lib/go/thrift"

	"github.com/lime-p4/lime/bmv2/thrift/thrifttest"
)

// readReply decodes one reply message from conn with apache/thrift's binary
// protocol and returns its header and, for an EXCEPTION message, the
// TApplicationException.
func readReply(t *testing.T, conn net.Conn) (name string, typ athrift.TMessageType, seq int32, ae athrift.TApplicationException) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	ctx := context.Background()
	p := athrift.NewTBinaryProtocolConf(athrift.NewStreamTransportR(conn), &athrift.TConfiguration{})
	name, typ, seq, err := p.ReadMessageBegin(ctx)
	if err != nil {
		t.Fatalf("read reply: %v", err)
	}
	if typ == athrift.EXCEPTION {
		ae = athrift.NewTApplicationException(0, "")
		if err := ae.Read(ctx, p); err != nil {
			t.Fatalf("read TApplicationException: %v", err)
		}
	}
	return name, typ, seq, ae
}

func registerReadCall(e *enc, name string, seq int32, reg string, idx int32) {
	e.msg(name, mCall, seq)
	e.arrayArgs(0, reg)
	e.field(tI32, 3)
	e.i32(idx)
	e.stop()
}

// TestMalformedInput sends what a confused or hostile client might and
// checks the server answers as bmv2's C++ Thrift server does
// (TMultiplexedProcessor::process and the generated StandardProcessor).
func TestMalformedInput(t *testing.T) {
	type tc struct {
		name     string
		send     func(e *enc)
		replyAs  string // message name of the reply ("" for no reply)
		appType  int32  // TApplicationException type expected
		appMsg   string
		keepOpen bool // the connection stays usable afterwards
	}
	cases := []tc{{
		name: "unknown method",
		send: func(e *enc) {
			e.msg("standard:bm_mt_get_num_entries", mCall, 4)
			e.arrayArgs(0, "t")
			e.stop()
		},
		replyAs: "bm_mt_get_num_entries", appType: athrift.UNKNOWN_METHOD,
		appMsg: "Invalid method name: 'bm_mt_get_num_entries'", keepOpen: true,
	}, {
		name: "context id other than 0",
		send: func(e *enc) {
			e.msg("standard:bm_register_reset", mCall, 4)
			e.arrayArgs(3, "w8")
			e.stop()
		},
		replyAs: "bm_register_reset", appType: athrift.UNKNOWN_APPLICATION_EXCEPTION,
		appMsg: "invalid context id 3: this switch has only context 0", keepOpen: true,
	}, {
		name:    "unknown service",
		send:    func(e *enc) { registerReadCall(e, "simple_pre:bm_register_read", 4, "w8", 0) },
		replyAs: "simple_pre:bm_register_read", appType: athrift.PROTOCOL_ERROR,
		appMsg: "TMultiplexedProcessor: Unknown service: simple_pre. Did you forget to call registerProcessor()?",
	}, {
		name:    "not multiplexed",
		send:    func(e *enc) { registerReadCall(e, "bm_register_read", 4, "w8", 0) },
		replyAs: "bm_register_read", appType: athrift.PROTOCOL_ERROR,
		appMsg: "TMultiplexedProcessor: Non-multiplexed client request dropped. Did you forget to call defaultProcessor()?",
	}, {
		name:    "too many tokens",
		send:    func(e *enc) { registerReadCall(e, "standard:bm_register_read:x", 4, "w8", 0) },
		replyAs: "standard:bm_register_read:x", appType: athrift.PROTOCOL_ERROR,
		appMsg: "TMultiplexedProcessor: Wrong number of tokens.",
	}, {
		name: "reply instead of call",
		send: func(e *enc) {
			e.msg("standard:bm_register_read", mReply, 4)
			e.stop()
		},
		replyAs: "standard:bm_register_read", appType: athrift.PROTOCOL_ERROR,
		appMsg: "TMultiplexedProcessor: Unexpected message type",
	}, {
		name: "not thrift at all",
		send: func(e *enc) { e.WriteString("GET / HTTP/1.1\r\nHost: x\r\n\r\n") },
	}, {
		name: "unversioned message",
		send: func(e *enc) {
			e.str("standard:bm_register_read")
			e.i8(mCall)
			e.i32(1)
			e.stop()
		},
	}, {
		name: "oversized string",
		send: func(e *enc) {
			e.msg("standard:bm_register_read", mCall, 4)
			e.field(tString, 2)
			e.i32(1 << 30)
		},
	}, {
		name: "bad protocol version",
		send: func(e *enc) {
			e.i32(int32(-0x7ffe0000) | mCall) // version 2
			e.str("standard:bm_register_read")
			e.i32(1)
		},
	}, {
		name: "argument of an unknown type id",
		send: func(e *enc) {
			e.msg("standard:bm_register_read", mCall, 4)
			e.field(99, 1)
			e.i32(0)
			e.stop()
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr, _ := thrifttest.Serve(t, linkMonitor(t))
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			var e enc
			c.send(&e)
			if _, err := conn.Write(e.Bytes()); err != nil {
				t.Fatal(err)
			}
			if c.replyAs == "" {
				expectClosed(t, conn)
				return
			}
			name, typ, seq, ae := readReply(t, conn)
			if name != c.replyAs || typ != athrift.EXCEPTION || seq != 4 {
				t.Fatalf("reply %q type %d seq %d, want %q EXCEPTION seq 4", name, typ, seq, c.replyAs)
			}
			if ae.TypeId() != c.appType || ae.Error() != c.appMsg {
				t.Errorf("TApplicationException type %d %q, want type %d %q", ae.TypeId(), ae.Error(), c.appType, c.appMsg)
			}
			if !c.keepOpen {
				expectClosed(t, conn)
				return
			}
			// Still usable: a valid call on the same connection is answered.
			var next enc
			registerReadCall(&next, "standard:bm_register_read", 5, "w8", 0)
			if _, err := conn.Write(next.Bytes()); err != nil {
				t.Fatal(err)
			}
			if name, typ, seq, _ := readReply(t, conn); name != "bm_register_read" || typ != athrift.REPLY || seq != 5 {
				t.Errorf("follow-up reply %q type %d seq %d, want bm_register_read REPLY 5", name, typ, seq)
			}
		})
	}
}

// TestSkippedArguments checks that argument fields with unknown ids or the
// wrong type are skipped, leaving the argument at its zero value, as
// Thrift-generated readers do: here idx sent as i64 is ignored, so cell 0 is
// read.
func TestSkippedArguments(t *testing.T) {
	b := linkMonitor(t)
	if err := b.RegisterWrite(context.Background(), "w8", 0, 77); err != nil {
		t.Fatal(err)
	}
	addr, _ := thrifttest.Serve(t, b)
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var e enc
	e.msg("standard:bm_register_read", mCall, 1)
	e.arrayArgs(0, "w8")
	e.field(tI64, 3) // idx must be i32
	e.i64(3)
	e.field(tList, 9) // unknown field
	e.i8(tString)
	e.i32(2)
	e.str("a")
	e.str("b")
	e.stop()
	if _, err := conn.Write(e.Bytes()); err != nil {
		t.Fatal(err)
	}
	want := func() []byte {
		var r enc
		r.msg("bm_register_read", mReply, 1)
		r.field(tI64, 0)
		r.i64(77)
		r.stop()
		return r.Bytes()
	}()
	if got := readFull(t, conn, len(want)); string(got) != string(want) {
		t.Errorf("reply %x, want %x", got, want)
	}
}

// TestTruncatedCall checks that a connection that ends in the middle of a
// call does not disturb the server: other connections are still answered.
func TestTruncatedCall(t *testing.T) {
	addr, _ := thrifttest.Serve(t, linkMonitor(t))
	var e enc
	registerReadCall(&e, "standard:bm_register_read", 1, "w8", 0)
	whole := e.Bytes()
	for _, n := range []int{1, 4, 10, len(whole) - 1} {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(whole[:n]); err != nil {
			t.Fatal(err)
		}
		conn.Close()
	}
	c := thrifttest.Dial(t, addr)
	if _, err := c.RegisterRead(testCtx(t), "w8", 0); err != nil {
		t.Errorf("server not answering after truncated calls: %v", err)
	}
}
