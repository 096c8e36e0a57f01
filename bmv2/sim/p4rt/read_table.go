package p4rt

//lint:file-ignore SA1019 controller_metadata must read back byte-exact (ONOS uses it)

import (
	"bytes"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/info"
)

// readTables reads table entries (spec section "Wildcard Reads" of
// "TableEntry"): table_id 0 selects every table, const ones included; a
// match selects one entry; is_default_action selects the default entry.
// Profile spec also filters on action id, priority, controller_metadata and
// metadata; PI does not filter.
func (st *state) readTables(req *p4v1.TableEntry, emit emitter) error {
	if req.GetTableId() == 0 {
		for _, t := range st.inf.Tables {
			if err := st.readTable(st.tables[t.ID], req, emit); err != nil {
				return err
			}
		}
		return nil
	}
	t := st.inf.Table(req.GetTableId())
	if t == nil {
		return errorf(ErrInvalid, "unknown table id %d", req.GetTableId())
	}
	return st.readTable(st.tables[t.ID], req, emit)
}

func (st *state) readTable(ts *tableState, req *p4v1.TableEntry, emit emitter) error {
	t := ts.t
	if req.GetIsDefaultAction() {
		return st.readDefault(ts, req, emit)
	}
	if req.GetTimeSinceLastHit() != nil && !t.IdleTimeout {
		return errorf(ErrInvalid, "table %q does not support idle timeout: do not set time_since_last_hit", t.Name)
	}
	now := time.Now().UnixNano()
	if len(req.GetMatch()) > 0 {
		_, key, err := st.tableKey(t, req)
		if err != nil {
			return err
		}
		h, s := ts.lookup(key)
		if s == nil {
			return nil
		}
		return st.emitEntry(ts, h, s, req, now, emit)
	}
	for i := range ts.slots {
		s := &ts.slots[i]
		if !s.used {
			continue
		}
		if err := st.emitEntry(ts, Handle(i+1), s, req, now, emit); err != nil {
			return err
		}
	}
	return nil
}

// emitEntry emits one stored entry with the parts the request asks for.
// The stored bytes go out as they are (with the counter data and idle time
// appended) unless the entry itself must change: a meter config to leave
// out, or a const entry to show as not const (bmv2). It is decoded only for
// a filter to apply or a direct counter to find by its match.
func (st *state) emitEntry(ts *tableState, h Handle, s *slot, req *p4v1.TableEntry, now int64, emit emitter) error {
	t := ts.t
	spec := st.dev.profile == ProfileSpec
	wantCounter := req.GetCounterData() != nil && t.DirectCounter != nil
	asStored := (req.GetMeterConfig() != nil || t.DirectMeter == nil) && (spec || !s.fixed)
	var idle *p4v1.TableEntry_IdleTimeout
	if req.GetTimeSinceLastHit() != nil {
		idle = &p4v1.TableEntry_IdleTimeout{ElapsedNs: st.elapsed(ts, h, now)}
	}
	if asStored && !wantCounter && (!spec || !hasFilter(req)) {
		return emit.stored(s.data, nil, nil, idle)
	}
	e, err := s.entry()
	if err != nil {
		return err
	}
	if spec && !matchesFilter(e, req) {
		return nil
	}
	var counter *p4v1.CounterData
	if wantCounter {
		if counter, err = st.prog.DirectCounter(t.DirectCounter, EntryRef{h, e}); err != nil {
			return targetErr(err, "table %q: read direct counter", t.Name)
		}
		counter = st.counterRead(counter, t.DirectCounter.Unit)
	}
	if asStored {
		return emit.stored(s.data, e, counter, idle)
	}
	if req.GetMeterConfig() == nil {
		e.MeterConfig = nil
	}
	e.CounterData, e.TimeSinceLastHit = counter, idle
	if !spec {
		e.IsConst = false
	}
	return emit.entity(&p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: e}})
}

// hasFilter reports whether a wildcard table read filters on more than the
// table (spec section "Wildcard Reads"): an entry with none of the
// filtered fields set fails exactly the filters that are set.
func hasFilter(req *p4v1.TableEntry) bool { return !matchesFilter(&p4v1.TableEntry{}, req) }

// matchesFilter applies the spec's wildcard-read filters.
func matchesFilter(e, req *p4v1.TableEntry) bool {
	if a := req.GetAction().GetAction(); a != nil && a.GetActionId() != 0 && e.GetAction().GetAction().GetActionId() != a.GetActionId() {
		return false
	}
	if req.GetPriority() != 0 && e.GetPriority() != req.GetPriority() {
		return false
	}
	if req.GetControllerMetadata() != 0 && e.GetControllerMetadata() != req.GetControllerMetadata() {
		return false
	}
	if len(req.GetMetadata()) > 0 && !bytes.Equal(e.GetMetadata(), req.GetMetadata()) {
		return false
	}
	return true
}

// readDefault emits a table's default entry (PI's table_read_default).
func (st *state) readDefault(ts *tableState, req *p4v1.TableEntry, emit emitter) error {
	t := ts.t
	if req.GetTimeSinceLastHit() != nil {
		return errorf(ErrInvalid, "table %q: default entries have no idle timeout: do not set time_since_last_hit", t.Name)
	}
	e := &p4v1.TableEntry{TableId: t.ID, IsDefaultAction: true, ControllerMetadata: ts.def.cookie, Metadata: ts.def.metadata}
	if t.Profile == nil {
		a := ts.def.action
		if a == nil {
			a = st.pipe.DefaultActions[t.ID]
		}
		if a != nil {
			e.Action = &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: proto.Clone(a).(*p4v1.Action)}}
		}
	}
	if req.GetMeterConfig() != nil && ts.def.meter != nil {
		e.MeterConfig = proto.Clone(ts.def.meter).(*p4v1.MeterConfig)
	}
	// bmv2 keeps no direct resources for a default entry: PI reads it
	// without counter data.
	if req.GetCounterData() != nil && t.DirectCounter != nil && st.dev.profile != ProfileBMv2 {
		d, err := st.prog.DirectCounter(t.DirectCounter, DefaultRef(t))
		if err != nil {
			return targetErr(err, "table %q: read the default entry's direct counter", t.Name)
		}
		e.CounterData = st.counterRead(d, t.DirectCounter.Unit)
	}
	return emit.entity(&p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: e}})
}

// directReader is what a read of one kind of direct resource does for
// readDirect.
type directReader struct {
	what string                 // "direct counter" or "direct meter"
	has  func(*info.Table) bool // whether a table has the resource
	// one answers for the entry the request names, te, found as ref (the
	// default entry when ref.Handle is DefaultHandle).
	one func(t *info.Table, ts *tableState, te *p4v1.TableEntry, ref EntryRef) error
	// each answers for an installed entry.
	each func(t *info.Table, ref EntryRef) error
}

// readDirect answers a read of direct resources: of one entry (or the
// default entry) when te names one, else of every installed entry of te's
// table. Reading every table at once (table_id 0) is UNIMPLEMENTED in bmv2.
func (st *state) readDirect(te *p4v1.TableEntry, r directReader) error {
	if te == nil {
		return errorf(ErrInvalid, "%s entry without a table entry", r.what)
	}
	if te.GetTableId() == 0 {
		if st.dev.profile != ProfileSpec {
			return errorf(ErrUnimplemented, "reading all %ss for all tables is not supported", r.what)
		}
		for _, t := range st.inf.Tables {
			if !r.has(t) {
				continue
			}
			if err := st.readDirect(&p4v1.TableEntry{TableId: t.ID}, r); err != nil {
				return err
			}
		}
		return nil
	}
	t := st.inf.Table(te.GetTableId())
	if t == nil {
		return errorf(ErrInvalid, "unknown table id %d", te.GetTableId())
	}
	if !r.has(t) {
		return errorf(ErrInvalid, "table %q has no %s", t.Name, r.what)
	}
	ts := st.tables[t.ID]
	if len(te.GetMatch()) > 0 || te.GetIsDefaultAction() {
		_, ref, err := st.directEntry(te, r.what+" entry")
		if err != nil {
			return err
		}
		return r.one(t, ts, te, ref)
	}
	for i := range ts.slots {
		s := &ts.slots[i]
		if !s.used {
			continue
		}
		e, err := s.entry()
		if err != nil {
			return err
		}
		if err := r.each(t, EntryRef{Handle(i + 1), e}); err != nil {
			return err
		}
	}
	return nil
}

// readDirectCounters answers DirectCounterEntry reads (spec section
// "DirectCounterEntry").
func (st *state) readDirectCounters(req *p4v1.DirectCounterEntry, emit emitter) error {
	counter := func(t *info.Table, ref EntryRef) (*p4v1.CounterData, error) {
		d, err := st.prog.DirectCounter(t.DirectCounter, ref)
		if err != nil {
			return nil, targetErr(err, "table %q: read direct counter", t.Name)
		}
		return st.counterRead(d, t.DirectCounter.Unit), nil
	}
	return st.readDirect(req.GetTableEntry(), directReader{
		what: "direct counter",
		has:  func(t *info.Table) bool { return t.DirectCounter != nil },
		one: func(t *info.Table, _ *tableState, te *p4v1.TableEntry, ref EntryRef) error {
			d, err := counter(t, ref)
			if err != nil {
				return err
			}
			return emit.entity(&p4v1.Entity{Entity: &p4v1.Entity_DirectCounterEntry{DirectCounterEntry: &p4v1.DirectCounterEntry{
				TableEntry: proto.Clone(te).(*p4v1.TableEntry), Data: d}}})
		},
		each: func(t *info.Table, ref EntryRef) error {
			d, err := counter(t, ref)
			if err != nil {
				return err
			}
			e := ref.Entry
			return emit.entity(&p4v1.Entity{Entity: &p4v1.Entity_DirectCounterEntry{DirectCounterEntry: &p4v1.DirectCounterEntry{
				TableEntry: &p4v1.TableEntry{TableId: t.ID, Match: e.Match, Priority: e.Priority}, Data: d}}})
		},
	})
}

// readDirectMeters answers DirectMeterEntry reads (spec section
// "DirectMeterEntry"); the configuration is omitted when it is the default.
func (st *state) readDirectMeters(req *p4v1.DirectMeterEntry, emit emitter) error {
	return st.readDirect(req.GetTableEntry(), directReader{
		what: "direct meter",
		has:  func(t *info.Table) bool { return t.DirectMeter != nil },
		one: func(_ *info.Table, ts *tableState, te *p4v1.TableEntry, ref EntryRef) error {
			h := ref.Handle
			out := &p4v1.DirectMeterEntry{TableEntry: proto.Clone(te).(*p4v1.TableEntry)}
			if h == DefaultHandle {
				out.Config = cloneMeter(ts.def.meter)
			} else {
				e, err := ts.slots[h-1].entry()
				if err != nil {
					return err
				}
				out.Config = e.MeterConfig
			}
			return emit.entity(&p4v1.Entity{Entity: &p4v1.Entity_DirectMeterEntry{DirectMeterEntry: out}})
		},
		each: func(t *info.Table, ref EntryRef) error {
			e := ref.Entry
			return emit.entity(&p4v1.Entity{Entity: &p4v1.Entity_DirectMeterEntry{DirectMeterEntry: &p4v1.DirectMeterEntry{
				TableEntry: &p4v1.TableEntry{TableId: t.ID, Match: e.Match, Priority: e.Priority}, Config: e.MeterConfig}}})
		},
	})
}

func cloneMeter(m *p4v1.MeterConfig) *p4v1.MeterConfig {
	if m == nil {
		return nil
	}
	return proto.Clone(m).(*p4v1.MeterConfig)
}
