package thrifttest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/lime-p4/lime/bmv2/thrift"
)

type register struct {
	width int
	cells []int64
}

// MemBackend is an in-memory [thrift.Backend]. It is safe for concurrent use.
type MemBackend struct {
	mu        sync.Mutex
	registers map[string]*register
	counters  map[string][]thrift.CounterValue
	ports     map[int32]thrift.PortInfo
}

var _ thrift.Backend = (*MemBackend)(nil)

// NewMemBackend returns a backend with no registers, counters or ports.
func NewMemBackend() *MemBackend {
	return &MemBackend{
		registers: map[string]*register{},
		counters:  map[string][]thrift.CounterValue{},
		ports:     map[int32]thrift.PortInfo{},
	}
}

// FromBMv2JSON returns a backend holding the register arrays and the
// indirect counter arrays of a bmv2 JSON program ("register_arrays" and the
// "counter_arrays" that are not direct), all cells zero, as bmv2 holds them
// after the program is loaded.
func FromBMv2JSON(program []byte) (*MemBackend, error) {
	var doc struct {
		Registers []struct {
			Name     string `json:"name"`
			Size     int    `json:"size"`
			Bitwidth int    `json:"bitwidth"`
		} `json:"register_arrays"`
		Counters []struct {
			Name     string `json:"name"`
			Size     int    `json:"size"`
			IsDirect bool   `json:"is_direct"`
		} `json:"counter_arrays"`
	}
	if err := json.Unmarshal(program, &doc); err != nil {
		return nil, fmt.Errorf("thrifttest: bmv2 JSON: %w", err)
	}
	m := NewMemBackend()
	for _, r := range doc.Registers {
		if err := m.AddRegister(r.Name, r.Size, r.Bitwidth); err != nil {
			return nil, err
		}
	}
	for _, c := range doc.Counters {
		if c.IsDirect {
			continue
		}
		if err := m.AddCounter(c.Name, c.Size); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// AddRegister adds a register array of size cells of bitwidth bits, all zero.
func (m *MemBackend) AddRegister(name string, size, bitwidth int) error {
	if name == "" || size < 0 || bitwidth <= 0 {
		return fmt.Errorf("thrifttest: register %q: size %d, bitwidth %d: need a name, size >= 0 and bitwidth > 0", name, size, bitwidth)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.registers[name]; dup {
		return fmt.Errorf("thrifttest: register %q defined twice", name)
	}
	m.registers[name] = &register{width: bitwidth, cells: make([]int64, size)}
	return nil
}

// AddCounter adds an indirect counter array of size cells, all zero.
func (m *MemBackend) AddCounter(name string, size int) error {
	if name == "" || size < 0 {
		return fmt.Errorf("thrifttest: counter %q: size %d: need a name and size >= 0", name, size)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.counters[name]; dup {
		return fmt.Errorf("thrifttest: counter %q defined twice", name)
	}
	m.counters[name] = make([]thrift.CounterValue, size)
	return nil
}

// registerCell returns the register and checks index; m.mu must be held.
func (m *MemBackend) registerCell(name string, index int32) (*register, error) {
	r, ok := m.registers[name]
	if !ok {
		return nil, fmt.Errorf("no register array %q: %w", name, thrift.RegisterInvalidName)
	}
	if index < 0 || int(index) >= len(r.cells) {
		return nil, fmt.Errorf("register %q index %d outside [0, %d): %w", name, index, len(r.cells), thrift.RegisterInvalidIndex)
	}
	return r, nil
}

// RegisterRead implements [thrift.Backend].
func (m *MemBackend) RegisterRead(_ context.Context, name string, index int32) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.registerCell(name, index)
	if err != nil {
		return 0, err
	}
	return r.cells[index], nil
}

// RegisterReadAll implements [thrift.Backend]. Like bmv2 it answers
// INVALID_REGISTER_NAME for an unknown array and for an array of size 0.
func (m *MemBackend) RegisterReadAll(_ context.Context, name string) ([]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.registers[name]
	if !ok || len(r.cells) == 0 {
		return nil, fmt.Errorf("no register array %q: %w", name, thrift.RegisterInvalidName)
	}
	return slices.Clone(r.cells), nil
}

// RegisterWrite implements [thrift.Backend]: value is truncated to the
// register's width.
func (m *MemBackend) RegisterWrite(_ context.Context, name string, index int32, value int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.registerCell(name, index)
	if err != nil {
		return err
	}
	r.cells[index] = thrift.Truncate(value, r.width)
	return nil
}

// RegisterReset implements [thrift.Backend].
func (m *MemBackend) RegisterReset(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.registers[name]
	if !ok {
		return fmt.Errorf("no register array %q: %w", name, thrift.RegisterInvalidName)
	}
	clear(r.cells)
	return nil
}

// counterCells returns a counter array and checks index; m.mu must be held.
func (m *MemBackend) counterCells(name string, index int32) ([]thrift.CounterValue, error) {
	c, ok := m.counters[name]
	if !ok {
		return nil, fmt.Errorf("no counter array %q: %w", name, thrift.CounterInvalidName)
	}
	if index < 0 || int(index) >= len(c) {
		return nil, fmt.Errorf("counter %q index %d outside [0, %d): %w", name, index, len(c), thrift.CounterInvalidIndex)
	}
	return c, nil
}

// CounterRead implements [thrift.Backend].
func (m *MemBackend) CounterRead(_ context.Context, name string, index int32) (thrift.CounterValue, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.counterCells(name, index)
	if err != nil {
		return thrift.CounterValue{}, err
	}
	return c[index], nil
}

// CounterWrite implements [thrift.Backend].
func (m *MemBackend) CounterWrite(_ context.Context, name string, index int32, value thrift.CounterValue) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.counterCells(name, index)
	if err != nil {
		return err
	}
	c[index] = value
	return nil
}

// DevMgrAddPort implements [thrift.Backend]. Like bmv2 it fails (ERROR) when
// the port number or the interface is already attached; a pcap path is kept
// in the port's extra map as "in_pcap" and "out_pcap".
func (m *MemBackend) DevMgrAddPort(_ context.Context, iface string, port int32, pcapPath string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.ports[port]; dup {
		return fmt.Errorf("port %d already attached: %w", port, thrift.DevMgrFailed)
	}
	for _, p := range m.ports {
		if p.Iface == iface {
			return fmt.Errorf("interface %q already attached as port %d: %w", iface, p.Port, thrift.DevMgrFailed)
		}
	}
	pi := thrift.PortInfo{Port: port, Iface: iface, IsUp: true, Extra: map[string]string{}}
	if pcapPath != "" {
		pi.Extra["in_pcap"] = pcapPath
		pi.Extra["out_pcap"] = pcapPath
	}
	m.ports[port] = pi
	return nil
}

// DevMgrRemovePort implements [thrift.Backend]; an unknown port is an ERROR.
func (m *MemBackend) DevMgrRemovePort(_ context.Context, port int32) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.ports[port]; !ok {
		return fmt.Errorf("port %d not attached: %w", port, thrift.DevMgrFailed)
	}
	delete(m.ports, port)
	return nil
}

// DevMgrShowPorts implements [thrift.Backend]: ports in port order.
func (m *MemBackend) DevMgrShowPorts(context.Context) ([]thrift.PortInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]thrift.PortInfo, 0, len(m.ports))
	for _, port := range slices.Sorted(maps.Keys(m.ports)) {
		pi := m.ports[port]
		pi.Extra = maps.Clone(pi.Extra)
		out = append(out, pi)
	}
	return out, nil
}

// Attached returns the interface attached as port, or "" when none is.
func (m *MemBackend) Attached(port int32) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ports[port].Iface
}
