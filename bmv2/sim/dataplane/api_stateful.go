package dataplane

import (
	"bytes"
	"fmt"
	"math/big"
)

func (s *Switch) counter(name string) (*counterArray, error) {
	i, ok := s.prog.c.counterByName[name]
	if !ok {
		for _, ci := range s.prog.counters {
			if ci.Name == name && ci.Direct {
				return nil, fmt.Errorf("%w: counter %q is direct: read it through its table's entries", ErrInvalid, name)
			}
		}
		return nil, fmt.Errorf("%w: counter %q", ErrNotFound, name)
	}
	return s.st.counters[i], nil
}

func indexErr(kind, name string, i uint64, size int) error {
	return fmt.Errorf("%w: %s %q has %d cells, no index %d", ErrNotFound, kind, name, size, i)
}

// ReadCounter returns cell index of an indirect counter array.
func (s *Switch) ReadCounter(name string, index uint64) (CounterValue, error) {
	a, err := s.counter(name)
	if err != nil {
		return CounterValue{}, err
	}
	if index >= uint64(len(a.cells)) {
		return CounterValue{}, indexErr("counter", name, index, len(a.cells))
	}
	return a.cells[index].get(), nil
}

// ReadCounters returns every cell of an indirect counter array.
func (s *Switch) ReadCounters(name string) ([]CounterValue, error) {
	a, err := s.counter(name)
	if err != nil {
		return nil, err
	}
	out := make([]CounterValue, len(a.cells))
	for i := range a.cells {
		out[i] = a.cells[i].get()
	}
	return out, nil
}

// WriteCounter sets cell index of an indirect counter array.
func (s *Switch) WriteCounter(name string, index uint64, v CounterValue) error {
	a, err := s.counter(name)
	if err != nil {
		return err
	}
	if index >= uint64(len(a.cells)) {
		return indexErr("counter", name, index, len(a.cells))
	}
	a.cells[index].set(v)
	return nil
}

func (s *Switch) meterCell(name string, index uint64) (*meterCell, error) {
	i, ok := s.prog.c.meterByName[name]
	if !ok {
		return nil, fmt.Errorf("%w: meter %q", ErrNotFound, name)
	}
	if s.prog.meters[i].Direct {
		return nil, fmt.Errorf("%w: meter %q is direct: configure it through its table's entries", ErrInvalid, name)
	}
	a := s.st.meters[i]
	if index >= uint64(len(a.cells)) {
		return nil, indexErr("meter", name, index, len(a.cells))
	}
	return &a.cells[index], nil
}

// SetMeter configures cell index of an indirect meter array; cfg nil
// resets it to unconfigured (every packet green).
func (s *Switch) SetMeter(name string, index uint64, cfg *MeterConfig) error {
	m, err := s.meterCell(name, index)
	if err != nil {
		return err
	}
	return m.configure(cfg)
}

// MeterConfigOf returns the configuration of a meter cell, nil when
// unconfigured.
func (s *Switch) MeterConfigOf(name string, index uint64) (*MeterConfig, error) {
	m, err := s.meterCell(name, index)
	if err != nil {
		return nil, err
	}
	return m.config(), nil
}

// MeterCountsOf returns how many packets and bytes a meter cell marked in
// each colour.
func (s *Switch) MeterCountsOf(name string, index uint64) (MeterCounts, error) {
	m, err := s.meterCell(name, index)
	if err != nil {
		return MeterCounts{}, err
	}
	return m.colorCounts(), nil
}

func (s *Switch) register(name string) (*regArray, *RegisterInfo, error) {
	i, ok := s.prog.c.registerByName[name]
	if !ok {
		return nil, nil, fmt.Errorf("%w: register %q", ErrNotFound, name)
	}
	return s.st.regs[i], s.prog.registers[i], nil
}

// ReadRegister returns cell index of a register array, as nbytes(width)
// big-endian bytes.
func (s *Switch) ReadRegister(name string, index uint64) ([]byte, error) {
	var out []byte
	err := s.readRegisters(name, index, index, 1, func(_ uint64, v []byte) error {
		out = bytes.Clone(v)
		return nil
	})
	return out, err
}

// ReadRegisters returns every cell of a register array, read at one
// instant (bmv2's register_read_all).
func (s *Switch) ReadRegisters(name string) ([][]byte, error) {
	r, _, err := s.register(name)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, r.size)
	if r.size == 0 {
		return out, nil
	}
	err = s.readRegisters(name, 0, uint64(r.size-1), uint64(r.size), func(_ uint64, v []byte) error {
		out = append(out, bytes.Clone(v))
		return nil
	})
	return out, err
}

// registerChunk is how many cells ReadRegisterRange copies under the
// array's lock at a time.
const registerChunk = 1024

// ReadRegisterRange calls fn with cells first..last of a register array,
// in order, each as nbytes(width) big-endian bytes valid only during the
// call; an error from fn ends the read with it. The array is locked while
// a chunk of cells is copied, never while fn runs: a slow reader (a
// P4Runtime client on the other end of fn) does not hold up the packets
// that use the register, and the cells of different chunks may be read at
// different instants, as packets go on changing them.
func (s *Switch) ReadRegisterRange(name string, first, last uint64, fn func(index uint64, value []byte) error) error {
	return s.readRegisters(name, first, last, registerChunk, fn)
}

// readRegisters is ReadRegisterRange copying chunk cells under each lock.
func (s *Switch) readRegisters(name string, first, last, chunk uint64, fn func(index uint64, value []byte) error) error {
	r, info, err := s.register(name)
	if err != nil {
		return err
	}
	if last >= uint64(r.size) {
		return indexErr("register", name, last, r.size)
	}
	if first > last {
		return nil
	}
	n := nbytes(info.Bitwidth)
	buf := make([]byte, min(last-first+1, chunk)*uint64(n))
	for lo := first; lo <= last; lo += chunk {
		hi := min(lo+chunk-1, last)
		r.mu.Lock()
		for i := lo; i <= hi; i++ {
			r.putCell(buf[int(i-lo)*n:int(i-lo+1)*n], i)
		}
		r.mu.Unlock()
		for i := lo; i <= hi; i++ {
			if err := fn(i, buf[int(i-lo)*n:int(i-lo+1)*n]); err != nil {
				return err
			}
		}
		if hi == last {
			break // lo+chunk could wrap around
		}
	}
	return nil
}

// WriteRegister sets cell index; value is big-endian, of any length that
// fits the register's width.
func (s *Switch) WriteRegister(name string, index uint64, value []byte) error {
	r, info, err := s.register(name)
	if err != nil {
		return err
	}
	if index >= uint64(r.size) {
		return indexErr("register", name, index, r.size)
	}
	b, ok := fitBytes(value, info.Bitwidth)
	if !ok {
		return fmt.Errorf("%w: value %x does not fit register %q's %d bits", ErrInvalid, value, name, info.Bitwidth)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.setBig(index, new(big.Int).SetBytes(b))
	return nil
}

// ResetRegisters sets every cell of a register array to zero.
func (s *Switch) ResetRegisters(name string) error {
	r, _, err := s.register(name)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.u)
	for i := range r.w {
		r.w[i].SetInt64(0)
	}
	return nil
}
