package p4rt

import (
	"errors"
	"fmt"
	"math"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim/dataplane/bmjson"
	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/info"
)

// Pipeline is a forwarding pipeline config whose P4Info and bmv2 JSON were
// found to belong together: every P4Info object has its bmv2 JSON
// counterpart of the same name, with the same shape.
type Pipeline struct {
	// Info indexes the P4Info.
	Info *info.Info
	// JSON is the decoded device config.
	JSON *bmjson.Document
	// DeviceConfig is the device config as given (the bmv2 JSON bytes).
	DeviceConfig []byte
	// Tables maps each P4Info table id to its bmv2 JSON table.
	Tables map[uint32]*bmjson.Table
	// Actions maps each P4Info action id to a bmv2 JSON action of that name.
	Actions map[uint32]*bmjson.Action
	// DefaultActions holds, per table id, the action the program runs on a
	// miss (the bmv2 JSON default_entry), as a P4Runtime action.
	DefaultActions map[uint32]*p4v1.Action
	// ConstDefault is set for tables whose default entry may not change
	// (P4Info const_default_action_id, or bmv2 action_entry_const).
	ConstDefault map[uint32]bool
	// InitialEntries holds, per table id, the entries the program declares
	// (bmv2 JSON "entries"), canonical, with is_const set on const tables.
	InitialEntries map[uint32][]*p4v1.TableEntry

	// jsonActionNames maps bmv2 JSON action ids to names.
	jsonActionNames map[int]string
}

// priorityPivot is bmv2's PI priority pivot: PI maps a P4Runtime priority p
// to the bmv2 priority INT32_MAX - p (bmv2: lower is better), so a JSON
// const entry of priority q reads back as INT32_MAX - q.
const priorityPivot = math.MaxInt32

// Bind checks that a ForwardingPipelineConfig's P4Info and device config
// (a bmv2 JSON) belong together and indexes them. The error names the first
// object that does not match.
func Bind(cfg *p4v1.ForwardingPipelineConfig) (*Pipeline, error) {
	if cfg == nil || cfg.GetP4Info() == nil {
		return nil, errorf(ErrInvalid, "pipeline config has no P4Info")
	}
	inf, err := info.New(cfg.GetP4Info())
	if err != nil {
		return nil, errorf(ErrInvalid, "P4Info: %v", err)
	}
	if len(cfg.GetP4DeviceConfig()) == 0 {
		return nil, errorf(ErrInvalid, "pipeline config has no device config (bmv2 JSON)")
	}
	doc, err := bmjson.Decode(cfg.GetP4DeviceConfig())
	if err != nil {
		return nil, errorf(ErrInvalid, "device config: %v", err)
	}
	p := &Pipeline{
		Info:            inf,
		JSON:            doc,
		DeviceConfig:    cfg.GetP4DeviceConfig(),
		Tables:          map[uint32]*bmjson.Table{},
		Actions:         map[uint32]*bmjson.Action{},
		DefaultActions:  map[uint32]*p4v1.Action{},
		ConstDefault:    map[uint32]bool{},
		InitialEntries:  map[uint32][]*p4v1.TableEntry{},
		jsonActionNames: map[int]string{},
	}
	if err := p.bind(); err != nil {
		return nil, errorf(ErrInvalid, "P4Info and bmv2 JSON do not belong together: %v", err)
	}
	return p, nil
}

func (p *Pipeline) bind() error {
	doc := p.JSON
	actionsByName := map[string][]*bmjson.Action{}
	for i := range doc.Actions {
		a := &doc.Actions[i]
		actionsByName[a.Name] = append(actionsByName[a.Name], a)
		p.jsonActionNames[a.ID] = a.Name
	}
	tables := map[string]*bmjson.Table{}
	profiles := map[string]*bmjson.ActionProfile{}
	for i := range doc.Pipelines {
		pl := &doc.Pipelines[i]
		for j := range pl.Tables {
			tables[pl.Tables[j].Name] = &pl.Tables[j]
		}
		for j := range pl.ActionProfiles {
			profiles[pl.ActionProfiles[j].Name] = &pl.ActionProfiles[j]
		}
	}
	widths := p.fieldWidths()

	for _, a := range p.Info.Actions {
		cands := actionsByName[a.Name]
		if len(cands) == 0 {
			return fmt.Errorf("action %q: not in the bmv2 JSON", a.Name)
		}
		ja := cands[0]
		if len(ja.RuntimeData) != len(a.Params) {
			return fmt.Errorf("action %q: %d parameters in the P4Info, %d in the bmv2 JSON", a.Name, len(a.Params), len(ja.RuntimeData))
		}
		for i, prm := range a.Params {
			if prm.TypeName == "" && prm.Width != ja.RuntimeData[i].Bitwidth {
				return fmt.Errorf("action %q parameter %q: bitwidth %d in the P4Info, %d in the bmv2 JSON", a.Name, prm.Name, prm.Width, ja.RuntimeData[i].Bitwidth)
			}
		}
		p.Actions[a.ID] = ja
	}
	for _, ap := range p.Info.ActionProfiles {
		jp, ok := profiles[ap.Name]
		if !ok {
			return fmt.Errorf("action profile %q: not in the bmv2 JSON", ap.Name)
		}
		if ap.WithSelector != (jp.Selector != nil) {
			return fmt.Errorf("action profile %q: selector in the P4Info is %v, in the bmv2 JSON %v", ap.Name, ap.WithSelector, jp.Selector != nil)
		}
	}
	for _, t := range p.Info.Tables {
		jt, ok := tables[t.Name]
		if !ok {
			return fmt.Errorf("table %q: not in the bmv2 JSON", t.Name)
		}
		if err := p.bindTable(t, jt, widths); err != nil {
			return err
		}
	}
	counters := map[string]jsonArray{}
	for _, c := range doc.CounterArrays {
		counters[c.Name] = jsonArray{direct: c.IsDirect, size: c.Size}
	}
	for _, c := range p.Info.Counters {
		if err := checkIndirect("counter", c.Name, c.Size, counters); err != nil {
			return err
		}
	}
	for _, c := range p.Info.DirectCounters {
		if err := checkDirect("direct counter", c.Name, counters); err != nil {
			return err
		}
		if jt := p.Tables[c.Table.ID]; jt != nil && !jt.WithCounters {
			return fmt.Errorf("direct counter %q: table %q has no counters in the bmv2 JSON", c.Name, c.Table.Name)
		}
	}
	meters := map[string]jsonArray{}
	for _, m := range doc.MeterArrays {
		meters[m.Name] = jsonArray{direct: m.IsDirect, size: m.Size}
	}
	for _, m := range p.Info.Meters {
		if err := checkIndirect("meter", m.Name, m.Size, meters); err != nil {
			return err
		}
	}
	for _, m := range p.Info.DirectMeters {
		if err := checkDirect("direct meter", m.Name, meters); err != nil {
			return err
		}
	}
	registers := map[string]*bmjson.RegisterArray{}
	for i := range doc.RegisterArrays {
		registers[doc.RegisterArrays[i].Name] = &doc.RegisterArrays[i]
	}
	for _, r := range p.Info.Registers {
		jr, ok := registers[r.Name]
		switch {
		case !ok:
			return fmt.Errorf("register %q: not in the bmv2 JSON", r.Name)
		case jr.Size != int(r.Size):
			return fmt.Errorf("register %q: size %d in the P4Info, %d in the bmv2 JSON", r.Name, r.Size, jr.Size)
		case r.Width != 0 && jr.Bitwidth != r.Width:
			return fmt.Errorf("register %q: bitwidth %d in the P4Info, %d in the bmv2 JSON", r.Name, r.Width, jr.Bitwidth)
		}
	}
	learn := map[string]bool{}
	for _, l := range doc.LearnLists {
		learn[l.Name] = true
	}
	for _, d := range p.Info.Digests {
		if !learn[d.Name] {
			return fmt.Errorf("digest %q: no learn list of that name in the bmv2 JSON", d.Name)
		}
	}
	vsets := map[string]*bmjson.ParseVSet{}
	for i := range doc.ParseVSets {
		vsets[doc.ParseVSets[i].Name] = &doc.ParseVSets[i]
	}
	for _, vs := range p.Info.ValueSets {
		if _, ok := vsets[vs.Name]; !ok {
			return fmt.Errorf("value set %q: not in the bmv2 JSON", vs.Name)
		}
	}
	return nil
}

// jsonArray is what the P4Info is checked against in a counter or meter
// array of the bmv2 JSON.
type jsonArray struct {
	direct bool
	size   int
}

// checkIndirect checks an indirect counter or meter (kind) of the P4Info
// against the bmv2 JSON's array of that name.
func checkIndirect(kind, name string, size int64, arrays map[string]jsonArray) error {
	ja, ok := arrays[name]
	switch {
	case !ok:
		return fmt.Errorf("%s %q: not in the bmv2 JSON", kind, name)
	case ja.direct:
		return fmt.Errorf("%s %q: indirect in the P4Info, direct in the bmv2 JSON", kind, name)
	case int64(ja.size) != size:
		return fmt.Errorf("%s %q: size %d in the P4Info, %d in the bmv2 JSON", kind, name, size, ja.size)
	}
	return nil
}

// checkDirect checks that the bmv2 JSON has a direct array for a direct
// counter or meter (kind) of the P4Info.
func checkDirect(kind, name string, arrays map[string]jsonArray) error {
	if ja, ok := arrays[name]; !ok || !ja.direct {
		return fmt.Errorf("%s %q: no %s of that name in the bmv2 JSON", kind, name, kind)
	}
	return nil
}

// fieldWidths maps "header.field" to its bit width.
func (p *Pipeline) fieldWidths() map[string]int {
	types := map[string]*bmjson.HeaderType{}
	for i := range p.JSON.HeaderTypes {
		types[p.JSON.HeaderTypes[i].Name] = &p.JSON.HeaderTypes[i]
	}
	out := map[string]int{}
	for _, h := range p.JSON.Headers {
		ht := types[h.HeaderType]
		if ht == nil {
			continue
		}
		for _, f := range ht.Fields {
			out[h.Name+"."+f.Name] = f.Width
		}
	}
	for _, hs := range p.JSON.HeaderStacks {
		ht := types[hs.HeaderType]
		if ht == nil {
			continue
		}
		for _, f := range ht.Fields {
			out[hs.Name+"."+f.Name] = f.Width
		}
	}
	return out
}

var jsonMatchKinds = map[string]p4configv1.MatchField_MatchType{
	"exact":    p4configv1.MatchField_EXACT,
	"lpm":      p4configv1.MatchField_LPM,
	"ternary":  p4configv1.MatchField_TERNARY,
	"range":    p4configv1.MatchField_RANGE,
	"optional": p4configv1.MatchField_OPTIONAL,
}

func (p *Pipeline) bindTable(t *info.Table, jt *bmjson.Table, widths map[string]int) error {
	if len(jt.Key) != len(t.Fields) {
		return fmt.Errorf("table %q: %d key fields in the P4Info, %d in the bmv2 JSON", t.Name, len(t.Fields), len(jt.Key))
	}
	for i, f := range t.Fields {
		k := &jt.Key[i]
		mk, ok := jsonMatchKinds[k.MatchType]
		// p4c writes v1model's optional match kind as ternary in the bmv2 JSON.
		if ok && f.MatchType == p4configv1.MatchField_OPTIONAL && mk == p4configv1.MatchField_TERNARY {
			mk = f.MatchType
		}
		if ok && f.MatchType != p4configv1.MatchField_UNSPECIFIED && mk != f.MatchType {
			return fmt.Errorf("table %q key field %q: match kind %s in the P4Info, %s in the bmv2 JSON", t.Name, f.Name, f.MatchType, k.MatchType)
		}
		if f.TypeName != "" || k.MatchType == "valid" {
			continue
		}
		ref, err := k.TargetField()
		if err != nil {
			continue // an expression key: no width to compare
		}
		if w, ok := widths[ref.String()]; ok && w != f.Width {
			return fmt.Errorf("table %q key field %q: bitwidth %d in the P4Info, %d in the bmv2 JSON", t.Name, f.Name, f.Width, w)
		}
	}
	if t.Profile != nil {
		if jt.Type != "indirect" && jt.Type != "indirect_ws" {
			return fmt.Errorf("table %q: implemented by %q in the P4Info, direct in the bmv2 JSON", t.Name, t.Profile.Name)
		}
		if jt.ActionProfile != t.Profile.Name {
			return fmt.Errorf("table %q: implemented by %q in the P4Info, by %q in the bmv2 JSON", t.Name, t.Profile.Name, jt.ActionProfile)
		}
	}
	jactions := map[string]bool{}
	for _, n := range jt.Actions {
		jactions[n] = true
	}
	for _, a := range t.Actions {
		if !jactions[a.Name] {
			return fmt.Errorf("table %q: action %q of the P4Info is not an action of the bmv2 JSON table", t.Name, a.Name)
		}
	}
	p.Tables[t.ID] = jt
	if t.DirectMeter != nil && jt.DirectMeters == nil {
		return fmt.Errorf("table %q: direct meter %q has no bmv2 JSON counterpart", t.Name, t.DirectMeter.Name)
	}
	if de := jt.DefaultEntry; de != nil && t.Profile == nil {
		a, err := p.jsonAction(t, de.ActionID, de.ActionData)
		if err != nil {
			return fmt.Errorf("table %q default entry: %w", t.Name, err)
		}
		p.DefaultActions[t.ID] = a
		p.ConstDefault[t.ID] = de.ActionConst && de.ActionEntryConst
	}
	if t.ConstDefault != nil {
		p.ConstDefault[t.ID] = true
	}
	for i := range jt.Entries {
		e, err := p.jsonEntry(t, &jt.Entries[i])
		if err != nil {
			return fmt.Errorf("table %q entry %d: %w", t.Name, i, err)
		}
		p.InitialEntries[t.ID] = append(p.InitialEntries[t.ID], e)
	}
	return nil
}

// jsonAction converts a bmv2 JSON action call (id and hex data) into a
// P4Runtime action with canonical parameters.
func (p *Pipeline) jsonAction(t *info.Table, jsonID int, data []string) (*p4v1.Action, error) {
	name, ok := p.jsonActionNames[jsonID]
	if !ok {
		return nil, fmt.Errorf("bmv2 JSON action id %d is not defined", jsonID)
	}
	a := p.Info.ActionByName(name)
	if a == nil {
		return nil, fmt.Errorf("bmv2 JSON action %q is not in the P4Info", name)
	}
	if len(data) != len(a.Params) {
		return nil, fmt.Errorf("action %q: %d values for %d parameters", name, len(data), len(a.Params))
	}
	out := &p4v1.Action{ActionId: a.ID}
	for i, prm := range a.Params {
		v, err := bmjson.HexBytes(data[i])
		if err != nil {
			return nil, fmt.Errorf("action %q parameter %q: %w", name, prm.Name, err)
		}
		out.Params = append(out.Params, &p4v1.Action_Param{ParamId: prm.ID, Value: canonCopy(v)})
	}
	return out, nil
}

// jsonEntry converts one of a table's declared entries into a canonical
// P4Runtime table entry.
func (p *Pipeline) jsonEntry(t *info.Table, je *bmjson.ConstEntry) (*p4v1.TableEntry, error) {
	if len(je.MatchKey) != len(t.Fields) {
		return nil, fmt.Errorf("%d key values for %d key fields", len(je.MatchKey), len(t.Fields))
	}
	e := &p4v1.TableEntry{TableId: t.ID, IsConst: t.IsConst}
	for i, f := range t.Fields {
		m := &je.MatchKey[i]
		fm := &p4v1.FieldMatch{FieldId: f.ID}
		switch m.MatchType {
		case "exact":
			v, err := hexKey(m)
			if err != nil {
				return nil, err
			}
			fm.FieldMatchType = &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: v}}
		case "lpm":
			if m.PrefixLength == 0 {
				continue
			}
			v, err := hexKey(m)
			if err != nil {
				return nil, err
			}
			fm.FieldMatchType = &p4v1.FieldMatch_Lpm{Lpm: &p4v1.FieldMatch_LPM{Value: v, PrefixLen: int32(m.PrefixLength)}}
		case "ternary":
			v, err := hexKey(m)
			if err != nil {
				return nil, err
			}
			mask, err := bmjson.HexBytes(m.Mask)
			if err != nil {
				return nil, err
			}
			if canon.BitLen(mask) == 0 {
				continue
			}
			fm.FieldMatchType = &p4v1.FieldMatch_Ternary_{Ternary: &p4v1.FieldMatch_Ternary{Value: v, Mask: canonCopy(mask)}}
		case "range":
			lo, err := bmjson.HexBytes(m.Start)
			if err != nil {
				return nil, err
			}
			hi, err := bmjson.HexBytes(m.End)
			if err != nil {
				return nil, err
			}
			if errors.Is(canon.CheckRange(lo, hi, f.Width), canon.ErrDontCare) {
				continue
			}
			fm.FieldMatchType = &p4v1.FieldMatch_Range_{Range: &p4v1.FieldMatch_Range{Low: canonCopy(lo), High: canonCopy(hi)}}
		case "optional":
			v, err := hexKey(m)
			if err != nil {
				return nil, err
			}
			fm.FieldMatchType = &p4v1.FieldMatch_Optional_{Optional: &p4v1.FieldMatch_Optional{Value: v}}
		default:
			return nil, fmt.Errorf("key field %q: match type %q is not supported", f.Name, m.MatchType)
		}
		e.Match = append(e.Match, fm)
	}
	if t.NeedsPriority {
		e.Priority = int32(priorityPivot - je.Priority)
	}
	a, err := p.jsonAction(t, je.ActionEntry.ActionID, je.ActionEntry.ActionData)
	if err != nil {
		return nil, err
	}
	e.Action = &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: a}}
	return e, nil
}

func hexKey(m *bmjson.ConstMatch) ([]byte, error) {
	s, err := m.KeyString()
	if err != nil {
		return nil, err
	}
	v, err := bmjson.HexBytes(s)
	if err != nil {
		return nil, err
	}
	return canonCopy(v), nil
}

// canonCopy returns the canonical form of b in a new slice.
func canonCopy(b []byte) []byte { return append([]byte(nil), canonValue(b)...) }

// canonValue is b in canonical form, zero as one zero byte; it may alias b.
func canonValue(b []byte) []byte {
	if c := canon.Canonical(b); len(c) > 0 {
		return c
	}
	return []byte{0}
}
