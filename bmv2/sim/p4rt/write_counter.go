package p4rt

import (
	"bytes"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/info"
)

// writeCounter handles a CounterEntry update (spec section "CounterEntry").
// Only MODIFY is allowed by the spec; PI resets the cell (both counts) on
// DELETE, writes zeros for an unset data and refuses wildcard indexes
// (UNIMPLEMENTED). A write sets what the counter's unit counts and keeps
// the rest (counterWrite).
func (st *state) writeCounter(typ p4v1.Update_Type, e *p4v1.CounterEntry, j *journal) error {
	c := st.inf.Counter(e.GetCounterId())
	if c == nil {
		return errorf(ErrInvalid, "unknown counter id %d", e.GetCounterId())
	}
	what := "counter " + quote(c.Name)
	spec := st.dev.profile == ProfileSpec
	if e.GetIndex() == nil && !spec {
		return errorf(ErrUnimplemented, "%s: wildcard writes are not supported", what)
	}
	// The type before the index's range, which only the target knows in
	// PI (both refusals are INVALID_ARGUMENT for a negative index).
	if typ == p4v1.Update_INSERT {
		return errorf(ErrInvalid, "%s: INSERT is not allowed for counters (use MODIFY)", what)
	}
	first, last, err := st.cells(e.GetIndex(), c.Size, what)
	if err != nil {
		return err
	}
	data, whole := &p4v1.CounterData{}, false
	switch typ {
	case p4v1.Update_DELETE:
		if spec {
			return errorf(ErrInvalid, "%s: DELETE is not allowed for counters (use MODIFY)", what)
		}
		whole = true
	default:
		if e.GetData() == nil && spec {
			return nil // spec: an unset data leaves the value unchanged
		}
		if e.GetData() != nil {
			data = e.GetData()
		}
	}
	// The undo restores what the write changed: the cell read before it,
	// written back as the write was.
	return writeCells(j, first, last, data, what,
		func(i int64) (*p4v1.CounterData, error) { return st.prog.Counter(c, i) },
		func(i int64, d *p4v1.CounterData) error { return st.setCounter(c, i, d, whole) })
}

// writeCells writes v into cells first..last with set and journals the
// undo: each cell's old value, read with get, written back.
func writeCells[V any](j *journal, first, last int64, v V, what string, get func(int64) (V, error), set func(int64, V) error) error {
	var olds []V
	for i := first; i <= last; i++ {
		if j != nil {
			old, err := get(i)
			if err != nil {
				return targetErr(err, "%s[%d]: read", what, i)
			}
			olds = append(olds, old)
		}
		if err := set(i, v); err != nil {
			return targetErr(err, "%s[%d]: write", what, i)
		}
	}
	j.add(func() {
		for k, old := range olds {
			_ = set(first+int64(k), old)
		}
	})
	return nil
}

// directEntry resolves the table entry a DirectCounterEntry or
// DirectMeterEntry names (PI's entry_handle_from_table_entry).
func (st *state) directEntry(te *p4v1.TableEntry, kind string) (*tableState, EntryRef, error) {
	if te == nil {
		return nil, EntryRef{}, errorf(ErrInvalid, "%s without a table entry", kind)
	}
	t := st.inf.Table(te.GetTableId())
	if t == nil {
		return nil, EntryRef{}, errorf(ErrInvalid, "%s: unknown table id %d", kind, te.GetTableId())
	}
	ts := st.tables[t.ID]
	if te.GetIsDefaultAction() {
		if _, _, err := st.tableKey(t, te); err != nil {
			return nil, EntryRef{}, err
		}
		return ts, DefaultRef(t), nil
	}
	match, key, err := st.tableKey(t, te)
	if err != nil {
		return nil, EntryRef{}, err
	}
	h, _ := ts.lookup(key)
	if h == 0 {
		if st.dev.profile == ProfileSpec {
			return nil, EntryRef{}, errorf(ErrNotFound, "%s: table %q has no such entry", kind, t.Name)
		}
		return nil, EntryRef{}, errorf(ErrInvalid, "%s: table %q: cannot map the table entry to a handle", kind, t.Name)
	}
	return ts, EntryRef{h, &p4v1.TableEntry{TableId: t.ID, Match: match, Priority: te.GetPriority()}}, nil
}

// writeDirectCounter handles a DirectCounterEntry update (spec section
// "DirectCounterEntry").
func (st *state) writeDirectCounter(typ p4v1.Update_Type, e *p4v1.DirectCounterEntry, j *journal) error {
	ts, ref, err := st.directEntry(e.GetTableEntry(), "direct counter entry")
	if err != nil {
		return err
	}
	t := ts.t
	if t.DirectCounter == nil {
		return errorf(ErrInvalid, "table %q has no direct counter", t.Name)
	}
	spec := st.dev.profile == ProfileSpec
	data, whole := &p4v1.CounterData{}, false
	switch typ {
	case p4v1.Update_INSERT:
		return errorf(ErrInvalid, "table %q: INSERT is not allowed for direct counters (use MODIFY)", t.Name)
	case p4v1.Update_DELETE:
		if spec {
			return errorf(ErrInvalid, "table %q: DELETE is not allowed for direct counters (use MODIFY)", t.Name)
		}
		whole = true
	default:
		if e.GetData() == nil && spec {
			return nil
		}
		if e.GetData() != nil {
			data = e.GetData()
		}
	}
	var old *p4v1.CounterData
	if j != nil {
		if old, err = st.prog.DirectCounter(t.DirectCounter, ref); err != nil {
			return targetErr(err, "table %q: read direct counter", t.Name)
		}
	}
	if err := st.setDirectCounter(t.DirectCounter, ref, data, whole); err != nil {
		return targetErr(err, "table %q: write direct counter", t.Name)
	}
	j.add(func() { _ = st.prog.SetDirectCounter(t.DirectCounter, ref, old) })
	return nil
}

// writeMeter handles a MeterEntry update (spec section "MeterEntry").
func (st *state) writeMeter(typ p4v1.Update_Type, e *p4v1.MeterEntry, j *journal) error {
	m := st.inf.Meter(e.GetMeterId())
	if m == nil {
		return errorf(ErrInvalid, "unknown meter id %d", e.GetMeterId())
	}
	what := "meter " + quote(m.Name)
	spec := st.dev.profile == ProfileSpec
	if e.GetIndex() == nil && !spec {
		return errorf(ErrUnimplemented, "%s: wildcard writes are not supported", what)
	}
	switch typ { // before the index's range, as in PI
	case p4v1.Update_INSERT:
		return errorf(ErrInvalid, "%s: INSERT is not allowed for meters (use MODIFY)", what)
	case p4v1.Update_DELETE:
		return errorf(ErrInvalid, "%s: DELETE is not allowed for meters (use MODIFY)", what)
	}
	first, last, err := st.cells(e.GetIndex(), m.Size, what)
	if err != nil {
		return err
	}
	if e.GetCounterData() != nil && spec {
		return errorf(ErrUnimplemented, "%s: per-color meter counters are not supported", what)
	}
	var cfg *p4v1.MeterConfig
	if e.GetConfig() != nil {
		if err := st.checkMeterConfig(e.GetConfig(), m.Type, what); err != nil {
			return err
		}
		if !meterIsDefault(e.GetConfig()) {
			cfg = st.meterToStore(e.GetConfig())
		}
	}
	// bmv2 sets a meter's rates one by one and refuses a peak rate below
	// the committed one after setting both, before putting them in order
	// and before marking the meter configured (bm::Meter::set_rate,
	// set_rates): the write is UNKNOWN; a cell configured before reads
	// back with the (rate, burst) pairs swapped, one never configured (or
	// reset) stays so and reads back without a config.
	var refused error
	if st.dev.profile == ProfileBMv2 && cfg != nil && cfg.Cir > cfg.Pir {
		cfg.Cir, cfg.Cburst, cfg.Pir, cfg.Pburst = cfg.Pir, cfg.Pburst, cfg.Cir, cfg.Cburst
		refused = exactf(ErrUnknown, "Error when writing meter spec")
	}
	olds := map[int64]*p4v1.MeterConfig{}
	for i := first; i <= last; i++ {
		if refused != nil && st.meterCfg[meterCell{m.ID, i}] == nil {
			continue
		}
		if err := st.prog.SetMeter(m, i, cfg); err != nil {
			return targetErr(err, "%s[%d]", what, i)
		}
		k := meterCell{m.ID, i}
		if j != nil {
			olds[i] = st.meterCfg[k]
		}
		if cfg == nil {
			delete(st.meterCfg, k)
		} else {
			st.meterCfg[k] = cfg
		}
	}
	j.add(func() {
		for i, old := range olds {
			_ = st.prog.SetMeter(m, i, old)
			if old == nil {
				delete(st.meterCfg, meterCell{m.ID, i})
			} else {
				st.meterCfg[meterCell{m.ID, i}] = old
			}
		}
	})
	return refused
}

// writeDirectMeter handles a DirectMeterEntry update (spec section
// "DirectMeterEntry"): MODIFY only; an unset config restores the default.
func (st *state) writeDirectMeter(typ p4v1.Update_Type, e *p4v1.DirectMeterEntry, j *journal) error {
	ts, ref, err := st.directEntry(e.GetTableEntry(), "direct meter entry")
	if err != nil {
		return err
	}
	t := ts.t
	if t.DirectMeter == nil {
		return errorf(ErrInvalid, "table %q has no direct meter", t.Name)
	}
	switch typ {
	case p4v1.Update_INSERT:
		return errorf(ErrInvalid, "table %q: INSERT is not allowed for direct meters (use MODIFY)", t.Name)
	case p4v1.Update_DELETE:
		return errorf(ErrInvalid, "table %q: DELETE is not allowed for direct meters (use MODIFY)", t.Name)
	}
	if e.GetCounterData() != nil && st.dev.profile == ProfileSpec {
		return errorf(ErrUnimplemented, "table %q: per-color meter counters are not supported", t.Name)
	}
	var cfg *p4v1.MeterConfig
	if e.GetConfig() != nil {
		if err := st.checkMeterConfig(e.GetConfig(), t.DirectMeter.Type, "table "+quote(t.Name)+" direct meter"); err != nil {
			return err
		}
		if !meterIsDefault(e.GetConfig()) {
			cfg = st.meterToStore(e.GetConfig())
		}
	}
	h := ref.Handle
	var ent *p4v1.TableEntry
	var old *p4v1.MeterConfig
	if h == DefaultHandle {
		old = ts.def.meter
	} else {
		if ent, err = ts.slots[h-1].entry(); err != nil {
			return err
		}
		old = ent.MeterConfig
	}
	// As a meter's (writeMeter): bmv2 refuses a peak rate below the
	// committed one, and the entry's meter reads back swapped if it was
	// configured, else without a config.
	var refused error
	if st.dev.profile == ProfileBMv2 && cfg != nil && cfg.Cir > cfg.Pir {
		refused = exactf(ErrUnknown, "Error when writing direct meter spec")
		if old == nil {
			return refused
		}
		cfg.Cir, cfg.Cburst, cfg.Pir, cfg.Pburst = cfg.Pir, cfg.Pburst, cfg.Cir, cfg.Cburst
	}
	if err := st.prog.SetDirectMeter(t.DirectMeter, ref, cfg); err != nil {
		return targetErr(err, "table %q: direct meter", t.Name)
	}
	if h == DefaultHandle {
		ts.def.meter = cfg
		j.add(func() {
			_ = st.prog.SetDirectMeter(t.DirectMeter, ref, old)
			ts.def.meter = old
		})
		return refused
	}
	s := &ts.slots[h-1]
	oldData := s.data
	ent.MeterConfig = cfg
	s.data = marshalEntry(ent)
	j.add(func() {
		_ = st.prog.SetDirectMeter(t.DirectMeter, ref, old)
		ts.slots[h-1].data = oldData
	})
	return refused
}

// writeRegister handles a RegisterEntry update (spec section
// "RegisterEntry"); profile bmv2 answers UNIMPLEMENTED, as PI does (PI
// issue 376).
func (st *state) writeRegister(typ p4v1.Update_Type, e *p4v1.RegisterEntry, j *journal) error {
	if st.dev.profile != ProfileSpec {
		return errorf(ErrUnimplemented, "register writes are not supported")
	}
	r := st.inf.Register(e.GetRegisterId())
	if r == nil {
		return errorf(ErrInvalid, "unknown register id %d", e.GetRegisterId())
	}
	what := "register " + quote(r.Name)
	if typ != p4v1.Update_MODIFY {
		return errorf(ErrInvalid, "%s: only MODIFY is allowed for registers", what)
	}
	first, last, err := st.cells(e.GetIndex(), int64(r.Size), what)
	if err != nil {
		return err
	}
	v, err := st.registerValue(r, e.GetData(), what)
	if err != nil {
		return err
	}
	return writeCells(j, first, last, v, what,
		func(i int64) ([]byte, error) { return st.register(r, i) },
		func(i int64, b []byte) error { return st.prog.SetRegister(r, i, b) })
}

// register reads one register cell.
func (st *state) register(r *info.Register, i int64) (v []byte, err error) {
	err = st.prog.Registers(r, i, i, func(_ int64, b []byte) error {
		v = bytes.Clone(b)
		return nil
	})
	return v, err
}

// registerValue checks the P4Data of a register write: a bitstring of the
// register's width (spec: INVALID_ARGUMENT otherwise).
func (st *state) registerValue(r *info.Register, d *p4v1.P4Data, what string) ([]byte, error) {
	bs, ok := d.GetData().(*p4v1.P4Data_Bitstring)
	if !ok {
		return nil, errorf(ErrInvalid, "%s: data must be a bitstring", what)
	}
	if r.Width == 0 {
		return nil, errorf(ErrUnimplemented, "%s: only bitstring registers are supported", what)
	}
	return st.value(&info.Value{Width: r.Width}, bs.Bitstring, what)
}

// writeValueSet handles a ValueSetEntry update (spec section
// "ValueSetEntry"); profile bmv2 answers UNIMPLEMENTED, as PI does.
func (st *state) writeValueSet(typ p4v1.Update_Type, e *p4v1.ValueSetEntry, j *journal) error {
	if st.dev.profile != ProfileSpec {
		return errorf(ErrUnimplemented, "value set writes are not supported")
	}
	vs := st.inf.ValueSet(e.GetValueSetId())
	if vs == nil {
		return errorf(ErrInvalid, "unknown value set id %d", e.GetValueSetId())
	}
	what := "value set " + quote(vs.Name)
	if typ != p4v1.Update_MODIFY {
		return errorf(ErrInvalid, "%s: only MODIFY is allowed for value sets", what)
	}
	if vs.Size > 0 && len(e.GetMembers()) > int(vs.Size) {
		return errorf(ErrExhausted, "%s: %d members, the size is %d", what, len(e.GetMembers()), vs.Size)
	}
	seen := map[string]bool{}
	members := make([]*p4v1.ValueSetMember, 0, len(e.GetMembers()))
	for i, m := range e.GetMembers() {
		match, key, err := st.checkMatch(matchSet{name: what + " member " + itoa(i), fields: vs.Fields}, m.GetMatch(), true)
		if err != nil {
			return err
		}
		if seen[string(key)] {
			return errorf(ErrAlreadyExists, "%s: member %d is a duplicate", what, i)
		}
		seen[string(key)] = true
		members = append(members, &p4v1.ValueSetMember{Match: match})
	}
	if err := st.prog.SetValueSet(vs, members); err != nil {
		return targetErr(err, "%s", what)
	}
	old, had := st.vsets[vs.ID]
	if len(members) == 0 {
		delete(st.vsets, vs.ID)
	} else {
		st.vsets[vs.ID] = members
	}
	j.add(func() {
		_ = st.prog.SetValueSet(vs, old)
		if had {
			st.vsets[vs.ID] = old
		} else {
			delete(st.vsets, vs.ID)
		}
	})
	return nil
}

// meterToStore is the meter configuration as it reads back: PI's meter
// spec has no eburst, so profile bmv2 drops it.
func (st *state) meterToStore(cfg *p4v1.MeterConfig) *p4v1.MeterConfig {
	c := proto.Clone(cfg).(*p4v1.MeterConfig)
	if st.dev.profile != ProfileSpec {
		c.Eburst = 0
	}
	return c
}
