package p4rt

//lint:file-ignore SA1019 controller_metadata must read back byte-exact (ONOS uses it)

import (
	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/info"
)

// writeTable handles a TableEntry update (P4Runtime spec section
// "TableEntry"; checks in PI's order: table id, time_since_last_hit, then
// per update type).
func (st *state) writeTable(typ p4v1.Update_Type, e *p4v1.TableEntry, j *journal) error {
	t := st.inf.Table(e.GetTableId())
	if t == nil {
		return errorf(ErrInvalid, "unknown table id %d", e.GetTableId())
	}
	if e.GetTimeSinceLastHit() != nil {
		return errorf(ErrInvalid, "table %q: time_since_last_hit must not be set in a write", t.Name)
	}
	if st.dev.profile == ProfileSpec && e.GetIsConst() {
		return errorf(ErrInvalid, "table %q: is_const must be false in a write", t.Name)
	}
	ts := st.tables[t.ID]
	switch typ {
	case p4v1.Update_INSERT:
		return st.tableInsert(ts, e, j)
	case p4v1.Update_MODIFY:
		if e.GetIsDefaultAction() {
			return st.tableModifyDefault(ts, e, j)
		}
		return st.tableModify(ts, e, j)
	default:
		return st.tableDelete(ts, e, j)
	}
}

func (st *state) tableInsert(ts *tableState, e *p4v1.TableEntry, j *journal) error {
	t := ts.t
	if e.GetIsDefaultAction() {
		return errorf(ErrInvalid, "table %q: INSERT of the default entry (use MODIFY)", t.Name)
	}
	if e.GetAction() == nil {
		return errorf(ErrInvalid, "table %q: INSERT without an action", t.Name)
	}
	if t.IsConst {
		return errorf(ErrPermission, "table %q is const: its entries cannot be inserted", t.Name)
	}
	// Spec section 9.1: a keyless table takes no INSERT. PI and bmv2 accept
	// the one entry with the empty key.
	if len(t.Fields) == 0 && st.dev.profile == ProfileSpec {
		return errorf(ErrInvalid, "table %q has no key: only its default entry can be written", t.Name)
	}
	match, key, err := st.tableKey(t, e)
	if err != nil {
		return err
	}
	action, err := st.checkTableAction(t, e.GetAction(), false)
	if err != nil {
		return err
	}
	meter, err := st.checkDirectResources(t, e)
	if err != nil {
		return err
	}
	if err := st.checkTTL(t, e); err != nil {
		return err
	}
	if h, _ := ts.lookup(key); h != 0 {
		return errorf(ErrAlreadyExists, "table %q: the entry exists (use MODIFY to change it)", t.Name)
	}
	if t.Size > 0 && int64(ts.count) >= t.Size {
		return errorf(ErrExhausted, "table %q is full (%d entries)", t.Name, t.Size)
	}
	if st.emptyGroup(t, action) {
		return exactf(ErrUnknown, "Error when adding match entry to target")
	}
	ce := &p4v1.TableEntry{
		TableId:            t.ID,
		Match:              match,
		Action:             action,
		Priority:           e.GetPriority(),
		ControllerMetadata: e.GetControllerMetadata(),
		Metadata:           e.GetMetadata(),
		IdleTimeoutNs:      e.GetIdleTimeoutNs(),
		MeterConfig:        meter,
	}
	h := ts.add(key, marshalEntry(ce), false)
	ref := EntryRef{h, ce}
	if err := st.prog.InsertEntry(t, ref); err != nil {
		ts.remove(h)
		return targetErr(err, "table %q: insert", t.Name)
	}
	if e.GetCounterData() != nil {
		if err := st.setDirectCounter(t.DirectCounter, ref, e.GetCounterData(), false); err != nil {
			_ = st.prog.DeleteEntry(t, ref)
			ts.remove(h)
			return targetErr(err, "table %q: initial direct counter value", t.Name)
		}
	}
	st.addActionRefs(t, action, 1)
	st.setIdle(ts, h, newIdle(ce.IdleTimeoutNs))
	j.add(func() {
		_ = st.prog.DeleteEntry(t, ref)
		st.addActionRefs(t, action, -1)
		st.setIdle(ts, h, nil)
		ts.remove(h)
	})
	return nil
}

func (st *state) tableModify(ts *tableState, e *p4v1.TableEntry, j *journal) error {
	t := ts.t
	_, key, err := st.tableKey(t, e)
	if err != nil {
		return err
	}
	h, s := ts.lookup(key)
	fixed := t.IsConst || (s != nil && s.fixed)
	if fixed && e.GetAction() != nil {
		return errorf(ErrPermission, "table %q: the entry is const: only its direct resources can be modified", t.Name)
	}
	var action *p4v1.TableAction
	if e.GetAction() != nil {
		if action, err = st.checkTableAction(t, e.GetAction(), false); err != nil {
			return err
		}
	} else if st.dev.profile != ProfileSpec && !fixed {
		return errorf(ErrInvalid, "table %q: MODIFY of an entry without an action", t.Name)
	}
	meter, err := st.checkDirectResources(t, e)
	if err != nil {
		return err
	}
	if err := st.checkTTL(t, e); err != nil {
		return err
	}
	if s == nil {
		return errorf(ErrNotFound, "table %q: no such entry", t.Name)
	}
	if st.emptyGroup(t, action) {
		return exactf(ErrUnknown, "Error when modifying match entry in target")
	}
	old, err := s.entry()
	if err != nil {
		return err
	}
	oldSlot := *s
	ne := proto.Clone(old).(*p4v1.TableEntry)
	if action != nil {
		ne.Action = action
		ne.ControllerMetadata = e.GetControllerMetadata()
		ne.Metadata = e.GetMetadata()
		ne.IdleTimeoutNs = e.GetIdleTimeoutNs()
	}
	// Direct meter: the spec resets an unset meter_config to the default on
	// MODIFY; PI leaves the meter alone.
	meterChanged := false
	if t.DirectMeter != nil {
		switch {
		case meter != nil:
			meterChanged = !proto.Equal(meter, old.GetMeterConfig())
			ne.MeterConfig = meter
		case st.dev.profile == ProfileSpec && old.GetMeterConfig() != nil:
			meterChanged = true
			ne.MeterConfig = nil
		}
	}
	var oldCounter *p4v1.CounterData
	ref, oldRef := EntryRef{h, ne}, EntryRef{h, old}
	if e.GetCounterData() != nil {
		if oldCounter, err = st.prog.DirectCounter(t.DirectCounter, oldRef); err != nil {
			return targetErr(err, "table %q: read direct counter", t.Name)
		}
	}
	if action != nil {
		if err := st.prog.ModifyEntry(t, ref); err != nil {
			return targetErr(err, "table %q: modify", t.Name)
		}
	}
	if meterChanged {
		if err := st.prog.SetDirectMeter(t.DirectMeter, ref, ne.GetMeterConfig()); err != nil {
			if action != nil {
				_ = st.prog.ModifyEntry(t, oldRef)
			}
			return targetErr(err, "table %q: direct meter", t.Name)
		}
	}
	if e.GetCounterData() != nil {
		if err := st.setDirectCounter(t.DirectCounter, ref, e.GetCounterData(), false); err != nil {
			return targetErr(err, "table %q: direct counter", t.Name)
		}
	}
	s.data = marshalEntry(ne)
	if action != nil {
		st.addActionRefs(t, old.GetAction(), -1)
		st.addActionRefs(t, action, 1)
	}
	oldIdle := st.updateIdle(ts, h, old.GetIdleTimeoutNs(), ne.GetIdleTimeoutNs())
	j.add(func() {
		if action != nil {
			_ = st.prog.ModifyEntry(t, oldRef)
			st.addActionRefs(t, action, -1)
			st.addActionRefs(t, old.GetAction(), 1)
		}
		if meterChanged {
			_ = st.prog.SetDirectMeter(t.DirectMeter, oldRef, old.GetMeterConfig())
		}
		if oldCounter != nil {
			_ = st.prog.SetDirectCounter(t.DirectCounter, oldRef, oldCounter)
		}
		ts.slots[h-1] = oldSlot
		st.setIdle(ts, h, oldIdle)
	})
	return nil
}

// updateIdle applies a TTL change and returns the previous idle state.
// PI restarts the timer only when the TTL changes.
func (st *state) updateIdle(ts *tableState, h Handle, oldTTL, newTTL int64) *idleState {
	prev := st.idleOf(ts, h)
	if oldTTL != newTTL {
		st.setIdle(ts, h, newIdle(newTTL))
	}
	return prev
}

func (st *state) tableModifyDefault(ts *tableState, e *p4v1.TableEntry, j *journal) error {
	t := ts.t
	if _, _, err := st.tableKey(t, e); err != nil {
		return err
	}
	if t.Profile != nil {
		return errorf(ErrInvalid, "table %q is indirect: its default action cannot be set or reset", t.Name)
	}
	if st.pipe.ConstDefault[t.ID] {
		return errorf(ErrPermission, "table %q has a const default action", t.Name)
	}
	var action *p4v1.TableAction
	if e.GetAction() != nil {
		var err error
		if action, err = st.checkTableAction(t, e.GetAction(), true); err != nil {
			return err
		}
	}
	meter, err := st.checkDirectResources(t, e)
	if err != nil {
		return err
	}
	if st.dev.profile == ProfileSpec {
		if e.GetIdleTimeoutNs() != 0 {
			return errorf(ErrInvalid, "table %q: the default entry has no idle timeout", t.Name)
		}
	} else if err := st.checkTTL(t, e); err != nil { // PI checks it as an entry's, then ignores it
		return err
	}
	old := ts.def
	nd := defaultEntry{}
	if action != nil {
		nd = defaultEntry{action: action.GetAction(), cookie: e.GetControllerMetadata(), metadata: e.GetMetadata(), meter: old.meter}
	}
	if t.DirectMeter != nil {
		switch {
		case meter != nil:
			nd.meter = meter
		case action == nil || st.dev.profile == ProfileSpec:
			nd.meter = nil
		}
	}
	var oldCounter *p4v1.CounterData
	if e.GetCounterData() != nil {
		if oldCounter, err = st.prog.DirectCounter(t.DirectCounter, DefaultRef(t)); err != nil {
			return targetErr(err, "table %q: read default entry's direct counter", t.Name)
		}
	}
	if err := st.prog.SetDefaultAction(t, nd.action); err != nil {
		return targetErr(err, "table %q: set default action", t.Name)
	}
	if t.DirectMeter != nil && !proto.Equal(nd.meter, old.meter) {
		if err := st.prog.SetDirectMeter(t.DirectMeter, DefaultRef(t), nd.meter); err != nil {
			_ = st.prog.SetDefaultAction(t, old.action)
			return targetErr(err, "table %q: default entry's direct meter", t.Name)
		}
	}
	if e.GetCounterData() != nil {
		if err := st.setDirectCounter(t.DirectCounter, DefaultRef(t), e.GetCounterData(), false); err != nil {
			return targetErr(err, "table %q: default entry's direct counter", t.Name)
		}
	}
	ts.def = nd
	j.add(func() {
		_ = st.prog.SetDefaultAction(t, old.action)
		if t.DirectMeter != nil {
			_ = st.prog.SetDirectMeter(t.DirectMeter, DefaultRef(t), old.meter)
		}
		if oldCounter != nil {
			_ = st.prog.SetDirectCounter(t.DirectCounter, DefaultRef(t), oldCounter)
		}
		ts.def = old
	})
	return nil
}

func (st *state) tableDelete(ts *tableState, e *p4v1.TableEntry, j *journal) error {
	t := ts.t
	if e.GetIsDefaultAction() {
		return errorf(ErrInvalid, "table %q: DELETE of the default entry (use MODIFY without an action to reset it)", t.Name)
	}
	_, key, err := st.tableKey(t, e)
	if err != nil {
		return err
	}
	h, s := ts.lookup(key)
	if t.IsConst || (s != nil && s.fixed) {
		return errorf(ErrPermission, "table %q: const entries cannot be deleted", t.Name)
	}
	if s == nil {
		return errorf(ErrNotFound, "table %q: no such entry", t.Name)
	}
	old, err := s.entry()
	if err != nil {
		return err
	}
	var oldCounter *p4v1.CounterData
	ref := EntryRef{h, old}
	if j != nil && t.DirectCounter != nil {
		if oldCounter, err = st.prog.DirectCounter(t.DirectCounter, ref); err != nil {
			return targetErr(err, "table %q: read direct counter", t.Name)
		}
	}
	if err := st.prog.DeleteEntry(t, ref); err != nil {
		return targetErr(err, "table %q: delete", t.Name)
	}
	oldSlot := *s
	oldIdle := st.idleOf(ts, h)
	st.addActionRefs(t, old.GetAction(), -1)
	st.setIdle(ts, h, nil)
	ts.remove(h)
	j.add(func() {
		ts.restore(h, oldSlot)
		_ = st.prog.InsertEntry(t, ref)
		if oldCounter != nil {
			_ = st.prog.SetDirectCounter(t.DirectCounter, ref, oldCounter)
		}
		st.addActionRefs(t, old.GetAction(), 1)
		st.setIdle(ts, h, oldIdle)
	})
	return nil
}

// checkTableAction validates a table action (PI's validate_action and
// construct_action_entry) and returns it canonical.
func (st *state) checkTableAction(t *info.Table, ta *p4v1.TableAction, isDefault bool) (*p4v1.TableAction, error) {
	indirect := t.Profile != nil
	switch a := ta.GetType().(type) {
	case *p4v1.TableAction_Action:
		if indirect {
			return nil, errorf(ErrInvalid, "table %q is indirect: give an action profile member or group, not an action", t.Name)
		}
		ai := st.inf.Action(a.Action.GetActionId())
		if ai == nil {
			return nil, errorf(ErrInvalid, "table %q: unknown action id %d", t.Name, a.Action.GetActionId())
		}
		scope, ok := t.ActionScope(ai.ID)
		if !ok {
			return nil, errorf(ErrInvalid, "table %q: action %q is not an action of the table", t.Name, ai.Name)
		}
		if scope == p4configv1.ActionRef_TABLE_ONLY && isDefault {
			return nil, errorf(ErrPermission, "table %q: action %q is TABLE_ONLY and cannot be the default action", t.Name, ai.Name)
		}
		if scope == p4configv1.ActionRef_DEFAULT_ONLY && !isDefault {
			return nil, errorf(ErrPermission, "table %q: action %q is DEFAULT_ONLY and cannot be used in an entry", t.Name, ai.Name)
		}
		_, ca, err := st.checkAction(a.Action, "table "+quote(t.Name))
		if err != nil {
			return nil, err
		}
		return &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: ca}}, nil
	case *p4v1.TableAction_ActionProfileMemberId:
		if !indirect {
			return nil, errorf(ErrInvalid, "table %q is direct: give an action, not a member", t.Name)
		}
		ps := st.profiles[t.Profile.ID]
		if ps.mode == modeOneShot {
			return nil, st.mixedModes("action profile %q is programmed with one-shot action sets: members cannot be mixed in", t.Profile.Name)
		}
		if ps.members[a.ActionProfileMemberId] == nil {
			return nil, st.missingRef("table %q: action profile %q has no member %d", t.Name, t.Profile.Name, a.ActionProfileMemberId)
		}
		return &p4v1.TableAction{Type: &p4v1.TableAction_ActionProfileMemberId{ActionProfileMemberId: a.ActionProfileMemberId}}, nil
	case *p4v1.TableAction_ActionProfileGroupId:
		if !indirect {
			return nil, errorf(ErrInvalid, "table %q is direct: give an action, not a group", t.Name)
		}
		if !t.Profile.WithSelector {
			return nil, errorf(ErrInvalid, "table %q: action profile %q has no selector: entries take members, not groups", t.Name, t.Profile.Name)
		}
		ps := st.profiles[t.Profile.ID]
		if ps.mode == modeOneShot {
			return nil, st.mixedModes("action profile %q is programmed with one-shot action sets: groups cannot be mixed in", t.Profile.Name)
		}
		if ps.groups[a.ActionProfileGroupId] == nil {
			return nil, st.missingRef("table %q: action profile %q has no group %d", t.Name, t.Profile.Name, a.ActionProfileGroupId)
		}
		return &p4v1.TableAction{Type: &p4v1.TableAction_ActionProfileGroupId{ActionProfileGroupId: a.ActionProfileGroupId}}, nil
	case *p4v1.TableAction_ActionProfileActionSet:
		if !indirect || !t.Profile.WithSelector {
			return nil, errorf(ErrInvalid, "table %q: one-shot action sets need an action selector", t.Name)
		}
		set, err := st.checkActionSet(t, a.ActionProfileActionSet)
		if err != nil {
			return nil, err
		}
		return &p4v1.TableAction{Type: &p4v1.TableAction_ActionProfileActionSet{ActionProfileActionSet: set}}, nil
	default:
		return nil, errorf(ErrInvalid, "table %q: empty table action", t.Name)
	}
}

// missingRef reports a table action naming an absent member or group:
// NOT_FOUND per the spec ("Action Specification"), INVALID_ARGUMENT in PI.
func (st *state) missingRef(format string, args ...any) error {
	if st.dev.profile == ProfileSpec {
		return errorf(ErrNotFound, format, args...)
	}
	return errorf(ErrInvalid, format, args...)
}

// checkDirectResources validates meter_config and counter_data of an entry
// and returns the meter configuration to store (nil for the default).
func (st *state) checkDirectResources(t *info.Table, e *p4v1.TableEntry) (*p4v1.MeterConfig, error) {
	var meter *p4v1.MeterConfig
	if cfg := e.GetMeterConfig(); cfg != nil {
		if t.DirectMeter == nil {
			return nil, errorf(ErrInvalid, "table %q has no direct meter", t.Name)
		}
		if err := st.checkMeterConfig(cfg, t.DirectMeter.Type, "table "+quote(t.Name)+" meter_config"); err != nil {
			return nil, err
		}
		if !meterIsDefault(cfg) {
			meter = st.meterToStore(cfg)
		}
	}
	if e.GetCounterData() != nil && t.DirectCounter == nil {
		return nil, errorf(ErrInvalid, "table %q has no direct counter", t.Name)
	}
	if e.GetMeterCounterData() != nil && st.dev.profile == ProfileSpec {
		return nil, errorf(ErrUnimplemented, "table %q: per-color meter counters are not supported", t.Name)
	}
	return meter, nil
}

// checkTTL validates idle_timeout_ns (spec section "Idle-timeout").
func (st *state) checkTTL(t *info.Table, e *p4v1.TableEntry) error {
	if e.GetIdleTimeoutNs() < 0 {
		return errorf(ErrInvalid, "table %q: negative idle_timeout_ns", t.Name)
	}
	if e.GetIdleTimeoutNs() > 0 && !t.IdleTimeout {
		return errorf(ErrInvalid, "table %q does not support idle timeout: idle_timeout_ns must be 0", t.Name)
	}
	return nil
}

// addActionRefs counts the references a table action holds on members,
// groups and one-shot sets.
func (st *state) addActionRefs(t *info.Table, ta *p4v1.TableAction, n int) {
	if t.Profile == nil || ta == nil {
		return
	}
	ps := st.profiles[t.Profile.ID]
	switch a := ta.GetType().(type) {
	case *p4v1.TableAction_ActionProfileMemberId:
		if m := ps.members[a.ActionProfileMemberId]; m != nil {
			m.entryRefs += n
		}
	case *p4v1.TableAction_ActionProfileGroupId:
		if g := ps.groups[a.ActionProfileGroupId]; g != nil {
			g.entryRefs += n
		}
	case *p4v1.TableAction_ActionProfileActionSet:
		ps.oneShots += n
	}
	ps.updateMode()
}

// emptyGroup reports, in profile bmv2, a table action naming a group
// without members: bmv2's data plane refuses to point an entry at one
// (the group a refused INSERT left behind, say).
func (st *state) emptyGroup(t *info.Table, ta *p4v1.TableAction) bool {
	id, ok := ta.GetType().(*p4v1.TableAction_ActionProfileGroupId)
	if !ok || st.dev.profile != ProfileBMv2 || t.Profile == nil {
		return false
	}
	g := st.profiles[t.Profile.ID].groups[id.ActionProfileGroupId]
	return g != nil && len(g.group.GetMembers()) == 0
}
