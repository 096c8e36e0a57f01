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

// The exceptions the handlers declare, by the error code they carry.
var (
	registerException = exceptionOf[RegisterErrorCode]("InvalidRegisterOperation")
	counterException  = exceptionOf[CounterErrorCode]("InvalidCounterOperation")
	devMgrException   = exceptionOf[DevMgrErrorCode]("InvalidDevMgrOperation")
)

// exceptionOf maps an error wrapping a code of type C to exception name
// with that code.
func exceptionOf[C interface {
	~int32
	error
}](name string) func(error) (string, int32, bool) {
	return func(err error) (string, int32, bool) {
		var c C
		if errors.As(err, &c) {
			return name, int32(c), true
		}
		return "", 0, false
	}
}

// readArgs reads an argument struct and the end of its message.
func readArgs(ctx context.Context, p athrift.TProtocol, fields ...field) error {
	if err := readStruct(ctx, p, fields...); err != nil {
		return err
	}
	return p.ReadMessageEnd(ctx)
}

// readArrayArgs reads the arguments of a register or counter call, cxt_id
// (1), the array's name (2), its index (3) when idx is not nil and then
// extra, through the message end. The outcome declares exception; a context
// id other than simple_switch's is its error. A returned error means the
// arguments could not be decoded.
func readArrayArgs(ctx context.Context, p athrift.TProtocol, exception func(error) (string, int32, bool),
	name *string, idx *int32, extra ...field) (outcome, error) {
	var cxt int32
	fields := []field{{1, athrift.I32, readI32(ctx, p, &cxt)}, {2, athrift.STRING, readString(ctx, p, name)}}
	if idx != nil {
		fields = append(fields, field{3, athrift.I32, readI32(ctx, p, idx)})
	}
	if err := readArgs(ctx, p, append(fields, extra...)...); err != nil {
		return outcome{}, err
	}
	return outcome{exception: exception, err: checkContext(cxt)}, nil
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
		name string
		idx  int32
	)
	out, err := readArrayArgs(ctx, p, registerException, &name, &idx)
	if err != nil || out.err != nil {
		return out, err
	}
	var v int64
	v, out.err = b.RegisterRead(ctx, name, idx)
	out.success = func(w *writer) { w.i64("success", 0, v) }
	return out, nil
}

func handleRegisterReadAll(ctx context.Context, b Backend, p athrift.TProtocol) (outcome, error) {
	var name string
	out, err := readArrayArgs(ctx, p, registerException, &name, nil)
	if err != nil || out.err != nil {
		return out, err
	}
	var vs []int64
	vs, out.err = b.RegisterReadAll(ctx, name)
	out.success = func(w *writer) {
		w.list("success", athrift.I64, 0, len(vs), func(i int) error { return w.p.WriteI64(w.ctx, vs[i]) })
	}
	return out, nil
}

func handleRegisterWrite(ctx context.Context, b Backend, p athrift.TProtocol) (outcome, error) {
	var (
		name  string
		idx   int32
		value int64
	)
	out, err := readArrayArgs(ctx, p, registerException, &name, &idx, field{4, athrift.I64, readI64(ctx, p, &value)})
	if err != nil || out.err != nil {
		return out, err
	}
	out.err = b.RegisterWrite(ctx, name, idx, value)
	return out, nil
}

func handleRegisterReset(ctx context.Context, b Backend, p athrift.TProtocol) (outcome, error) {
	var name string
	out, err := readArrayArgs(ctx, p, registerException, &name, nil)
	if err != nil || out.err != nil {
		return out, err
	}
	out.err = b.RegisterReset(ctx, name)
	return out, nil
}

func handleCounterRead(ctx context.Context, b Backend, p athrift.TProtocol) (outcome, error) {
	var (
		name string
		idx  int32
	)
	out, err := readArrayArgs(ctx, p, counterException, &name, &idx)
	if err != nil || out.err != nil {
		return out, err
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
		name  string
		idx   int32
		value CounterValue
	)
	out, err := readArrayArgs(ctx, p, counterException, &name, &idx, field{4, athrift.STRUCT, readCounterValue(ctx, p, &value)})
	if err != nil || out.err != nil {
		return out, err
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
		w.list("success", athrift.STRUCT, 0, len(ps), func(i int) error {
			w.portInfo(ps[i])
			return w.err
		})
	}}, nil
}
