package thrift

import (
	"context"
	"fmt"
	"math"
	"net"

	athrift "github.com/apache/thrift/lib/go/thrift"
)

// serviceName is the TMultiplexedProtocol service bmv2 registers its
// Standard processor under (src/bm_runtime/server.cpp).
const serviceName = "standard"

// contextID is simple_switch's only context.
const contextID int32 = 0

// bufferSize is the TBufferedTransport buffer size on both ends.
const bufferSize = 4096

// maxPrealloc bounds what a declared list or map length may reserve before
// its elements have actually arrived.
const maxPrealloc = 1 << 12

// The Thrift methods of standard.thrift that this package speaks.
const (
	mRegisterRead     = "bm_register_read"
	mRegisterReadAll  = "bm_register_read_all"
	mRegisterWrite    = "bm_register_write"
	mRegisterReset    = "bm_register_reset"
	mCounterRead      = "bm_counter_read"
	mCounterWrite     = "bm_counter_write"
	mDevMgrAddPort    = "bm_dev_mgr_add_port"
	mDevMgrRemovePort = "bm_dev_mgr_remove_port"
	mDevMgrShowPorts  = "bm_dev_mgr_show_ports"
)

// connTransport adapts a net.Conn to thrift.TTransport. thrift.TSocket is not
// used because it resets the connection's deadline on every read and write,
// and both ends here manage deadlines themselves.
type connTransport struct{ net.Conn }

func (connTransport) Open() error                 { return nil }
func (connTransport) IsOpen() bool                { return true }
func (connTransport) Flush(context.Context) error { return nil }
func (connTransport) RemainingBytes() uint64      { return math.MaxUint64 }

// maxMessageSize bounds any string, list or map a peer may announce.
const maxMessageSize = 16 << 20

// newProtocol stacks TBufferedTransport and TBinaryProtocol on conn. Writes
// are strict (versioned), the C++ default bmv2 uses. Reads are lenient on the
// client, like bmv2's; the server reads strictly, refusing unversioned
// messages (which no current Thrift client sends) because their first bytes
// would be taken as a name length and the server would wait for that many.
func newProtocol(conn net.Conn, strictRead bool) athrift.TProtocol {
	cfg := &athrift.TConfiguration{
		MaxMessageSize:    maxMessageSize,
		TBinaryStrictRead: &strictRead,
	}
	return athrift.NewTBinaryProtocolConf(athrift.NewTBufferedTransport(connTransport{conn}, bufferSize), cfg)
}

// writer writes a message field by field, keeping the first error.
type writer struct {
	ctx context.Context
	p   athrift.TProtocol
	err error
}

func (w *writer) do(f func() error) {
	if w.err == nil {
		w.err = f()
	}
}

func (w *writer) messageBegin(name string, t athrift.TMessageType, seq int32) {
	w.do(func() error { return w.p.WriteMessageBegin(w.ctx, name, t, seq) })
}

// messageEnd ends the message and flushes it onto the connection.
func (w *writer) messageEnd() {
	w.do(func() error { return w.p.WriteMessageEnd(w.ctx) })
	w.do(func() error { return w.p.Flush(w.ctx) })
}

func (w *writer) structBegin(name string) {
	w.do(func() error { return w.p.WriteStructBegin(w.ctx, name) })
}

// structEnd writes the field stop and ends the struct.
func (w *writer) structEnd() {
	w.do(func() error { return w.p.WriteFieldStop(w.ctx) })
	w.do(func() error { return w.p.WriteStructEnd(w.ctx) })
}

// field writes one field whose value body writes.
func (w *writer) field(name string, t athrift.TType, id int16, body func() error) {
	w.do(func() error { return w.p.WriteFieldBegin(w.ctx, name, t, id) })
	w.do(body)
	w.do(func() error { return w.p.WriteFieldEnd(w.ctx) })
}

func (w *writer) i32(name string, id int16, v int32) {
	w.field(name, athrift.I32, id, func() error { return w.p.WriteI32(w.ctx, v) })
}

func (w *writer) i64(name string, id int16, v int64) {
	w.field(name, athrift.I64, id, func() error { return w.p.WriteI64(w.ctx, v) })
}

func (w *writer) str(name string, id int16, v string) {
	w.field(name, athrift.STRING, id, func() error { return w.p.WriteString(w.ctx, v) })
}

func (w *writer) boolean(name string, id int16, v bool) {
	w.field(name, athrift.BOOL, id, func() error { return w.p.WriteBool(w.ctx, v) })
}

// list writes field id, name, as a list of n elements of type elem, each
// written by each(i).
func (w *writer) list(name string, elem athrift.TType, id int16, n int, each func(i int) error) {
	w.field(name, athrift.LIST, id, func() error {
		if err := w.p.WriteListBegin(w.ctx, elem, n); err != nil {
			return err
		}
		for i := range n {
			if err := each(i); err != nil {
				return err
			}
		}
		return w.p.WriteListEnd(w.ctx)
	})
}

// counterValue writes BmCounterValue {1: i64 bytes, 2: i64 packets}.
func (w *writer) counterValue(v CounterValue) {
	w.structBegin("BmCounterValue")
	w.i64("bytes", 1, v.Bytes)
	w.i64("packets", 2, v.Packets)
	w.structEnd()
}

// portInfo writes DevMgrPortInfo {1: i32 port_num, 2: string iface_name,
// 3: bool is_up, 4: map<string,string> extra}.
func (w *writer) portInfo(pi PortInfo) {
	w.structBegin("DevMgrPortInfo")
	w.i32("port_num", 1, pi.Port)
	w.str("iface_name", 2, pi.Iface)
	w.boolean("is_up", 3, pi.IsUp)
	w.field("extra", athrift.MAP, 4, func() error {
		if err := w.p.WriteMapBegin(w.ctx, athrift.STRING, athrift.STRING, len(pi.Extra)); err != nil {
			return err
		}
		for k, v := range pi.Extra {
			if err := w.p.WriteString(w.ctx, k); err != nil {
				return err
			}
			if err := w.p.WriteString(w.ctx, v); err != nil {
				return err
			}
		}
		return w.p.WriteMapEnd(w.ctx)
	})
	w.structEnd()
}

// exception writes one of bmv2's exception structs: {1: i32 code}.
func (w *writer) exception(name string, code int32) {
	w.structBegin(name)
	w.i32("code", 1, code)
	w.structEnd()
}

// field describes one field of a struct being read.
type field struct {
	id   int16
	typ  athrift.TType
	read func() error
}

// readStruct reads a struct, handing each field whose id and type match one
// of fields to its reader and skipping every other field, as Thrift's
// generated readers do.
func readStruct(ctx context.Context, p athrift.TProtocol, fields ...field) error {
	if _, err := p.ReadStructBegin(ctx); err != nil {
		return err
	}
	for {
		_, t, id, err := p.ReadFieldBegin(ctx)
		if err != nil {
			return err
		}
		if t == athrift.STOP {
			break
		}
		handled := false
		for _, f := range fields {
			if f.id == id && f.typ == t {
				if err := f.read(); err != nil {
					return err
				}
				handled = true
				break
			}
		}
		if !handled {
			if err := athrift.SkipDefaultDepth(ctx, p, t); err != nil {
				return err
			}
		}
		if err := p.ReadFieldEnd(ctx); err != nil {
			return err
		}
	}
	return p.ReadStructEnd(ctx)
}

func readI32(ctx context.Context, p athrift.TProtocol, dst *int32) func() error {
	return func() (err error) { *dst, err = p.ReadI32(ctx); return err }
}

func readI64(ctx context.Context, p athrift.TProtocol, dst *int64) func() error {
	return func() (err error) { *dst, err = p.ReadI64(ctx); return err }
}

func readString(ctx context.Context, p athrift.TProtocol, dst *string) func() error {
	return func() (err error) { *dst, err = p.ReadString(ctx); return err }
}

func readBool(ctx context.Context, p athrift.TProtocol, dst *bool) func() error {
	return func() (err error) { *dst, err = p.ReadBool(ctx); return err }
}

// readCounterValue reads BmCounterValue.
func readCounterValue(ctx context.Context, p athrift.TProtocol, dst *CounterValue) func() error {
	return func() error {
		return readStruct(ctx, p,
			field{1, athrift.I64, readI64(ctx, p, &dst.Bytes)},
			field{2, athrift.I64, readI64(ctx, p, &dst.Packets)})
	}
}

// readPortInfo reads DevMgrPortInfo.
func readPortInfo(ctx context.Context, p athrift.TProtocol, dst *PortInfo) error {
	return readStruct(ctx, p,
		field{1, athrift.I32, readI32(ctx, p, &dst.Port)},
		field{2, athrift.STRING, readString(ctx, p, &dst.Iface)},
		field{3, athrift.BOOL, readBool(ctx, p, &dst.IsUp)},
		field{4, athrift.MAP, func() error {
			kt, vt, n, err := p.ReadMapBegin(ctx)
			if err != nil {
				return err
			}
			if n > 0 && (kt != athrift.STRING || vt != athrift.STRING) {
				return fmt.Errorf("DevMgrPortInfo.extra: map<%s,%s>, want map<string,string>", kt, vt)
			}
			dst.Extra = make(map[string]string, min(n, maxPrealloc))
			for range n {
				k, err := p.ReadString(ctx)
				if err != nil {
					return err
				}
				v, err := p.ReadString(ctx)
				if err != nil {
					return err
				}
				dst.Extra[k] = v
			}
			return p.ReadMapEnd(ctx)
		}})
}

// readList reads a list whose elements must be of type elem, calling each
// once per element.
func readList(ctx context.Context, p athrift.TProtocol, elem athrift.TType, what string, each func() error) error {
	t, n, err := p.ReadListBegin(ctx)
	if err != nil {
		return err
	}
	if n > 0 && t != elem {
		return fmt.Errorf("%s: list<%s>, want list<%s>", what, t, elem)
	}
	for range n {
		if err := each(); err != nil {
			return err
		}
	}
	return p.ReadListEnd(ctx)
}
