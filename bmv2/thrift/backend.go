package thrift

import "context"

// CounterValue is bmv2's BmCounterValue: a byte and a packet count. bmv2's
// counters are unsigned; on the wire and here they are the same 64 bits as
// signed integers, as in P4Runtime's CounterData.
type CounterValue struct {
	Bytes   int64
	Packets int64
}

// PortInfo is bmv2's DevMgrPortInfo: one port of the device manager.
type PortInfo struct {
	Port  int32             // port_num
	Iface string            // iface_name
	IsUp  bool              // is_up
	Extra map[string]string // extra (e.g. pcap paths); may be nil
}

// Backend is what a [Server] answers from: exactly the calls of this package,
// for simple_switch's only context (0). [Client] implements it too, so a
// server can front another bmv2.
//
// Errors: return a [RegisterErrorCode], [CounterErrorCode] or
// [DevMgrErrorCode] (wrapped with context if you like) for the exceptions bmv2
// declares; the server sends the matching exception with that code. Any other
// error reaches the client as a TApplicationException of type UNKNOWN carrying
// the error's text, as bmv2's C++ server does for a failing handler.
//
// Values: RegisterWrite receives the signed value from the wire untouched;
// the backend truncates it to the register's width ([Truncate]) and
// RegisterRead returns the stored value, non-negative for widths below 64.
// Indexes and ports arrive as sent, negative ones included: bmv2 treats a
// negative index as out of range (INVALID_INDEX).
//
// A server calls its backend from one goroutine per connection: a Backend
// must be safe for concurrent use.
type Backend interface {
	// RegisterRead is bm_register_read: one cell of a register array.
	RegisterRead(ctx context.Context, name string, index int32) (int64, error)
	// RegisterReadAll is bm_register_read_all: every cell, in index order.
	// bmv2 answers INVALID_REGISTER_NAME for an unknown array.
	RegisterReadAll(ctx context.Context, name string) ([]int64, error)
	// RegisterWrite is bm_register_write: one cell.
	RegisterWrite(ctx context.Context, name string, index int32, value int64) error
	// RegisterReset is bm_register_reset: every cell back to zero.
	RegisterReset(ctx context.Context, name string) error
	// CounterRead is bm_counter_read: one cell of an indirect counter array.
	CounterRead(ctx context.Context, name string, index int32) (CounterValue, error)
	// CounterWrite is bm_counter_write: one cell of an indirect counter array.
	CounterWrite(ctx context.Context, name string, index int32, value CounterValue) error
	// DevMgrAddPort is bm_dev_mgr_add_port: attach interface iface as port.
	// pcapPath, when not empty, asks for a pcap capture of the port.
	DevMgrAddPort(ctx context.Context, iface string, port int32, pcapPath string) error
	// DevMgrRemovePort is bm_dev_mgr_remove_port.
	DevMgrRemovePort(ctx context.Context, port int32) error
	// DevMgrShowPorts is bm_dev_mgr_show_ports.
	DevMgrShowPorts(ctx context.Context) ([]PortInfo, error)
}

// Truncate masks value to its low width bits, two's complement, the way bmv2
// stores a value written to a bit<width> register: Truncate(-1, 8) is 255,
// Truncate(0x1ff, 8) is 0xff. Widths of 64 and more leave value unchanged
// (the wire carries 64 bits); a width of 0 or less gives 0.
func Truncate(value int64, width int) int64 {
	switch {
	case width <= 0:
		return 0
	case width >= 64:
		return value
	}
	return int64(uint64(value) & (1<<uint(width) - 1))
}
