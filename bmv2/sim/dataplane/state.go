package dataplane

import (
	"math/big"
	"sort"
	"sync"
	"sync/atomic"
)

// state is the runtime state of one switch: everything the control plane
// writes and packets read or update.
type state struct {
	c        *compiled
	opts     Options
	tables   []*tableState
	aps      []*apState
	counters []*counterArray
	meters   []*meterArray
	regs     []*regArray
	vsets    []*vsetState
	pre      preState
	ports    portState
}

func newState(c *compiled, opts Options) *state {
	st := &state{c: c, opts: opts}
	for _, t := range c.tables {
		st.tables = append(st.tables, newTableState(t))
	}
	for _, ap := range c.aps {
		st.aps = append(st.aps, &apState{c: ap, members: map[uint32]*apMember{}, groups: map[uint32]*apGroup{}})
	}
	st.counters = make([]*counterArray, len(c.counterByName))
	for _, ci := range c.prog.counters {
		if ci.index >= 0 {
			st.counters[ci.index] = &counterArray{cells: make([]counterCell, max(ci.Size, 0))}
		}
	}
	for _, mi := range c.prog.meters {
		ma := &meterArray{unit: mi.Unit}
		if !mi.Direct {
			ma.cells = make([]meterCell, max(mi.Size, 0))
		}
		st.meters = append(st.meters, ma)
	}
	for _, ri := range c.prog.registers {
		st.regs = append(st.regs, newRegArray(ri))
	}
	for _, vi := range c.prog.valueSets {
		st.vsets = append(st.vsets, &vsetState{info: vi, members: map[string][][]byte{}})
	}
	st.pre.groups = map[uint32][]Replica{}
	st.pre.sessions = map[uint32]CloneSession{}
	return st
}

// counterCell is a packets-and-bytes counter.
type counterCell struct {
	bytes, packets atomic.Uint64
}

func (c *counterCell) add(n uint64) {
	c.bytes.Add(n)
	c.packets.Add(1)
}

func (c *counterCell) get() CounterValue {
	return CounterValue{Bytes: c.bytes.Load(), Packets: c.packets.Load()}
}

func (c *counterCell) set(v CounterValue) {
	c.bytes.Store(v.Bytes)
	c.packets.Store(v.Packets)
}

// counterArray is an indirect counter array.
type counterArray struct {
	cells []counterCell
}

// add counts a packet of n bytes at index i (out of range: nothing, as
// bmv2's count primitive).
func (a *counterArray) add(i, n uint64) {
	if i < uint64(len(a.cells)) {
		a.cells[i].add(n)
	}
}

// regArray is a register array; mu is held by actions (and parser
// states, conditionals) that use it, for their whole run, as bmv2's
// RegisterSync does, and by control-plane accesses.
type regArray struct {
	mu    sync.Mutex
	size  int
	width int
	u     []uint64
	w     []big.Int
}

func newRegArray(ri *RegisterInfo) *regArray {
	r := &regArray{size: max(ri.Size, 0), width: ri.Bitwidth}
	if ri.Bitwidth > 64 {
		r.w = make([]big.Int, r.size)
	} else {
		r.u = make([]uint64, r.size)
	}
	return r
}

// getU reads cell i modulo 2^64 (0 when out of range).
func (r *regArray) getU(i uint64, ok bool) uint64 {
	if !ok || i >= uint64(r.size) {
		return 0
	}
	if r.w != nil {
		return lowU64(&r.w[i])
	}
	return r.u[i]
}

// getBig reads cell i exactly (0 when out of range).
func (r *regArray) getBig(i uint64, ok bool) *big.Int {
	if !ok || i >= uint64(r.size) {
		return new(big.Int)
	}
	if r.w != nil {
		return new(big.Int).Set(&r.w[i])
	}
	return new(big.Int).SetUint64(r.u[i])
}

// putCell writes cell i (in range) into b, big-endian, truncated to
// len(b) bytes.
func (r *regArray) putCell(b []byte, i uint64) {
	if r.w != nil {
		putBig(b, &r.w[i])
		return
	}
	putU64(b, r.u[i])
}

// setU stores v modulo 2^width into cell i of a register of at most 64
// bits (out of range: nothing, as bmv2's register_write).
func (r *regArray) setU(i, v uint64) {
	if i >= uint64(r.size) {
		return
	}
	if r.w != nil {
		r.w[i].SetUint64(v)
		return
	}
	r.u[i] = v & maskU(r.width)
}

// setBig stores v truncated to the width into cell i.
func (r *regArray) setBig(i uint64, v *big.Int) {
	if i >= uint64(r.size) {
		return
	}
	t := truncBig(new(big.Int).Set(v), r.width, false)
	if r.w != nil {
		r.w[i].Set(t)
		return
	}
	r.u[i] = lowU64(t)
}

// vsetState holds the members of a parser value set: each member is the
// concatenation of its fields, each padded to its byte width.
type vsetState struct {
	mu      sync.RWMutex
	info    *ValueSetInfo
	members map[string][][]byte
}

// contains tests a select key against the set, applying the case's mask
// to both when there is one.
func (v *vsetState) contains(key, mask []byte, scratch *[]byte) bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if mask == nil {
		_, ok := v.members[string(key)]
		return ok
	}
	mk := (*scratch)[:0]
	for i, b := range key {
		mk = append(mk, b&mask[i])
	}
	*scratch = mk
	for m := range v.members {
		if len(m) != len(mk) {
			continue
		}
		eq := true
		for i := range mk {
			if m[i]&mask[i] != mk[i] {
				eq = false
				break
			}
		}
		if eq {
			return true
		}
	}
	return false
}

// preState is the packet replication engine: multicast groups and clone
// sessions.
type preState struct {
	mu       sync.RWMutex
	groups   map[uint32][]Replica
	sessions map[uint32]CloneSession
}

// sortReplicas orders replicas as bmv2's PRE emits them when PI programs
// it: by instance (one L1 node per rid), then by port.
func sortReplicas(r []Replica) {
	sort.Slice(r, func(i, j int) bool {
		if r[i].Instance != r[j].Instance {
			return r[i].Instance < r[j].Instance
		}
		return r[i].Port < r[j].Port
	})
}

// portState records ports whose operational status is down (for action
// selector watch ports).
type portState struct {
	mu   sync.RWMutex
	down map[uint32]bool
}

func (ps *portState) isDown(port uint32) bool {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	return ps.down[port]
}
