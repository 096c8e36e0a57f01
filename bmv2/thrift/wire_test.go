package thrift_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	athrift "github.com/apache/thrift/lib/go/thrift"
	"github.com/google/go-cmp/cmp"

	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/bmv2/thrift/thrifttest"
)

// rawServer accepts one connection, checks that the client sends exactly
// want, answers with reply and returns what it read.
func rawServer(t *testing.T, want, reply []byte) (addr string, got <-chan []byte) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ch := make(chan []byte, 1)
	go func() {
		conn, err := l.Accept()
		l.Close() // one connection only: a second dial is refused
		if err != nil {
			ch <- nil
			return
		}
		defer conn.Close()
		buf := make([]byte, len(want))
		n := 0
		for n < len(buf) {
			k, err := conn.Read(buf[n:])
			n += k
			if err != nil {
				break
			}
		}
		ch <- buf[:n]
		if bytes.Equal(buf[:n], want) {
			_, _ = conn.Write(reply)
		}
		// Hold the connection until the client is done with it.
		_, _ = conn.Read(make([]byte, 1))
	}()
	return l.Addr().String(), ch
}

// TestWireBytes checks the exact bytes of every call against bmv2's
// thrift_src/standard.thrift (field ids and types of each *_args struct,
// BmCounterValue, DevMgrPortInfo, exception structs with field 1 "code"),
// framed as bmv2's server reads them: TBufferedTransport (no frame length),
// strict TBinaryProtocol, TMultiplexedProtocol service "standard", context 0.
// Replies are bytes a C++ Thrift server would send, with the bare method name.
func TestWireBytes(t *testing.T) {
	const reg = "MyEgress.byte_cnt_reg"
	type tc struct {
		name   string
		call   func(ctx context.Context, c *thrift.Client) (any, error)
		req    func(e *enc)
		reply  func(e *enc)
		want   any
		errIs  error  // expected cause, when the reply is an exception
		errMsg string // expected error text
	}
	regRead := func(ctx context.Context, c *thrift.Client) (any, error) { return c.RegisterRead(ctx, reg, 5) }
	regReadReq := func(e *enc) {
		e.msg("standard:bm_register_read", mCall, 1)
		e.arrayArgs(0, reg)
		e.field(tI32, 3)
		e.i32(5)
		e.stop()
	}
	voidReply := func(method string) func(e *enc) {
		return func(e *enc) {
			e.msg(method, mReply, 1)
			e.stop()
		}
	}
	excReply := func(method string, code int32) func(e *enc) {
		return func(e *enc) {
			e.msg(method, mReply, 1)
			e.field(tStruct, 1) // "ouch"
			e.field(tI32, 1)    // code
			e.i32(code)
			e.stop()
			e.stop()
		}
	}
	cases := []tc{{
		name: "bm_register_read",
		call: regRead,
		req:  regReadReq,
		reply: func(e *enc) {
			e.msg("bm_register_read", mReply, 1)
			e.field(tI64, 0)
			e.i64(42)
			e.stop()
		},
		want: int64(42),
	}, {
		name:   "bm_register_read InvalidRegisterOperation",
		call:   regRead,
		req:    regReadReq,
		reply:  excReply("bm_register_read", 2),
		errIs:  thrift.RegisterInvalidIndex,
		errMsg: `bmv2 thrift: bm_register_read register "MyEgress.byte_cnt_reg" index 5: InvalidRegisterOperation INVALID_INDEX`,
	}, {
		name:   "bm_register_read unknown exception code",
		call:   regRead,
		req:    regReadReq,
		reply:  excReply("bm_register_read", 9),
		errIs:  thrift.RegisterErrorCode(9),
		errMsg: `bmv2 thrift: bm_register_read register "MyEgress.byte_cnt_reg" index 5: InvalidRegisterOperation code(9)`,
	}, {
		name: "bm_register_read TApplicationException",
		call: regRead,
		req:  regReadReq,
		reply: func(e *enc) {
			e.msg("bm_register_read", mException, 1)
			e.field(tString, 1)
			e.str("vector::_M_range_check")
			e.field(tI32, 2)
			e.i32(0)
			e.stop()
		},
		errMsg: `bmv2 thrift: bm_register_read register "MyEgress.byte_cnt_reg" index 5: vector::_M_range_check`,
	}, {
		name:   "bm_register_read missing result",
		call:   regRead,
		req:    regReadReq,
		reply:  voidReply("bm_register_read"),
		errMsg: "bm_register_read failed: unknown result",
	}, {
		name: "bm_register_read_all",
		call: func(ctx context.Context, c *thrift.Client) (any, error) { return c.RegisterReadAll(ctx, reg) },
		req: func(e *enc) {
			e.msg("standard:bm_register_read_all", mCall, 1)
			e.arrayArgs(0, reg)
			e.stop()
		},
		reply: func(e *enc) {
			e.msg("bm_register_read_all", mReply, 1)
			e.field(tList, 0)
			e.i8(tI64)
			e.i32(3)
			e.i64(1)
			e.i64(0)
			e.i64(1 << 40)
			e.stop()
		},
		want: []int64{1, 0, 1 << 40},
	}, {
		name: "bm_register_write",
		call: func(ctx context.Context, c *thrift.Client) (any, error) {
			return nil, c.RegisterWrite(ctx, reg, 7, -1)
		},
		req: func(e *enc) {
			e.msg("standard:bm_register_write", mCall, 1)
			e.arrayArgs(0, reg)
			e.field(tI32, 3)
			e.i32(7)
			e.field(tI64, 4)
			e.i64(-1)
			e.stop()
		},
		reply: voidReply("bm_register_write"),
	}, {
		name: "bm_register_reset",
		call: func(ctx context.Context, c *thrift.Client) (any, error) { return nil, c.RegisterReset(ctx, reg) },
		req: func(e *enc) {
			e.msg("standard:bm_register_reset", mCall, 1)
			e.arrayArgs(0, reg)
			e.stop()
		},
		reply:  excReply("bm_register_reset", 1),
		errIs:  thrift.RegisterInvalidName,
		errMsg: `bmv2 thrift: bm_register_reset register "MyEgress.byte_cnt_reg": InvalidRegisterOperation INVALID_REGISTER_NAME`,
	}, {
		name: "bm_counter_read",
		call: func(ctx context.Context, c *thrift.Client) (any, error) { return c.CounterRead(ctx, "I.port_ctr", 3) },
		req: func(e *enc) {
			e.msg("standard:bm_counter_read", mCall, 1)
			e.arrayArgs(0, "I.port_ctr")
			e.field(tI32, 3)
			e.i32(3)
			e.stop()
		},
		reply: func(e *enc) {
			e.msg("bm_counter_read", mReply, 1)
			e.field(tStruct, 0)
			e.field(tI64, 1)
			e.i64(1500)
			e.field(tI64, 2)
			e.i64(1)
			e.stop()
			e.stop()
		},
		want: thrift.CounterValue{Bytes: 1500, Packets: 1},
	}, {
		name: "bm_counter_write",
		call: func(ctx context.Context, c *thrift.Client) (any, error) {
			return nil, c.CounterWrite(ctx, "I.port_ctr", 3, thrift.CounterValue{Bytes: 64, Packets: 2})
		},
		req: func(e *enc) {
			e.msg("standard:bm_counter_write", mCall, 1)
			e.arrayArgs(0, "I.port_ctr")
			e.field(tI32, 3)
			e.i32(3)
			e.field(tStruct, 4)
			e.field(tI64, 1)
			e.i64(64)
			e.field(tI64, 2)
			e.i64(2)
			e.stop()
			e.stop()
		},
		reply:  excReply("bm_counter_write", 2),
		errIs:  thrift.CounterInvalidIndex,
		errMsg: `bmv2 thrift: bm_counter_write counter "I.port_ctr" index 3: InvalidCounterOperation INVALID_INDEX`,
	}, {
		name: "bm_dev_mgr_add_port",
		call: func(ctx context.Context, c *thrift.Client) (any, error) {
			return nil, c.DevMgrAddPort(ctx, "veth3", 3, "")
		},
		req: func(e *enc) {
			e.msg("standard:bm_dev_mgr_add_port", mCall, 1)
			e.field(tString, 1)
			e.str("veth3")
			e.field(tI32, 2)
			e.i32(3)
			e.field(tString, 3)
			e.str("")
			e.stop()
		},
		reply:  excReply("bm_dev_mgr_add_port", 1),
		errIs:  thrift.DevMgrFailed,
		errMsg: `bmv2 thrift: bm_dev_mgr_add_port port 3 interface "veth3": InvalidDevMgrOperation ERROR`,
	}, {
		name: "bm_dev_mgr_remove_port",
		call: func(ctx context.Context, c *thrift.Client) (any, error) { return nil, c.DevMgrRemovePort(ctx, 3) },
		req: func(e *enc) {
			e.msg("standard:bm_dev_mgr_remove_port", mCall, 1)
			e.field(tI32, 1)
			e.i32(3)
			e.stop()
		},
		reply: voidReply("bm_dev_mgr_remove_port"),
	}, {
		name: "bm_dev_mgr_show_ports",
		call: func(ctx context.Context, c *thrift.Client) (any, error) { return c.DevMgrShowPorts(ctx) },
		req: func(e *enc) {
			e.msg("standard:bm_dev_mgr_show_ports", mCall, 1)
			e.stop()
		},
		reply: func(e *enc) {
			e.msg("bm_dev_mgr_show_ports", mReply, 1)
			e.field(tList, 0)
			e.i8(tStruct)
			e.i32(1)
			e.arrayArgs(3, "veth3")
			e.field(tBool, 3)
			e.i8(1)
			e.field(tMap, 4)
			e.i8(tString)
			e.i8(tString)
			e.i32(1)
			e.str("in_pcap")
			e.str("/tmp/p3")
			e.stop()
			e.stop()
		},
		want: []thrift.PortInfo{{Port: 3, Iface: "veth3", IsUp: true, Extra: map[string]string{"in_pcap": "/tmp/p3"}}},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var req, rep enc
			tc.req(&req)
			tc.reply(&rep)
			addr, got := rawServer(t, req.Bytes(), rep.Bytes())
			c := thrifttest.Dial(t, addr)
			res, err := tc.call(testCtx(t), c)
			if sent := <-got; !bytes.Equal(sent, req.Bytes()) {
				t.Fatalf("request bytes:\n got %x\nwant %x", sent, req.Bytes())
			}
			if tc.errMsg != "" {
				if err == nil {
					t.Fatalf("got %v, nil error; want error %q", res, tc.errMsg)
				}
				if !strings.Contains(err.Error(), tc.errMsg) {
					t.Errorf("error %q, want it to contain %q", err, tc.errMsg)
				}
				if tc.errIs != nil && !errors.Is(err, tc.errIs) {
					t.Errorf("error %v is not %v", err, tc.errIs)
				}
				var op *thrift.OpError
				if !errors.As(err, &op) || op.Op != strings.Fields(tc.name)[0] {
					t.Errorf("error %v is not an *OpError for %s", err, strings.Fields(tc.name)[0])
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != nil {
				if d := cmp.Diff(tc.want, res); d != "" {
					t.Errorf("result (-want +got):\n%s", d)
				}
			}
		})
	}
}

// TestReplyMismatch checks that a reply for another call (wrong sequence id
// or method name) is an error and that the client drops the connection,
// whose stream can no longer be trusted, and dials anew for the next call.
func TestReplyMismatch(t *testing.T) {
	for _, tc := range []struct {
		name, method string
		seq          int32
		want         string
	}{
		{"wrong sequence id", "bm_register_read", 7, "sequence id 7, want 1"},
		{"wrong method", "bm_register_write", 1, `reply names method "bm_register_write"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var req, rep enc
			req.msg("standard:bm_register_read", mCall, 1)
			req.field(tI32, 1)
			req.i32(0)
			req.field(tString, 2)
			req.str("r")
			req.field(tI32, 3)
			req.i32(0)
			req.stop()
			rep.msg(tc.method, mReply, tc.seq)
			rep.field(tI64, 0)
			rep.i64(1)
			rep.stop()
			addr, got := rawServer(t, req.Bytes(), rep.Bytes())
			c := thrifttest.Dial(t, addr)
			_, err := c.RegisterRead(testCtx(t), "r", 0)
			<-got
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			var ae athrift.TApplicationException
			if !errors.As(err, &ae) {
				t.Errorf("error %v is not a TApplicationException", err)
			}
			// The raw server took one connection and closed its listener:
			// a refused dial shows the old connection was dropped.
			_, err = c.RegisterRead(testCtx(t), "r", 0)
			if err == nil || !strings.Contains(err.Error(), "dial") {
				t.Errorf("second call: %v, want a dial error (the broken connection dropped)", err)
			}
		})
	}
}
