package p4rt

import (
	"encoding/binary"
	"errors"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/info"
)

// value checks one bytestring against its P4Info slot and returns its
// canonical form (a new slice). P4Runtime spec section "Bytestrings": any
// length is accepted as long as the value fits; too wide a value is
// INVALID_ARGUMENT (PI and the spec's "Match Format" section agree on the
// code). An empty string is rejected in profile spec; PI reads it as zero.
func (st *state) value(v *info.Value, b []byte, what string) ([]byte, error) {
	if v.IsString {
		if len(b) == 0 {
			return nil, errorf(ErrInvalid, "%s: empty string value", what)
		}
		return append([]byte(nil), b...), nil
	}
	if len(b) == 0 {
		if st.dev.profile == ProfileSpec {
			return nil, errorf(ErrInvalid, "%s: empty bytestring", what)
		}
		return []byte{0}, nil
	}
	if err := canon.Check(b, v.Width); err != nil {
		return nil, errorf(ErrInvalid, "%s: %v", what, err)
	}
	return canonCopy(b), nil
}

// matchSet is what checkMatch needs of a table or a value set.
type matchSet struct {
	name   string
	fields []*info.MatchField
}

// checkMatch validates a match key (P4Runtime spec section "Match Format",
// PI's construct_match_key order) and returns the canonical FieldMatch list
// in P4Info order and the key's canonical encoding.
func (st *state) checkMatch(ms matchSet, match []*p4v1.FieldMatch, exactRequired bool) ([]*p4v1.FieldMatch, []byte, error) {
	if len(match) > len(ms.fields) {
		return nil, nil, errorf(ErrInvalid, "%s: %d fields in the match key, the key has %d", ms.name, len(match), len(ms.fields))
	}
	out := make([]*p4v1.FieldMatch, 0, len(match))
	key := make([]byte, 0, 16*len(ms.fields))
	matched := 0
	for _, f := range ms.fields {
		var fm *p4v1.FieldMatch
		for _, m := range match {
			if m.GetFieldId() == f.ID {
				fm = m
				break
			}
		}
		what := ms.name + " field " + quote(f.Name)
		if fm == nil {
			if f.MatchType == p4configv1.MatchField_EXACT && exactRequired {
				return nil, nil, errorf(ErrInvalid, "%s: exact match field missing from the key", what)
			}
			key = append(key, 0)
			continue
		}
		matched++
		c, err := st.checkField(f, fm, what)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, c)
		key = appendFieldKey(key, c)
	}
	if matched != len(match) {
		return nil, nil, errorf(ErrInvalid, "%s: unknown or repeated field id in the match key", ms.name)
	}
	return out, key, nil
}

// checkField validates one FieldMatch of field f.
func (st *state) checkField(f *info.MatchField, fm *p4v1.FieldMatch, what string) (*p4v1.FieldMatch, error) {
	mismatch := func() error {
		return errorf(ErrInvalid, "%s: match kind %s expected", what, f.MatchType)
	}
	out := &p4v1.FieldMatch{FieldId: f.ID}
	switch f.MatchType {
	case p4configv1.MatchField_EXACT:
		m := fm.GetExact()
		if m == nil {
			return nil, mismatch()
		}
		v, err := st.value(&f.Value, m.GetValue(), what)
		if err != nil {
			return nil, err
		}
		out.FieldMatchType = &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: v}}
	case p4configv1.MatchField_LPM:
		m := fm.GetLpm()
		if m == nil {
			return nil, mismatch()
		}
		v, err := st.value(&f.Value, m.GetValue(), what)
		if err != nil {
			return nil, err
		}
		if !f.IsString {
			if err := canon.CheckLPM(v, m.GetPrefixLen(), f.Width); err != nil {
				return nil, errorf(ErrInvalid, "%s: %v", what, err)
			}
		}
		out.FieldMatchType = &p4v1.FieldMatch_Lpm{Lpm: &p4v1.FieldMatch_LPM{Value: v, PrefixLen: m.GetPrefixLen()}}
	case p4configv1.MatchField_TERNARY:
		m := fm.GetTernary()
		if m == nil {
			return nil, mismatch()
		}
		v, err := st.value(&f.Value, m.GetValue(), what)
		if err != nil {
			return nil, err
		}
		mask, err := st.value(&f.Value, m.GetMask(), what+" mask")
		if err != nil {
			return nil, err
		}
		if !f.IsString {
			if err := canon.CheckTernary(v, mask, f.Width); err != nil {
				return nil, errorf(ErrInvalid, "%s: %v", what, err)
			}
		}
		out.FieldMatchType = &p4v1.FieldMatch_Ternary_{Ternary: &p4v1.FieldMatch_Ternary{Value: v, Mask: mask}}
	case p4configv1.MatchField_RANGE:
		m := fm.GetRange()
		if m == nil {
			return nil, mismatch()
		}
		lo, err := st.value(&f.Value, m.GetLow(), what+" low")
		if err != nil {
			return nil, err
		}
		hi, err := st.value(&f.Value, m.GetHigh(), what+" high")
		if err != nil {
			return nil, err
		}
		if !f.IsString {
			if err := canon.CheckRange(lo, hi, f.Width); err != nil {
				return nil, errorf(ErrInvalid, "%s: %v", what, err)
			}
		}
		out.FieldMatchType = &p4v1.FieldMatch_Range_{Range: &p4v1.FieldMatch_Range{Low: lo, High: hi}}
	case p4configv1.MatchField_OPTIONAL:
		m := fm.GetOptional()
		if m == nil {
			return nil, mismatch()
		}
		v, err := st.value(&f.Value, m.GetValue(), what)
		if err != nil {
			return nil, err
		}
		out.FieldMatchType = &p4v1.FieldMatch_Optional_{Optional: &p4v1.FieldMatch_Optional{Value: v}}
	default:
		return nil, errorf(ErrUnimplemented, "%s: match kind %q is not supported", what, f.OtherMatchType)
	}
	return out, nil
}

// appendFieldKey appends a canonical field match to a key encoding.
func appendFieldKey(key []byte, fm *p4v1.FieldMatch) []byte {
	switch m := fm.GetFieldMatchType().(type) {
	case *p4v1.FieldMatch_Exact_:
		key = append(key, 1)
		key = appendBytes(key, m.Exact.GetValue())
	case *p4v1.FieldMatch_Lpm:
		key = append(key, 2)
		key = appendBytes(key, m.Lpm.GetValue())
		key = binary.BigEndian.AppendUint32(key, uint32(m.Lpm.GetPrefixLen()))
	case *p4v1.FieldMatch_Ternary_:
		key = append(key, 3)
		key = appendBytes(key, m.Ternary.GetValue())
		key = appendBytes(key, m.Ternary.GetMask())
	case *p4v1.FieldMatch_Range_:
		key = append(key, 4)
		key = appendBytes(key, m.Range.GetLow())
		key = appendBytes(key, m.Range.GetHigh())
	case *p4v1.FieldMatch_Optional_:
		key = append(key, 5)
		key = appendBytes(key, m.Optional.GetValue())
	}
	return key
}

func appendBytes(key, b []byte) []byte {
	key = binary.AppendUvarint(key, uint64(len(b)))
	return append(key, b...)
}

// tableKey validates the key part of a table entry (match and priority;
// PI's construct_match_key) and returns the canonical match and the key.
func (st *state) tableKey(t *info.Table, e *p4v1.TableEntry) ([]*p4v1.FieldMatch, string, error) {
	if e.GetIsDefaultAction() {
		if len(e.GetMatch()) > 0 {
			return nil, "", errorf(ErrInvalid, "table %q: default entry with a match key", t.Name)
		}
		if e.GetPriority() != 0 {
			return nil, "", errorf(ErrInvalid, "table %q: default entry with a priority", t.Name)
		}
		return nil, "", nil
	}
	match, key, err := st.checkMatch(matchSet{name: "table " + quote(t.Name), fields: t.Fields}, e.GetMatch(), true)
	if err != nil {
		return nil, "", err
	}
	switch {
	case !t.NeedsPriority && e.GetPriority() != 0:
		return nil, "", errorf(ErrInvalid, "table %q: priority %d given but the key has no ternary, range or optional field", t.Name, e.GetPriority())
	case t.NeedsPriority && e.GetPriority() == 0:
		return nil, "", errorf(ErrInvalid, "table %q: priority missing (the key has a ternary, range or optional field)", t.Name)
	case t.NeedsPriority && e.GetPriority() < 0:
		return nil, "", errorf(ErrInvalid, "table %q: negative priority %d", t.Name, e.GetPriority())
	}
	key = binary.BigEndian.AppendUint32(key, uint32(e.GetPriority()))
	return match, string(key), nil
}

// entryKey computes the key of an already canonical entry.
func (st *state) entryKey(t *info.Table, e *p4v1.TableEntry) (string, error) {
	_, key, err := st.tableKey(t, e)
	return key, err
}

// checkAction validates an action and its parameters (PI's
// construct_action_data: count, ids, widths) and returns it canonical with
// parameters in P4Info order.
func (st *state) checkAction(a *p4v1.Action, what string) (*info.Action, *p4v1.Action, error) {
	ai := st.inf.Action(a.GetActionId())
	if ai == nil {
		return nil, nil, errorf(ErrInvalid, "%s: unknown action id %d", what, a.GetActionId())
	}
	if len(a.GetParams()) != len(ai.Params) {
		return nil, nil, errorf(ErrInvalid, "%s: action %q takes %d parameters, %d given", what, ai.Name, len(ai.Params), len(a.GetParams()))
	}
	vals := make([][]byte, len(ai.Params))
	for _, p := range a.GetParams() {
		idx := -1
		for i, pi := range ai.Params {
			if pi.ID == p.GetParamId() {
				idx = i
				break
			}
		}
		if idx < 0 {
			return nil, nil, errorf(ErrInvalid, "%s: action %q has no parameter id %d", what, ai.Name, p.GetParamId())
		}
		if vals[idx] != nil {
			return nil, nil, errorf(ErrInvalid, "%s: action %q parameter %q given twice", what, ai.Name, ai.Params[idx].Name)
		}
		v, err := st.value(&ai.Params[idx].Value, p.GetValue(), what+" action "+quote(ai.Name)+" parameter "+quote(ai.Params[idx].Name))
		if err != nil {
			return nil, nil, err
		}
		vals[idx] = v
	}
	out := &p4v1.Action{ActionId: ai.ID, Params: make([]*p4v1.Action_Param, len(ai.Params))}
	for i, pi := range ai.Params {
		out.Params[i] = &p4v1.Action_Param{ParamId: pi.ID, Value: vals[i]}
	}
	return ai, out, nil
}

// checkMeterConfig validates a meter configuration (PI's
// validate_meter_spec; in profile spec also the rules of section
// "MeterEntry & DirectMeterEntry" for each meter type).
func (st *state) checkMeterConfig(cfg *p4v1.MeterConfig, typ p4configv1.MeterSpec_Type, what string) error {
	if cfg.GetCir() < -1 || cfg.GetCburst() < -1 || cfg.GetPir() < -1 || cfg.GetPburst() < -1 {
		return errorf(ErrInvalid, "%s: negative meter rate or burst", what)
	}
	const maxBurst = 1<<32 - 1
	if cfg.GetCburst() > maxBurst || cfg.GetPburst() > maxBurst {
		return errorf(ErrUnimplemented, "%s: burst size above %d", what, int64(maxBurst))
	}
	if st.dev.profile != ProfileSpec {
		return nil
	}
	if cfg.GetEburst() < 0 {
		return errorf(ErrInvalid, "%s: negative eburst", what)
	}
	switch typ {
	case p4configv1.MeterSpec_TWO_RATE_THREE_COLOR:
		if cfg.GetEburst() != 0 {
			return errorf(ErrInvalid, "%s: eburst set on a two-rate three-color meter", what)
		}
	case p4configv1.MeterSpec_SINGLE_RATE_THREE_COLOR:
		if cfg.GetPir() != cfg.GetCir() || cfg.GetPburst() != cfg.GetCburst() {
			return errorf(ErrInvalid, "%s: a single-rate meter needs pir == cir and pburst == cburst", what)
		}
	case p4configv1.MeterSpec_SINGLE_RATE_TWO_COLOR:
		if cfg.GetPir() != cfg.GetCir() || cfg.GetPburst() != cfg.GetCburst() || cfg.GetEburst() != 0 {
			return errorf(ErrInvalid, "%s: a single-rate two-color meter needs pir == cir, pburst == cburst and no eburst", what)
		}
	}
	return nil
}

// meterIsDefault reports the configuration PI treats as "no configuration"
// (every field -1) or an unset one.
func meterIsDefault(cfg *p4v1.MeterConfig) bool {
	return cfg == nil || (cfg.GetCir() == -1 && cfg.GetCburst() == -1 && cfg.GetPir() == -1 && cfg.GetPburst() == -1)
}

// checkIndex validates an array index (spec: negative is INVALID_ARGUMENT,
// beyond the size OUT_OF_RANGE; PI reports the latter as a target error).
func (st *state) checkIndex(index, size int64, what string) error {
	if index < 0 {
		return errorf(ErrInvalid, "%s: negative index %d", what, index)
	}
	if index >= size {
		if st.dev.profile == ProfileSpec {
			return errorf(ErrOutOfRange, "%s: index %d beyond the size %d", what, index, size)
		}
		return errorf(ErrUnknown, "%s: index %d beyond the size %d (target error)", what, index, size)
	}
	return nil
}

// cells returns the cells of an array of size cells that an entity with
// index covers: every cell when index is unset, else the one it names,
// checked as checkIndex does.
func (st *state) cells(index *p4v1.Index, size int64, what string) (first, last int64, err error) {
	if index == nil {
		return 0, size - 1, nil
	}
	if err := st.checkIndex(index.GetIndex(), size, what); err != nil {
		return 0, 0, err
	}
	return index.GetIndex(), index.GetIndex(), nil
}

// counterWrite is the cell PI writes for d into a cell holding cur: what
// the counter's unit counts taken from d, the rest kept from cur (bmv2
// counts both; PI's bmv2 target reads the cell and writes it back whole).
func counterWrite(d, cur *p4v1.CounterData, unit p4configv1.CounterSpec_Unit) *p4v1.CounterData {
	out := &p4v1.CounterData{ByteCount: d.GetByteCount(), PacketCount: d.GetPacketCount()}
	switch unit {
	case p4configv1.CounterSpec_BYTES:
		out.PacketCount = cur.GetPacketCount()
	case p4configv1.CounterSpec_PACKETS:
		out.ByteCount = cur.GetByteCount()
	}
	return out
}

// counterRead is what a read answers for a cell holding d: both counts in
// profile bmv2, whatever the unit (PI reads back what bmv2 counts); only
// what the unit counts in profile spec.
func (st *state) counterRead(d *p4v1.CounterData, unit p4configv1.CounterSpec_Unit) *p4v1.CounterData {
	if d == nil || st.dev.profile != ProfileSpec {
		return d
	}
	out := &p4v1.CounterData{}
	switch unit {
	case p4configv1.CounterSpec_BYTES:
		out.ByteCount = d.GetByteCount()
	case p4configv1.CounterSpec_PACKETS:
		out.PacketCount = d.GetPacketCount()
	default:
		out.ByteCount, out.PacketCount = d.GetByteCount(), d.GetPacketCount()
	}
	return out
}

// setCounter writes d into cell i of counter c as PI does (counterWrite);
// whole writes both counts (a DELETE, which PI turns into zeros for both).
func (st *state) setCounter(c *info.Counter, i int64, d *p4v1.CounterData, whole bool) error {
	if !whole && c.Unit != p4configv1.CounterSpec_BOTH {
		cur, err := st.prog.Counter(c, i)
		if err != nil {
			return err
		}
		d = counterWrite(d, cur, c.Unit)
	}
	return st.prog.SetCounter(c, i, d)
}

// setDirectCounter writes d into the direct counter of entry ref as
// setCounter does.
func (st *state) setDirectCounter(c *info.DirectCounter, ref EntryRef, d *p4v1.CounterData, whole bool) error {
	if !whole && c.Unit != p4configv1.CounterSpec_BOTH {
		cur, err := st.prog.DirectCounter(c, ref)
		if err != nil {
			return err
		}
		d = counterWrite(d, cur, c.Unit)
	}
	return st.prog.SetDirectCounter(c, ref, d)
}

func quote(s string) string { return `"` + s + `"` }

// isKind reports whether err wraps kind.
func isKind(err, kind error) bool { return errors.Is(err, kind) }
