package thrift

import (
	"context"
	"errors"
	"fmt"

	athrift "github.com/apache/thrift/lib/go/thrift"
)

// handler reads one call's arguments (through the message end) and asks the
// backend. A returned error means the arguments could not be decoded.
type handler func(ctx context.Context, b Backend, p athrift.TProtocol) (outcome, error)

// handlers maps each served method of service "standard" to its handler.
var handlers = map[string]handler{
	mRegisterRead:     handleRegisterRead,
	mRegisterReadAll:  handleRegisterReadAll,
	mRegisterWrite:    handleRegisterWrite,
	mRegisterReset:    handleRegisterReset,
	mCounterRead:      handleCounterRead,
	mCounterWrite:     handleCounterWrite,
	mDevMgrAddPort:    handleDevMgrAddPort,
	mDevMgrRemovePort: handleDevMgrRemovePort,
	mDevMgrShowPorts:  handleDevMgrShowPorts,
}

func registerException(err error) (string, int32, bool) {
	var c RegisterErrorCode
	if errors.As(err, &c) {
		return "InvalidRegisterOperation", int32(c), true
	}
	return "", 0, false
}

func counterException(err error) (string, int32, bool) {
	var c CounterErrorCode
	if errors.As(err, &c) {
		return "InvalidCounterOperation", int32(c), true
	}
	return "", 0, false
}

func devMgrException(err error) (string, int32, bool) {
	var c DevMgrErrorCode
	if errors.As(err, &c) {
		return "InvalidDevMgrOperation", int32(c), true
	}
	return "", 0, false
}

// readArgs reads an argument struct and the end of its message.
func readArgs(ctx context.Context, p athrift.TProtocol, fields ...field) error {
	if err := readStruct(ctx, p, fields...); err != nil {
		return err
	}
	return p.ReadMessageEnd(ctx)
}

// checkContext refuses context ids other than simple_switch's only one.
func checkContext(cxt int32) error {
	if cxt != contextID {
		return fmt.Errorf("invalid context id %d: this switch has only context %d", cxt, contextID)
	}
	return nil
}

func handleRegisterRead(ctx context.Context, b Backend, p athrift.TProtocol) (outcome, error) {
	var (
		cxt, idx int32
		name     string
	)
	if err := readArgs(ctx, p,
		field{1, athrift.I32, readI32(ctx, p, &cxt)},
		field{2, athrift.STRING, readString(ctx, p, &name)},
		field{3, athrift.I32, readI32(ctx, p, &idx)}); err != nil {
		return outcome{}, err
	}
	out := outcome{exception: registerException}
	if out.err = checkContext(cxt); out.err != nil {
		return out, nil
	}
	var v int64
	v, out.err = b.RegisterRead(ctx, name, idx)
	out.success = func(w *writer) { w.i64("success", 0, v) }
	return out, nil
}

func handleRegisterReadAll(ctx context.Context, b Backend, p athrift.TProtocol) (outcome, error) {
	var (
		cxt  int32
		name string
	)
	if err := readArgs(ctx, p,
		field{1, athrift.I32, readI32(ctx, p, &cxt)},
		field{2, athrift.STRING, readString(ctx, p, &name)}); err != nil {
		return outcome{}, err
	}
	out := outcome{exception: registerException}
	if out.err = checkContext(cxt); out.err != nil {
		return out, nil
	}
	var vs []int64
	vs, out.err = b.RegisterReadAll(ctx, name)
	out.success = func(w *writer) {
		w.field("success", athrift.LIST, 0, func() error {
			if err := w.p.WriteListBegin(w.ctx, athrift.I64, len(vs)); err != nil {
				return err
			}
			for _, v := range vs {
				if err := w.p.WriteI64(w.ctx, v); err != nil {
					return err
				}
			}
			return w.p.WriteListEnd(w.ctx)
		})
	}
	return out, nil
}

func handleRegisterWrite(ctx context.Context, b Backend, p athrift.TProtocol) (outcome, error) {
	var (
		cxt, idx int32
		name     string
		value    int64
	)
	if err := readArgs(ctx, p,
		field{1, athrift.I32, readI32(ctx, p, &cxt)},
		field{2, athrift.STRING, readString(ctx, p, &name)},
		field{3, athrift.I32, readI32(ctx, p, &idx)},
		field{4, athrift.I64, readI64(ctx, p, &value)}); err != nil {
		return outcome{}, err
	}
	out := outcome{exception: registerException}
	if out.err = checkContext(cxt); out.err != nil {
		return out, nil
	}
	out.err = b.RegisterWrite(ctx, name, idx, value)
	return out, nil
}

func handleRegisterReset(ctx context.Context, b Backend, p athrift.TProtocol) (outcome, error) {
	var (
		cxt  int32
		name string
	)
	if err := readArgs(ctx, p,
		field{1, athrift.I32, readI32(ctx, p, &cxt)},
		field{2, athrift.STRING, readString(ctx, p, &name)}); err != nil {
		return outcome{}, err
	}
	out := outcome{exception: registerException}
	if out.err = checkContext(cxt); out.err != nil {
		return out, nil
	}
	out.err = b.RegisterReset(ctx, name)
	return out, nil
}

func handleCounterRead(ctx context.Context, b Backend, p athrift.TProtocol) (outcome, error) {
	var (
		cxt, idx int32
		name     string
	)
	if err := readArgs(ctx, p,
		field{1, athrift.I32, readI32(ctx, p, &cxt)},
		field{2, athrift.STRING, readString(ctx, p, &name)},
		field{3, athrift.I32, readI32(ctx, p, &idx)}); err != nil {
		return outcome{}, err
	}
	out := outcome{exception: counterException}
	if out.err = checkContext(cxt); out.err != nil {
		return out, nil
	}
	var v CounterValue
	v, out.err = b.CounterRead(ctx, name, idx)
	out.success = func(w *writer) {
		w.field("success", athrift.STRUCT, 0, func() error {
			w.counterValue(v)
			return w.err
		})
	}
	return out, nil
}

func handleCounterWrite(ctx context.Context, b Backend, p athrift.TProtocol) (outcome, error) {
	var (
		cxt, idx int32
		name     string
		value    CounterValue
	)
	if err := readArgs(ctx, p,
		field{1, athrift.I32, readI32(ctx, p, &cxt)},
		field{2, athrift.STRING, readString(ctx, p, &name)},
		field{3, athrift.I32, readI32(ctx, p, &idx)},
		field{4, athrift.STRUCT, readCounterValue(ctx, p, &value)}); err != nil {
		return outcome{}, err
	}
	out := outcome{exception: counterException}
	if out.err = checkContext(cxt); out.err != nil {
		return out, nil
	}
	out.err = b.CounterWrite(ctx, name, idx, value)
	return out, nil
}

func handleDevMgrAddPort(ctx context.Context, b Backend, p athrift.TProtocol) (outcome, error) {
	var (
		iface, pcap string
		port        int32
	)
	if err := readArgs(ctx, p,
		field{1, athrift.STRING, readString(ctx, p, &iface)},
		field{2, athrift.I32, readI32(ctx, p, &port)},
		field{3, athrift.STRING, readString(ctx, p, &pcap)}); err != nil {
		return outcome{}, err
	}
	return outcome{exception: devMgrException, err: b.DevMgrAddPort(ctx, iface, port, pcap)}, nil
}

func handleDevMgrRemovePort(ctx context.Context, b Backend, p athrift.TProtocol) (outcome, error) {
	var port int32
	if err := readArgs(ctx, p, field{1, athrift.I32, readI32(ctx, p, &port)}); err != nil {
		return outcome{}, err
	}
	return outcome{exception: devMgrException, err: b.DevMgrRemovePort(ctx, port)}, nil
}

func handleDevMgrShowPorts(ctx context.Context, b Backend, p athrift.TProtocol) (outcome, error) {
	if err := readArgs(ctx, p); err != nil {
		return outcome{}, err
	}
	ps, err := b.DevMgrShowPorts(ctx)
	return outcome{exception: devMgrException, err: err, success: func(w *writer) {
		w.field("success", athrift.LIST, 0, func() error {
			if err := w.p.WriteListBegin(w.ctx, athrift.STRUCT, len(ps)); err != nil {
				return err
			}
			for _, pi := range ps {
				w.portInfo(pi)
				if w.err != nil {
					return w.err
				}
			}
			return w.p.WriteListEnd(w.ctx)
		})
	}}, nil
}
