package p4rt

import (
	"sync"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/info"
)

// MemoryTarget is a Target without a data plane: its programs keep counter
// and register values in memory so that they read back what was written,
// and forward no packets (a packet-out is dropped). It serves devices that
// only need the control plane, and tests of the P4Runtime layer.
type MemoryTarget struct {
	mu     sync.Mutex
	active *MemoryProgram
}

// NewMemoryTarget returns a MemoryTarget.
func NewMemoryTarget() *MemoryTarget { return &MemoryTarget{} }

// Prepare returns an empty MemoryProgram for p.
func (m *MemoryTarget) Prepare(p *Pipeline) (Program, error) {
	return &MemoryProgram{
		target:   m,
		pipe:     p,
		direct:   map[uint32]map[Handle]*p4v1.CounterData{},
		counters: map[uint32]map[int64]*p4v1.CounterData{},
		regs:     map[uint32]map[int64][]byte{},
	}, nil
}

// Active returns the program that forwards, or nil.
func (m *MemoryTarget) Active() *MemoryProgram {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.active
}

// MemoryProgram is a program of a MemoryTarget. Its Events (after
// Activate) let a test play the data plane: Emit sends a frame to the CPU
// port, and so on.
type MemoryProgram struct {
	target *MemoryTarget
	pipe   *Pipeline

	mu       sync.Mutex
	events   Events
	closed   bool
	direct   map[uint32]map[Handle]*p4v1.CounterData
	counters map[uint32]map[int64]*p4v1.CounterData
	regs     map[uint32]map[int64][]byte
	out      [][]byte
}

var _ Program = (*MemoryProgram)(nil)

// Activate records the event sink and makes the program the target's
// active one.
func (p *MemoryProgram) Activate(ev Events) error {
	p.mu.Lock()
	p.events = ev
	p.mu.Unlock()
	p.target.mu.Lock()
	p.target.active = p
	p.target.mu.Unlock()
	return nil
}

// Close releases the program.
func (p *MemoryProgram) Close() error {
	p.mu.Lock()
	p.closed = true
	p.events = nil
	p.mu.Unlock()
	p.target.mu.Lock()
	if p.target.active == p {
		p.target.active = nil
	}
	p.target.mu.Unlock()
	return nil
}

// Events returns the sink given to Activate (nil before).
func (p *MemoryProgram) Events() Events {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.events
}

// PacketOuts returns and forgets the frames injected on the CPU port.
func (p *MemoryProgram) PacketOuts() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.out
	p.out = nil
	return out
}

// InsertEntry starts the entry's direct counter at zero.
func (p *MemoryProgram) InsertEntry(t *info.Table, ref EntryRef) error {
	if t.DirectCounter != nil {
		p.mu.Lock()
		p.cell(t.DirectCounter.ID)[ref.Handle] = &p4v1.CounterData{}
		p.mu.Unlock()
	}
	return nil
}

// ModifyEntry has nothing to change without forwarding.
func (p *MemoryProgram) ModifyEntry(*info.Table, EntryRef) error { return nil }

// DeleteEntry forgets the entry's direct counter.
func (p *MemoryProgram) DeleteEntry(t *info.Table, ref EntryRef) error {
	if t.DirectCounter != nil {
		p.mu.Lock()
		delete(p.cell(t.DirectCounter.ID), ref.Handle)
		p.mu.Unlock()
	}
	return nil
}

// SetDefaultAction has nothing to change without forwarding.
func (p *MemoryProgram) SetDefaultAction(*info.Table, *p4v1.Action) error { return nil }

// SetMember has nothing to change without forwarding.
func (p *MemoryProgram) SetMember(*info.ActionProfile, uint32, *p4v1.Action) error { return nil }

// DeleteMember has nothing to change without forwarding.
func (p *MemoryProgram) DeleteMember(*info.ActionProfile, uint32) error { return nil }

// SetGroup has nothing to change without forwarding.
func (p *MemoryProgram) SetGroup(*info.ActionProfile, *p4v1.ActionProfileGroup) error { return nil }

// DeleteGroup has nothing to change without forwarding.
func (p *MemoryProgram) DeleteGroup(*info.ActionProfile, uint32) error { return nil }

func (p *MemoryProgram) cell(id uint32) map[Handle]*p4v1.CounterData {
	m := p.direct[id]
	if m == nil {
		m = map[Handle]*p4v1.CounterData{}
		p.direct[id] = m
	}
	return m
}

// DirectCounter reads a direct counter cell.
func (p *MemoryProgram) DirectCounter(c *info.DirectCounter, ref EntryRef) (*p4v1.CounterData, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if d := p.direct[c.ID][ref.Handle]; d != nil {
		return proto.Clone(d).(*p4v1.CounterData), nil
	}
	return &p4v1.CounterData{}, nil
}

// SetDirectCounter writes a direct counter cell.
func (p *MemoryProgram) SetDirectCounter(c *info.DirectCounter, ref EntryRef, d *p4v1.CounterData) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cell(c.ID)[ref.Handle] = proto.Clone(d).(*p4v1.CounterData)
	return nil
}

// AddDirectCounter adds to a direct counter cell, as a packet would.
func (p *MemoryProgram) AddDirectCounter(c *info.DirectCounter, h Handle, bytes, packets int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.cell(c.ID)[h]
	if d == nil {
		d = &p4v1.CounterData{}
		p.cell(c.ID)[h] = d
	}
	d.ByteCount += bytes
	d.PacketCount += packets
}

// SetDirectMeter has nothing to configure without forwarding.
func (p *MemoryProgram) SetDirectMeter(*info.DirectMeter, EntryRef, *p4v1.MeterConfig) error {
	return nil
}

// Counter reads an indirect counter cell.
func (p *MemoryProgram) Counter(c *info.Counter, index int64) (*p4v1.CounterData, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if d := p.counters[c.ID][index]; d != nil {
		return proto.Clone(d).(*p4v1.CounterData), nil
	}
	return &p4v1.CounterData{}, nil
}

// SetCounter writes an indirect counter cell.
func (p *MemoryProgram) SetCounter(c *info.Counter, index int64, d *p4v1.CounterData) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.counters[c.ID]
	if m == nil {
		m = map[int64]*p4v1.CounterData{}
		p.counters[c.ID] = m
	}
	if d.GetByteCount() == 0 && d.GetPacketCount() == 0 {
		delete(m, index)
		return nil
	}
	m[index] = proto.Clone(d).(*p4v1.CounterData)
	return nil
}

// SetMeter has nothing to configure without forwarding.
func (p *MemoryProgram) SetMeter(*info.Meter, int64, *p4v1.MeterConfig) error { return nil }

// Registers reads register cells (zero when never written). A stored value
// is replaced, never changed in place, so it can be read unlocked.
func (p *MemoryProgram) Registers(r *info.Register, first, last int64, fn func(int64, []byte) error) error {
	for i := first; i <= last; i++ {
		p.mu.Lock()
		v, ok := p.regs[r.ID][i]
		p.mu.Unlock()
		if !ok {
			v = []byte{0}
		}
		if err := fn(i, v); err != nil {
			return err
		}
	}
	return nil
}

// SetRegister writes a register cell.
func (p *MemoryProgram) SetRegister(r *info.Register, index int64, v []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.regs[r.ID]
	if m == nil {
		m = map[int64][]byte{}
		p.regs[r.ID] = m
	}
	m[index] = append([]byte(nil), v...)
	return nil
}

// SetMulticastGroup has nothing to program without forwarding.
func (p *MemoryProgram) SetMulticastGroup(uint32, []*p4v1.Replica) error { return nil }

// DeleteMulticastGroup has nothing to program without forwarding.
func (p *MemoryProgram) DeleteMulticastGroup(uint32) error { return nil }

// SetCloneSession has nothing to program without forwarding.
func (p *MemoryProgram) SetCloneSession(*p4v1.CloneSessionEntry) error { return nil }

// DeleteCloneSession has nothing to program without forwarding.
func (p *MemoryProgram) DeleteCloneSession(uint32) error { return nil }

// SetValueSet has nothing to program without forwarding.
func (p *MemoryProgram) SetValueSet(*info.ValueSet, []*p4v1.ValueSetMember) error { return nil }

// EnableDigest has nothing to program without forwarding.
func (p *MemoryProgram) EnableDigest(*info.Digest, bool) error { return nil }

// maxKeptPacketOuts bounds the frames a MemoryProgram keeps for PacketOuts.
const maxKeptPacketOuts = 1024

// PacketOut records the frame (see PacketOuts, which keeps the latest
// 1024); nothing forwards it.
func (p *MemoryProgram) PacketOut(frame []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errorf(ErrUnavailable, "program closed")
	}
	if len(p.out) >= maxKeptPacketOuts {
		p.out = p.out[1:]
	}
	p.out = append(p.out, append([]byte(nil), frame...))
	return nil
}
