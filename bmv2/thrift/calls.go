package thrift

import (
	"context"
	"fmt"

	athrift "github.com/apache/thrift/lib/go/thrift"
)

var _ Backend = (*Client)(nil)

func registerCode(code int32) error { return RegisterErrorCode(code) }
func counterCode(code int32) error  { return CounterErrorCode(code) }
func devMgrCode(code int32) error   { return DevMgrErrorCode(code) }

// RegisterRead reads one cell of register array name (bm_register_read).
func (c *Client) RegisterRead(ctx context.Context, name string, index int32) (int64, error) {
	var v int64
	err := c.call(ctx, mRegisterRead, registerIndexTarget(name, index), func(w *writer) {
		w.i32("cxt_id", 1, contextID)
		w.str("register_array_name", 2, name)
		w.i32("idx", 3, index)
	}, reply{
		successType: athrift.I64,
		success: func(ctx context.Context, p athrift.TProtocol) (err error) {
			v, err = p.ReadI64(ctx)
			return err
		},
		asCode: registerCode,
	})
	return v, err
}

// RegisterReadAll reads every cell of register array name, in index order
// (bm_register_read_all).
func (c *Client) RegisterReadAll(ctx context.Context, name string) ([]int64, error) {
	return callList(ctx, c, mRegisterReadAll, registerTarget(name), func(w *writer) {
		w.i32("cxt_id", 1, contextID)
		w.str("register_array_name", 2, name)
	}, athrift.I64, "register values", func(ctx context.Context, p athrift.TProtocol) (int64, error) {
		return p.ReadI64(ctx)
	}, registerCode)
}

// RegisterWrite writes value into one cell of register array name
// (bm_register_write). The server truncates value to the register's width.
func (c *Client) RegisterWrite(ctx context.Context, name string, index int32, value int64) error {
	return c.call(ctx, mRegisterWrite, registerIndexTarget(name, index), func(w *writer) {
		w.i32("cxt_id", 1, contextID)
		w.str("register_array_name", 2, name)
		w.i32("index", 3, index)
		w.i64("value", 4, value)
	}, reply{successType: athrift.STOP, asCode: registerCode})
}

// RegisterReset sets every cell of register array name to zero
// (bm_register_reset).
func (c *Client) RegisterReset(ctx context.Context, name string) error {
	return c.call(ctx, mRegisterReset, registerTarget(name), func(w *writer) {
		w.i32("cxt_id", 1, contextID)
		w.str("register_array_name", 2, name)
	}, reply{successType: athrift.STOP, asCode: registerCode})
}

// CounterRead reads one cell of indirect counter array name
// (bm_counter_read).
func (c *Client) CounterRead(ctx context.Context, name string, index int32) (CounterValue, error) {
	var v CounterValue
	err := c.call(ctx, mCounterRead, counterIndexTarget(name, index), func(w *writer) {
		w.i32("cxt_id", 1, contextID)
		w.str("counter_name", 2, name)
		w.i32("index", 3, index)
	}, reply{
		successType: athrift.STRUCT,
		success: func(ctx context.Context, p athrift.TProtocol) error {
			return readCounterValue(ctx, p, &v)()
		},
		asCode: counterCode,
	})
	return v, err
}

// CounterWrite sets one cell of indirect counter array name
// (bm_counter_write).
func (c *Client) CounterWrite(ctx context.Context, name string, index int32, value CounterValue) error {
	return c.call(ctx, mCounterWrite, counterIndexTarget(name, index), func(w *writer) {
		w.i32("cxt_id", 1, contextID)
		w.str("counter_name", 2, name)
		w.i32("index", 3, index)
		w.field("value", athrift.STRUCT, 4, func() error {
			w.counterValue(value)
			return w.err
		})
	}, reply{successType: athrift.STOP, asCode: counterCode})
}

// DevMgrAddPort attaches interface iface as port (bm_dev_mgr_add_port);
// pcapPath, when not empty, asks bmv2 for a pcap capture of the port.
func (c *Client) DevMgrAddPort(ctx context.Context, iface string, port int32, pcapPath string) error {
	return c.call(ctx, mDevMgrAddPort, fmt.Sprintf("port %d interface %q", port, iface), func(w *writer) {
		w.str("iface_name", 1, iface)
		w.i32("port_num", 2, port)
		w.str("pcap_path", 3, pcapPath)
	}, reply{successType: athrift.STOP, asCode: devMgrCode})
}

// DevMgrRemovePort detaches port (bm_dev_mgr_remove_port).
func (c *Client) DevMgrRemovePort(ctx context.Context, port int32) error {
	return c.call(ctx, mDevMgrRemovePort, fmt.Sprintf("port %d", port), func(w *writer) {
		w.i32("port_num", 1, port)
	}, reply{successType: athrift.STOP, asCode: devMgrCode})
}

// DevMgrShowPorts lists the device manager's ports (bm_dev_mgr_show_ports).
func (c *Client) DevMgrShowPorts(ctx context.Context) ([]PortInfo, error) {
	return callList(ctx, c, mDevMgrShowPorts, "", func(*writer) {}, athrift.STRUCT, "ports",
		func(ctx context.Context, p athrift.TProtocol) (PortInfo, error) {
			var pi PortInfo
			err := readPortInfo(ctx, p, &pi)
			return pi, err
		}, devMgrCode)
}

// callList makes a call whose result is a list of elem values, each read
// by read; what names the list in errors. An empty list is an empty, not a
// nil, slice.
func callList[T any](ctx context.Context, c *Client, method, target string, args func(*writer),
	elem athrift.TType, what string, read func(context.Context, athrift.TProtocol) (T, error),
	asCode func(int32) error) ([]T, error) {
	var vs []T
	err := c.call(ctx, method, target, args, reply{
		successType: athrift.LIST,
		success: func(ctx context.Context, p athrift.TProtocol) error {
			vs = vs[:0]
			return readList(ctx, p, elem, what, func() error {
				v, err := read(ctx, p)
				vs = append(vs, v)
				return err
			})
		},
		asCode: asCode,
	})
	if err != nil {
		return nil, err
	}
	if vs == nil {
		vs = []T{}
	}
	return vs, nil
}
