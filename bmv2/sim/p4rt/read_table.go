package p4rt

//lint:file-ignore SA1019 controller_metadata must read back byte-exact (ONOS uses it)

import (
	"bytes"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"
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
func (st *state) emitEntry(ts *tableState, h Handle, s *slot, req *p4v1.TableEntry, now int64, emit emitter) error {
	e, err := s.entry()
	if err != nil {
		return err
	}
	if st.dev.profile == ProfileSpec && !matchesFilter(e, req) {
		return nil
	}
	t := ts.t
	if req.GetMeterConfig() == nil {
		e.MeterConfig = nil
	}
	if req.GetCounterData() != nil && t.DirectCounter != nil {
		d, err := st.prog.DirectCounter(t.DirectCounter, EntryRef{h, e})
		if err != nil {
			return targetErr(err, "table %q: read direct counter", t.Name)
		}
		e.CounterData = d
	}
	if req.GetTimeSinceLastHit() != nil {
		e.TimeSinceLastHit = &p4v1.TableEntry_IdleTimeout{ElapsedNs: st.elapsed(ts, h, now)}
	}
	if st.dev.profile != ProfileSpec {
		e.IsConst = false
	}
	return emit(&p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: e}})
}

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
	if req.GetCounterData() != nil && t.DirectCounter != nil {
		d, err := st.prog.DirectCounter(t.DirectCounter, DefaultRef(t))
		if err != nil {
			return targetErr(err, "table %q: read the default entry's direct counter", t.Name)
		}
		e.CounterData = d
	}
	return emit(&p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: e}})
}

// readDirectCounters answers DirectCounterEntry reads (spec section
// "DirectCounterEntry"). Reading every table at once (table_id 0) is
// UNIMPLEMENTED in bmv2.
func (st *state) readDirectCounters(req *p4v1.DirectCounterEntry, emit emitter) error {
	te := req.GetTableEntry()
	if te == nil {
		return errorf(ErrInvalid, "direct counter entry without a table entry")
	}
	if te.GetTableId() == 0 {
		if st.dev.profile != ProfileSpec {
			return errorf(ErrUnimplemented, "reading all direct counters for all tables is not supported")
		}
		for _, t := range st.inf.Tables {
			if t.DirectCounter == nil {
				continue
			}
			q := &p4v1.DirectCounterEntry{TableEntry: &p4v1.TableEntry{TableId: t.ID}}
			if err := st.readDirectCounters(q, emit); err != nil {
				return err
			}
		}
		return nil
	}
	t := st.inf.Table(te.GetTableId())
	if t == nil {
		return errorf(ErrInvalid, "unknown table id %d", te.GetTableId())
	}
	if t.DirectCounter == nil {
		return errorf(ErrInvalid, "table %q has no direct counter", t.Name)
	}
	ts := st.tables[t.ID]
	if len(te.GetMatch()) > 0 || te.GetIsDefaultAction() {
		_, ref, err := st.directEntry(te, "direct counter entry")
		if err != nil {
			return err
		}
		d, err := st.prog.DirectCounter(t.DirectCounter, ref)
		if err != nil {
			return targetErr(err, "table %q: read direct counter", t.Name)
		}
		return emit(&p4v1.Entity{Entity: &p4v1.Entity_DirectCounterEntry{DirectCounterEntry: &p4v1.DirectCounterEntry{
			TableEntry: proto.Clone(te).(*p4v1.TableEntry), Data: d}}})
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
		d, err := st.prog.DirectCounter(t.DirectCounter, EntryRef{Handle(i + 1), e})
		if err != nil {
			return targetErr(err, "table %q: read direct counter", t.Name)
		}
		if err := emit(&p4v1.Entity{Entity: &p4v1.Entity_DirectCounterEntry{DirectCounterEntry: &p4v1.DirectCounterEntry{
			TableEntry: &p4v1.TableEntry{TableId: t.ID, Match: e.Match, Priority: e.Priority}, Data: d}}}); err != nil {
			return err
		}
	}
	return nil
}

// readDirectMeters answers DirectMeterEntry reads (spec section
// "DirectMeterEntry"); the configuration is omitted when it is the default.
func (st *state) readDirectMeters(req *p4v1.DirectMeterEntry, emit emitter) error {
	te := req.GetTableEntry()
	if te == nil {
		return errorf(ErrInvalid, "direct meter entry without a table entry")
	}
	if te.GetTableId() == 0 {
		if st.dev.profile != ProfileSpec {
			return errorf(ErrUnimplemented, "reading all direct meters for all tables is not supported")
		}
		for _, t := range st.inf.Tables {
			if t.DirectMeter == nil {
				continue
			}
			q := &p4v1.DirectMeterEntry{TableEntry: &p4v1.TableEntry{TableId: t.ID}}
			if err := st.readDirectMeters(q, emit); err != nil {
				return err
			}
		}
		return nil
	}
	t := st.inf.Table(te.GetTableId())
	if t == nil {
		return errorf(ErrInvalid, "unknown table id %d", te.GetTableId())
	}
	if t.DirectMeter == nil {
		return errorf(ErrInvalid, "table %q has no direct meter", t.Name)
	}
	ts := st.tables[t.ID]
	if len(te.GetMatch()) > 0 || te.GetIsDefaultAction() {
		_, ref, err := st.directEntry(te, "direct meter entry")
		if err != nil {
			return err
		}
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
		return emit(&p4v1.Entity{Entity: &p4v1.Entity_DirectMeterEntry{DirectMeterEntry: out}})
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
		if err := emit(&p4v1.Entity{Entity: &p4v1.Entity_DirectMeterEntry{DirectMeterEntry: &p4v1.DirectMeterEntry{
			TableEntry: &p4v1.TableEntry{TableId: t.ID, Match: e.Match, Priority: e.Priority}, Config: e.MeterConfig}}}); err != nil {
			return err
		}
	}
	return nil
}

func cloneMeter(m *p4v1.MeterConfig) *p4v1.MeterConfig {
	if m == nil {
		return nil
	}
	return proto.Clone(m).(*p4v1.MeterConfig)
}
