package dataplane

import (
	"fmt"
	"sort"
	"time"
)

// EntryState is an installed entry with its direct resources.
type EntryState struct {
	Entry
	// Counter is the direct counter (zero when the table has none).
	Counter CounterValue
	// Meter is the direct meter configuration (nil when unconfigured or
	// the table has no direct meter); MeterCounts counts colours.
	Meter       *MeterConfig
	MeterCounts MeterCounts
	// LastHit is when a packet last hit the entry, or when it was
	// inserted (for P4Runtime idle timeouts).
	LastHit time.Time
}

func (s *Switch) table(name string) (*tableC, *tableState, error) {
	i, ok := s.prog.c.tableByName[name]
	if !ok {
		return nil, nil, fmt.Errorf("%w: table %q", ErrNotFound, name)
	}
	return s.prog.c.tables[i], s.st.tables[i], nil
}

// entriesTable returns a table whose entries are to be written: ErrConst
// when the program fixes them.
func (s *Switch) entriesTable(name string) (*tableC, *tableState, error) {
	t, ts, err := s.table(name)
	if err != nil {
		return nil, nil, err
	}
	if t.info.Const {
		return nil, nil, fmt.Errorf("%w: table %q has const entries", ErrConst, name)
	}
	return t, ts, nil
}

// defaultTable returns a table whose default entry is to be written:
// ErrConst when the program fixes it.
func (s *Switch) defaultTable(name string) (*tableC, *tableState, error) {
	t, ts, err := s.table(name)
	if err != nil {
		return nil, nil, err
	}
	if t.info.DefaultEntryConst {
		return nil, nil, fmt.Errorf("%w: table %q has a const default entry", ErrConst, name)
	}
	return t, ts, nil
}

// replaceDefault makes b the action a miss runs and moves the member or
// group references from the old default to b.
func (s *Switch) replaceDefault(t *tableC, ts *tableState, b *binding) {
	ts.mu.Lock()
	old := ts.def
	ts.def = b
	ts.mu.Unlock()
	if b != nil {
		s.ref(t, *b, 1)
	}
	if old != nil {
		s.ref(t, *old, -1)
	}
}

// withEntry runs fn on the entry with that match and priority under the
// table's read lock. A non-empty resource names a direct resource the
// table must have (has reports whether it does).
func (s *Switch) withEntry(table string, match []FieldMatch, priority int32, resource string, has func(*tableC) bool, fn func(*tableC, *entryState) error) error {
	t, ts, err := s.table(table)
	if err != nil {
		return err
	}
	if resource != "" && !has(t) {
		return fmt.Errorf("%w: table %q has no %s", ErrInvalid, table, resource)
	}
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	es, err := s.find(t, ts, match, priority)
	if err != nil {
		return err
	}
	return fn(t, es)
}

func hasDirectCounter(t *tableC) bool { return t.info.DirectCounter != nil }

func hasDirectMeter(t *tableC) bool { return t.info.DirectMeter != nil }

// bind turns an Action into a binding for table t, checking it.
func (s *Switch) bind(t *tableC, a Action) (binding, error) {
	switch a.Kind {
	case KindAction:
		if t.ap >= 0 {
			return binding{}, fmt.Errorf("%w: table %q uses action profile %q: its entries refer to members or groups", ErrInvalid, t.info.Name, t.info.ActionProfile.Name)
		}
		info := t.info.Action(a.Call.Name)
		if info == nil {
			return binding{}, fmt.Errorf("%w: table %q has no action %q", ErrInvalid, t.info.Name, a.Call.Name)
		}
		ad, err := makeActionData(info, a.Call.Params)
		if err != nil {
			return binding{}, err
		}
		return binding{kind: KindAction, act: s.prog.c.actions[info.index], ad: ad}, nil
	case KindMember, KindGroup:
		if t.ap < 0 {
			return binding{}, fmt.Errorf("%w: table %q has no action profile; its entries call actions", ErrInvalid, t.info.Name)
		}
		aps := s.st.aps[t.ap]
		aps.mu.RLock()
		defer aps.mu.RUnlock()
		if a.Kind == KindMember {
			if aps.members[a.ID] == nil {
				return binding{}, fmt.Errorf("%w: member %d of action profile %q", ErrNotFound, a.ID, aps.c.info.Name)
			}
		} else {
			if !aps.c.info.Selector {
				return binding{}, fmt.Errorf("%w: action profile %q has no selector, so no groups", ErrInvalid, aps.c.info.Name)
			}
			if aps.groups[a.ID] == nil {
				return binding{}, fmt.Errorf("%w: group %d of action profile %q", ErrNotFound, a.ID, aps.c.info.Name)
			}
		}
		return binding{kind: a.Kind, id: a.ID}, nil
	}
	return binding{}, fmt.Errorf("%w: action kind %d", ErrInvalid, a.Kind)
}

// ref adjusts the reference count of a member or group binding.
func (s *Switch) ref(t *tableC, b binding, delta int) {
	if b.kind == KindAction || t.ap < 0 {
		return
	}
	aps := s.st.aps[t.ap]
	aps.mu.Lock()
	defer aps.mu.Unlock()
	if b.kind == KindMember {
		if m := aps.members[b.id]; m != nil {
			m.refs += delta
		}
	} else if g := aps.groups[b.id]; g != nil {
		g.refs += delta
	}
}

// actionOf turns a binding back into an Action.
func actionOf(b *binding) Action {
	if b.kind != KindAction {
		return Action{Kind: b.kind, ID: b.id}
	}
	params := make([][]byte, len(b.ad.raw))
	for i, r := range b.ad.raw {
		params[i] = append([]byte(nil), r...)
	}
	return Action{Kind: KindAction, Call: ActionCall{Name: b.act.info.Name, Params: params}}
}

// AddEntry inserts an entry (P4Runtime INSERT). It fails with ErrExists
// when an entry with the same match (and priority) is installed, ErrFull
// when the table is full, ErrConst for a table with const entries.
func (s *Switch) AddEntry(table string, e Entry) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	t, ts, err := s.entriesTable(table)
	if err != nil {
		return err
	}
	if len(t.keys) == 0 {
		return fmt.Errorf("%w: table %q has no key, so no entries", ErrInvalid, table)
	}
	es, err := t.canon(&e)
	if err != nil {
		return err
	}
	b, err := s.bind(t, e.Action)
	if err != nil {
		return err
	}
	es.bind = b
	es.spec.Action = actionOf(&b)
	es.spec.Cookie = e.Cookie
	ts.mu.Lock()
	if _, dup := ts.byID[es.id]; dup {
		ts.mu.Unlock()
		return fmt.Errorf("%w: an entry with this match and priority is in table %q", ErrExists, table)
	}
	if t.info.MaxSize > 0 && len(ts.byID) >= t.info.MaxSize {
		ts.mu.Unlock()
		return fmt.Errorf("%w: table %q holds its %d entries", ErrFull, table, t.info.MaxSize)
	}
	s.initDirect(t, es)
	ts.insert(es)
	ts.mu.Unlock()
	s.ref(t, b, 1)
	return nil
}

// find locates an installed entry by match and priority.
func (s *Switch) find(t *tableC, ts *tableState, match []FieldMatch, priority int32) (*entryState, error) {
	probe, err := t.canon(&Entry{Match: match, Priority: priority})
	if err != nil {
		return nil, err
	}
	e := ts.byID[probe.id]
	if e == nil {
		return nil, fmt.Errorf("%w: no such entry in table %q", ErrNotFound, t.info.Name)
	}
	return e, nil
}

// ModifyEntry changes the action of the entry with e's match and priority
// (P4Runtime MODIFY); its direct counter, meter and Cookie are kept.
func (s *Switch) ModifyEntry(table string, e Entry) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	t, ts, err := s.entriesTable(table)
	if err != nil {
		return err
	}
	b, err := s.bind(t, e.Action)
	if err != nil {
		return err
	}
	ts.mu.Lock()
	es, err := s.find(t, ts, e.Match, e.Priority)
	if err != nil {
		ts.mu.Unlock()
		return err
	}
	old := es.bind
	es.bind = b
	es.spec.Action = actionOf(&b)
	ts.mu.Unlock()
	s.ref(t, b, 1)
	s.ref(t, old, -1)
	return nil
}

// DeleteEntry removes the entry with that match and priority (P4Runtime
// DELETE).
func (s *Switch) DeleteEntry(table string, match []FieldMatch, priority int32) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	t, ts, err := s.entriesTable(table)
	if err != nil {
		return err
	}
	ts.mu.Lock()
	es, err := s.find(t, ts, match, priority)
	if err != nil {
		ts.mu.Unlock()
		return err
	}
	ts.remove(es)
	ts.mu.Unlock()
	s.ref(t, es.bind, -1)
	return nil
}

// ClearTable deletes every entry of a table (not const ones) and resets
// its default action to the program's.
func (s *Switch) ClearTable(table string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	t, ts, err := s.entriesTable(table)
	if err != nil {
		return err
	}
	ts.mu.Lock()
	var gone []binding
	for _, es := range ts.byID {
		gone = append(gone, es.bind)
	}
	fresh := newTableState(t)
	ts.byID, ts.exact, ts.groups, ts.order, ts.ranges = fresh.byID, fresh.exact, fresh.groups, fresh.order, fresh.ranges
	if ts.def != nil {
		gone = append(gone, *ts.def)
	}
	ts.def = t.defaultBind
	ts.mu.Unlock()
	for _, b := range gone {
		s.ref(t, b, -1)
	}
	return nil
}

func (s *Switch) entryState(t *tableC, es *entryState) EntryState {
	out := EntryState{Entry: cloneEntry(es.spec), Counter: es.ctr.get()}
	if es.meter != nil {
		out.Meter = es.meter.config()
		out.MeterCounts = es.meter.colorCounts()
	}
	out.LastHit = s.start.Add(time.Duration(es.lastHit.Load()) * time.Microsecond)
	return out
}

func cloneEntry(e Entry) Entry {
	out := Entry{Priority: e.Priority, Action: e.Action, Cookie: e.Cookie, Match: make([]FieldMatch, len(e.Match))}
	for i, m := range e.Match {
		out.Match[i] = FieldMatch{Value: clip(m.Value), Mask: clip(m.Mask), PrefixLen: m.PrefixLen, High: clip(m.High), Wildcard: m.Wildcard}
	}
	if e.Action.Kind == KindAction {
		out.Action.Call.Params = make([][]byte, len(e.Action.Call.Params))
		for i, p := range e.Action.Call.Params {
			out.Action.Call.Params[i] = clip(p)
		}
	}
	return out
}

func clip(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// Entries returns the installed entries of a table (const ones
// included), in insertion order.
func (s *Switch) Entries(table string) ([]EntryState, error) {
	t, ts, err := s.table(table)
	if err != nil {
		return nil, err
	}
	ts.mu.RLock()
	list := make([]*entryState, 0, len(ts.byID))
	for _, es := range ts.byID {
		list = append(list, es)
	}
	ts.mu.RUnlock()
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	out := make([]EntryState, len(list))
	for i, es := range list {
		ts.mu.RLock()
		out[i] = s.entryState(t, es)
		ts.mu.RUnlock()
	}
	return out, nil
}

// GetEntry returns the entry with that match and priority.
func (s *Switch) GetEntry(table string, match []FieldMatch, priority int32) (EntryState, error) {
	var out EntryState
	err := s.withEntry(table, match, priority, "", nil, func(t *tableC, es *entryState) error {
		out = s.entryState(t, es)
		return nil
	})
	return out, err
}

// SetDefaultAction sets the action a miss runs (P4Runtime MODIFY of the
// default entry). It fails with ErrConst when the program fixes the
// default entry, or fixes the action and a changes it.
func (s *Switch) SetDefaultAction(table string, a Action) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	t, ts, err := s.defaultTable(table)
	if err != nil {
		return err
	}
	if t.info.DefaultActionConst && (a.Kind != KindAction || a.Call.Name != t.info.DefaultAction.Name) {
		return fmt.Errorf("%w: table %q has the const default action %q", ErrConst, table, t.info.DefaultAction.Name)
	}
	b, err := s.bind(t, a)
	if err != nil {
		return err
	}
	s.replaceDefault(t, ts, &b)
	return nil
}

// ResetDefaultAction restores the program's default entry.
func (s *Switch) ResetDefaultAction(table string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	t, ts, err := s.defaultTable(table)
	if err != nil {
		return err
	}
	s.replaceDefault(t, ts, t.defaultBind)
	return nil
}

// DefaultAction returns the action a miss runs, or nil when there is none
// (a table with an action profile and no default set: a miss runs
// nothing).
func (s *Switch) DefaultAction(table string) (*Action, error) {
	_, ts, err := s.table(table)
	if err != nil {
		return nil, err
	}
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	if ts.def == nil {
		return nil, nil
	}
	a := actionOf(ts.def)
	return &a, nil
}

// DirectCounter reads the direct counter of an entry.
func (s *Switch) DirectCounter(table string, match []FieldMatch, priority int32) (CounterValue, error) {
	var v CounterValue
	err := s.withEntry(table, match, priority, "direct counter", hasDirectCounter, func(_ *tableC, es *entryState) error {
		v = es.ctr.get()
		return nil
	})
	return v, err
}

// WriteDirectCounter sets the direct counter of an entry.
func (s *Switch) WriteDirectCounter(table string, match []FieldMatch, priority int32, v CounterValue) error {
	return s.withEntry(table, match, priority, "direct counter", hasDirectCounter, func(_ *tableC, es *entryState) error {
		es.ctr.set(v)
		return nil
	})
}

// SetDirectMeter configures (cfg nil: resets to unconfigured, all green)
// the direct meter of an entry.
func (s *Switch) SetDirectMeter(table string, match []FieldMatch, priority int32, cfg *MeterConfig) error {
	return s.withEntry(table, match, priority, "direct meter", hasDirectMeter, func(_ *tableC, es *entryState) error {
		return es.meter.configure(cfg)
	})
}
