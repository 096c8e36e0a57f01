package sim

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/lime-p4/lime/bmv2/sim/dataplane"
	"github.com/lime-p4/lime/bmv2/sim/port"
	"github.com/lime-p4/lime/bmv2/thrift"
)

// thriftBackend answers bmv2's Thrift runtime API from a Device: registers
// and counters of the active program by their bmv2 JSON names, and the
// device's ports as bmv2's device manager.
type thriftBackend struct{ d *Device }

var _ thrift.Backend = thriftBackend{}

func (b thriftBackend) program() (*program, error) {
	pr := b.d.active.Load()
	if pr == nil {
		return nil, errors.New("no pipeline is running")
	}
	return pr, nil
}

// register resolves a register array and checks an index, with bmv2's
// exception codes.
func (b thriftBackend) register(name string, index int32, all bool) (*program, *dataplane.RegisterInfo, error) {
	pr, err := b.program()
	if err != nil {
		return nil, nil, fmt.Errorf("register %q: %v: %w", name, err, thrift.RegisterFailed)
	}
	ri := pr.dp.Register(name)
	if ri == nil {
		return nil, nil, fmt.Errorf("register %q: %w", name, thrift.RegisterInvalidName)
	}
	if !all && (index < 0 || int(index) >= ri.Size) {
		return nil, nil, fmt.Errorf("register %q index %d (size %d): %w", name, index, ri.Size, thrift.RegisterInvalidIndex)
	}
	return pr, ri, nil
}

// i64 reads a register cell as the Thrift API's signed 64 bits.
func i64(b []byte) int64 { return new(big.Int).SetBytes(b).Int64() }

// RegisterRead answers bm_register_read.
func (b thriftBackend) RegisterRead(_ context.Context, name string, index int32) (int64, error) {
	pr, _, err := b.register(name, index, false)
	if err != nil {
		return 0, err
	}
	v, err := pr.sw.ReadRegister(name, uint64(index))
	if err != nil {
		return 0, fmt.Errorf("register %q: %v: %w", name, err, thrift.RegisterFailed)
	}
	return i64(v), nil
}

// RegisterReadAll answers bm_register_read_all.
func (b thriftBackend) RegisterReadAll(_ context.Context, name string) ([]int64, error) {
	pr, _, err := b.register(name, 0, true)
	if err != nil {
		return nil, err
	}
	cells, err := pr.sw.ReadRegisters(name)
	if err != nil {
		return nil, fmt.Errorf("register %q: %v: %w", name, err, thrift.RegisterFailed)
	}
	out := make([]int64, len(cells))
	for i, c := range cells {
		out[i] = i64(c)
	}
	return out, nil
}

// RegisterWrite answers bm_register_write: the value is truncated to the
// register's width, as bmv2 does.
func (b thriftBackend) RegisterWrite(_ context.Context, name string, index int32, value int64) error {
	pr, ri, err := b.register(name, index, false)
	if err != nil {
		return err
	}
	v := thrift.Truncate(value, ri.Bitwidth)
	bs := new(big.Int).SetUint64(uint64(v)).Bytes()
	if len(bs) == 0 {
		bs = []byte{0}
	}
	if err := pr.sw.WriteRegister(name, uint64(index), bs); err != nil {
		return fmt.Errorf("register %q: %v: %w", name, err, thrift.RegisterFailed)
	}
	return nil
}

// RegisterReset answers bm_register_reset.
func (b thriftBackend) RegisterReset(_ context.Context, name string) error {
	pr, _, err := b.register(name, 0, true)
	if err != nil {
		return err
	}
	if err := pr.sw.ResetRegisters(name); err != nil {
		return fmt.Errorf("register %q: %v: %w", name, err, thrift.RegisterFailed)
	}
	return nil
}

// counter resolves an indirect counter array and checks an index.
func (b thriftBackend) counter(name string, index int32) (*program, error) {
	pr, err := b.program()
	if err != nil {
		return nil, fmt.Errorf("counter %q: %v: %w", name, err, thrift.CounterFailed)
	}
	ci := pr.dp.Counter(name)
	if ci == nil || ci.Direct {
		return nil, fmt.Errorf("counter %q: %w", name, thrift.CounterInvalidName)
	}
	if index < 0 || int(index) >= ci.Size {
		return nil, fmt.Errorf("counter %q index %d (size %d): %w", name, index, ci.Size, thrift.CounterInvalidIndex)
	}
	return pr, nil
}

// CounterRead answers bm_counter_read.
func (b thriftBackend) CounterRead(_ context.Context, name string, index int32) (thrift.CounterValue, error) {
	pr, err := b.counter(name, index)
	if err != nil {
		return thrift.CounterValue{}, err
	}
	v, err := pr.sw.ReadCounter(name, uint64(index))
	if err != nil {
		return thrift.CounterValue{}, fmt.Errorf("counter %q: %v: %w", name, err, thrift.CounterFailed)
	}
	return thrift.CounterValue{Bytes: int64(v.Bytes), Packets: int64(v.Packets)}, nil
}

// CounterWrite answers bm_counter_write.
func (b thriftBackend) CounterWrite(_ context.Context, name string, index int32, value thrift.CounterValue) error {
	pr, err := b.counter(name, index)
	if err != nil {
		return err
	}
	if err := pr.sw.WriteCounter(name, uint64(index), dataplane.CounterValue{Bytes: uint64(value.Bytes), Packets: uint64(value.Packets)}); err != nil {
		return fmt.Errorf("counter %q: %v: %w", name, err, thrift.CounterFailed)
	}
	return nil
}

// DevMgrAddPort answers bm_dev_mgr_add_port: a new port named after the
// interface, attached to it through AF_PACKET (which needs CAP_NET_RAW).
// A pcap capture is not supported.
func (b thriftBackend) DevMgrAddPort(_ context.Context, iface string, id int32, pcap string) error {
	d := b.d
	if pcap != "" {
		return fmt.Errorf("port %d: pcap capture is not supported: %w", id, thrift.DevMgrFailed)
	}
	if id < 0 || d.ports.ByID(uint32(id)) != nil {
		return fmt.Errorf("port %d: invalid or already in use: %w", id, thrift.DevMgrFailed)
	}
	if err := d.addPort(iface, uint32(id)); err != nil {
		return fmt.Errorf("%v: %w", err, thrift.DevMgrFailed)
	}
	p := d.ports.ByName(iface)
	if _, err := port.AttachInterface(p, iface, port.WithLogger(d.log)); err != nil {
		_, _ = d.ports.Remove(iface)
		return fmt.Errorf("port %d: attach %q: %v: %w", id, iface, err, thrift.DevMgrFailed)
	}
	d.log.Info("port added", "port", p.String(), "interface", iface)
	return nil
}

// DevMgrRemovePort answers bm_dev_mgr_remove_port.
func (b thriftBackend) DevMgrRemovePort(_ context.Context, id int32) error {
	d := b.d
	if id < 0 {
		return fmt.Errorf("port %d: %w", id, thrift.DevMgrFailed)
	}
	p := d.ports.ByID(uint32(id))
	if p == nil {
		return fmt.Errorf("port %d: no such port: %w", id, thrift.DevMgrFailed)
	}
	p.Detach()
	if _, err := d.ports.Remove(p.Name()); err != nil {
		return fmt.Errorf("port %d: %v: %w", id, err, thrift.DevMgrFailed)
	}
	d.log.Info("port removed", "port", p.String())
	return nil
}

// DevMgrShowPorts answers bm_dev_mgr_show_ports.
func (b thriftBackend) DevMgrShowPorts(context.Context) ([]thrift.PortInfo, error) {
	var out []thrift.PortInfo
	for _, p := range b.d.ports.List() {
		out = append(out, thrift.PortInfo{Port: int32(p.ID()), Iface: p.Name(), IsUp: p.Oper() == port.OperUp})
	}
	return out, nil
}
