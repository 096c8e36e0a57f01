package info

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
)

// New indexes p. It checks that ids are unique, names unique within a kind,
// and every reference (action refs, implementation, direct resources, type
// names, action-profile tables) resolves; the first problem is returned as
// an *Error naming the object.
func New(p *p4configv1.P4Info, opts ...Option) (*Info, error) {
	o := options{rules: DefaultPortRules}
	for _, f := range opts {
		f(&o)
	}
	if err := o.rules.Validate(); err != nil {
		return nil, err
	}
	if p == nil {
		p = &p4configv1.P4Info{}
	}
	b := &builder{
		i: &Info{
			Proto:  p,
			Rules:  o.rules,
			byID:   map[uint32]Object{},
			byName: map[Kind]map[string]Object{},
		},
		aliasOwners: map[Kind]map[string]int{},
	}
	if err := b.build(); err != nil {
		return nil, err
	}
	return b.i, nil
}

type builder struct {
	i           *Info
	aliasOwners map[Kind]map[string]int // how many objects of a kind claim an alias
}

func pre(p *p4configv1.Preamble) Preamble {
	return Preamble{ID: p.GetId(), Name: p.GetName(), Alias: p.GetAlias(), Annotations: p.GetAnnotations()}
}

func (b *builder) add(o Object) error {
	p := o.Pre()
	if p.ID == 0 {
		return &Error{What: fmt.Sprintf("%s %q", o.Kind(), p.Name), Err: errors.New("id 0")}
	}
	if p.Name == "" {
		return &Error{What: fmt.Sprintf("%s 0x%08x", o.Kind(), p.ID), Err: errors.New("empty name")}
	}
	if prev, ok := b.i.byID[p.ID]; ok {
		return &Error{What: fmt.Sprintf("id 0x%08x", p.ID),
			Err: fmt.Errorf("used by %s %q and %s %q", prev.Kind(), prev.Pre().Name, o.Kind(), p.Name)}
	}
	b.i.byID[p.ID] = o
	names := b.i.byName[o.Kind()]
	if names == nil {
		names = map[string]Object{}
		b.i.byName[o.Kind()] = names
		b.aliasOwners[o.Kind()] = map[string]int{}
	}
	if _, ok := names[p.Name]; ok { // aliases are indexed only at the end
		return &Error{What: fmt.Sprintf("%s %q", o.Kind(), p.Name), Err: errors.New("name used twice")}
	}
	names[p.Name] = o
	if p.Alias != "" && p.Alias != p.Name {
		b.aliasOwners[o.Kind()][p.Alias]++
	}
	return nil
}

// finishAliases indexes each alias that one object alone claims and that is
// no other object's full name.
func (b *builder) finishAliases() {
	for _, o := range b.i.byID {
		p := o.Pre()
		if p.Alias == "" || p.Alias == p.Name || b.aliasOwners[o.Kind()][p.Alias] != 1 {
			continue
		}
		names := b.i.byName[o.Kind()]
		if _, taken := names[p.Alias]; !taken {
			names[p.Alias] = o
		}
	}
}

func (b *builder) build() error {
	p := b.i.Proto
	types := p.GetTypeInfo().GetNewTypes()

	value := func(owner *Preamble, id uint32, name string, width int32, tn *p4configv1.P4NamedType) (Value, error) {
		v := Value{ID: id, Name: name, Width: int(width), TypeName: tn.GetName()}
		var uri string
		if v.TypeName != "" {
			nt, ok := types[v.TypeName]
			if !ok {
				return v, &Error{What: fmt.Sprintf("%s/%s", owner.Name, name), Err: fmt.Errorf("type %q not in type_info", v.TypeName)}
			}
			if tr := nt.GetTranslatedType(); tr != nil {
				uri = tr.GetUri()
				if tr.GetSdnString() != nil {
					v.IsString = true
					v.Width = 0
				} else if v.Width == 0 {
					v.Width = int(tr.GetSdnBitwidth())
				}
			} else if v.Width == 0 {
				v.Width = bitstringWidth(nt.GetOriginalType(), types, 0)
			}
		}
		if !v.IsString && v.Width <= 0 {
			return v, &Error{What: fmt.Sprintf("%s/%s", owner.Name, name), Err: errors.New("no bit width")}
		}
		v.IsPort = b.i.Rules.isPortType(v.TypeName, uri) || b.i.Rules.matches(owner, name)
		return v, nil
	}
	indexIsPort := func(owner *Preamble, tn *p4configv1.P4NamedType) bool {
		var uri string
		if nt, ok := types[tn.GetName()]; ok {
			uri = nt.GetTranslatedType().GetUri()
		}
		return b.i.Rules.isPortType(tn.GetName(), uri) || b.i.Rules.matches(owner, "index")
	}
	matchFields := func(owner *Preamble, mfs []*p4configv1.MatchField) ([]*MatchField, map[uint32]*MatchField, map[string]*MatchField, error) {
		out := make([]*MatchField, 0, len(mfs))
		byID := map[uint32]*MatchField{}
		byName := map[string]*MatchField{}
		for _, mf := range mfs {
			v, err := value(owner, mf.GetId(), mf.GetName(), mf.GetBitwidth(), mf.GetTypeName())
			if err != nil {
				return nil, nil, nil, err
			}
			f := &MatchField{Value: v, MatchType: mf.GetMatchType(), OtherMatchType: mf.GetOtherMatchType(), Proto: mf}
			if f.MatchType == p4configv1.MatchField_UNSPECIFIED && f.OtherMatchType == "" {
				return nil, nil, nil, &Error{What: owner.Name + "/" + f.Name, Err: errors.New("no match type")}
			}
			if _, dup := byID[f.ID]; dup {
				return nil, nil, nil, &Error{What: owner.Name, Err: fmt.Errorf("match field id %d used twice", f.ID)}
			}
			if _, dup := byName[f.Name]; dup {
				return nil, nil, nil, &Error{What: owner.Name, Err: fmt.Errorf("match field %q used twice", f.Name)}
			}
			byID[f.ID], byName[f.Name] = f, f
			out = append(out, f)
		}
		return out, byID, byName, nil
	}

	for _, a := range p.GetActions() {
		x := &Action{Preamble: pre(a.GetPreamble()), Proto: a, paramByID: map[uint32]*Param{}, paramByName: map[string]*Param{}}
		for _, ap := range a.GetParams() {
			v, err := value(&x.Preamble, ap.GetId(), ap.GetName(), ap.GetBitwidth(), ap.GetTypeName())
			if err != nil {
				return err
			}
			pp := &Param{Value: v, Proto: ap}
			if _, dup := x.paramByID[pp.ID]; dup {
				return &Error{What: x.Name, Err: fmt.Errorf("param id %d used twice", pp.ID)}
			}
			if _, dup := x.paramByName[pp.Name]; dup {
				return &Error{What: x.Name, Err: fmt.Errorf("param %q used twice", pp.Name)}
			}
			x.paramByID[pp.ID], x.paramByName[pp.Name] = pp, pp
			x.Params = append(x.Params, pp)
		}
		if err := b.add(x); err != nil {
			return err
		}
		b.i.Actions = append(b.i.Actions, x)
	}
	for _, t := range p.GetTables() {
		x := &Table{Preamble: pre(t.GetPreamble()), Proto: t, Size: t.GetSize(), IsConst: t.GetIsConstTable(),
			HasInitial: t.GetHasInitialEntries(), IdleTimeout: t.GetIdleTimeoutBehavior() == p4configv1.Table_NOTIFY_CONTROL,
			scope: map[uint32]p4configv1.ActionRef_Scope{}}
		x.OneShot = slices.ContainsFunc(x.Annotations, isOneShot)
		var err error
		if x.Fields, x.fieldByID, x.fieldByName, err = matchFields(&x.Preamble, t.GetMatchFields()); err != nil {
			return err
		}
		for _, f := range x.Fields {
			switch f.MatchType {
			case p4configv1.MatchField_TERNARY, p4configv1.MatchField_RANGE, p4configv1.MatchField_OPTIONAL:
				x.NeedsPriority = true
			}
		}
		for _, ref := range t.GetActionRefs() {
			a := b.i.Action(ref.GetId())
			if a == nil {
				return &Error{What: "table " + x.Name, Err: fmt.Errorf("action ref 0x%08x is no action", ref.GetId())}
			}
			x.Actions = append(x.Actions, a)
			x.scope[a.ID] = ref.GetScope()
		}
		if id := t.GetConstDefaultActionId(); id != 0 {
			if x.ConstDefault = b.i.Action(id); x.ConstDefault == nil {
				return &Error{What: "table " + x.Name, Err: fmt.Errorf("const default action 0x%08x is no action", id)}
			}
		}
		if err := b.add(x); err != nil {
			return err
		}
		b.i.Tables = append(b.i.Tables, x)
	}
	for _, ap := range p.GetActionProfiles() {
		x := &ActionProfile{Preamble: pre(ap.GetPreamble()), Proto: ap, WithSelector: ap.GetWithSelector(),
			Size: ap.GetSize(), MaxGroupSize: ap.GetMaxGroupSize(), SumOfWeights: ap.GetSumOfWeights() != nil,
			MaxMemberWeight: ap.GetSumOfMembers().GetMaxMemberWeight(), WeightsDisallowed: ap.GetWeightsDisallowed()}
		for _, id := range ap.GetTableIds() {
			t := b.i.Table(id)
			if t == nil {
				return &Error{What: "action profile " + x.Name, Err: fmt.Errorf("table 0x%08x is no table", id)}
			}
			x.Tables = append(x.Tables, t)
			x.OneShot = x.OneShot || t.OneShot
		}
		if err := b.add(x); err != nil {
			return err
		}
		b.i.ActionProfiles = append(b.i.ActionProfiles, x)
	}
	for _, c := range p.GetCounters() {
		x := &Counter{Preamble: pre(c.GetPreamble()), Proto: c, Unit: c.GetSpec().GetUnit(), Size: c.GetSize()}
		x.IndexIsPort = indexIsPort(&x.Preamble, c.GetIndexTypeName())
		if err := b.add(x); err != nil {
			return err
		}
		b.i.Counters = append(b.i.Counters, x)
	}
	for _, c := range p.GetDirectCounters() {
		x := &DirectCounter{Preamble: pre(c.GetPreamble()), Proto: c, Unit: c.GetSpec().GetUnit(), Table: b.i.Table(c.GetDirectTableId())}
		if x.Table == nil {
			return &Error{What: "direct counter " + x.Name, Err: fmt.Errorf("table 0x%08x is no table", c.GetDirectTableId())}
		}
		if err := b.add(x); err != nil {
			return err
		}
		b.i.DirectCounters = append(b.i.DirectCounters, x)
	}
	for _, m := range p.GetMeters() {
		x := &Meter{Preamble: pre(m.GetPreamble()), Proto: m, Unit: m.GetSpec().GetUnit(), Type: m.GetSpec().GetType(), Size: m.GetSize()}
		x.IndexIsPort = indexIsPort(&x.Preamble, m.GetIndexTypeName())
		if err := b.add(x); err != nil {
			return err
		}
		b.i.Meters = append(b.i.Meters, x)
	}
	for _, m := range p.GetDirectMeters() {
		x := &DirectMeter{Preamble: pre(m.GetPreamble()), Proto: m, Unit: m.GetSpec().GetUnit(), Type: m.GetSpec().GetType(), Table: b.i.Table(m.GetDirectTableId())}
		if x.Table == nil {
			return &Error{What: "direct meter " + x.Name, Err: fmt.Errorf("table 0x%08x is no table", m.GetDirectTableId())}
		}
		if err := b.add(x); err != nil {
			return err
		}
		b.i.DirectMeters = append(b.i.DirectMeters, x)
	}
	for _, c := range p.GetControllerPacketMetadata() {
		x := &PacketMetadata{Preamble: pre(c.GetPreamble()), Proto: c, fieldByID: map[uint32]*MetadataField{}}
		for _, m := range c.GetMetadata() {
			v, err := value(&x.Preamble, m.GetId(), m.GetName(), m.GetBitwidth(), m.GetTypeName())
			if err != nil {
				return err
			}
			if _, dup := x.fieldByID[v.ID]; dup {
				return &Error{What: x.Name, Err: fmt.Errorf("metadata id %d used twice", v.ID)}
			}
			f := &MetadataField{Value: v, Proto: m}
			x.fieldByID[v.ID] = f
			x.Fields = append(x.Fields, f)
		}
		if err := b.add(x); err != nil {
			return err
		}
		b.i.PacketMeta = append(b.i.PacketMeta, x)
	}
	for _, vs := range p.GetValueSets() {
		x := &ValueSet{Preamble: pre(vs.GetPreamble()), Proto: vs, Size: vs.GetSize()}
		var err error
		if x.Fields, _, _, err = matchFields(&x.Preamble, vs.GetMatch()); err != nil {
			return err
		}
		if err := b.add(x); err != nil {
			return err
		}
		b.i.ValueSets = append(b.i.ValueSets, x)
	}
	for _, r := range p.GetRegisters() {
		x := &Register{Preamble: pre(r.GetPreamble()), Proto: r, Size: r.GetSize()}
		x.Width = bitstringWidth(r.GetTypeSpec(), types, 0)
		x.Signed = r.GetTypeSpec().GetBitstring().GetInt() != nil
		x.IndexIsPort = indexIsPort(&x.Preamble, r.GetIndexTypeName())
		if err := b.add(x); err != nil {
			return err
		}
		b.i.Registers = append(b.i.Registers, x)
	}
	for _, d := range p.GetDigests() {
		x := &Digest{Preamble: pre(d.GetPreamble()), Proto: d}
		if st := d.GetTypeSpec().GetStruct(); st != nil {
			spec, ok := p.GetTypeInfo().GetStructs()[st.GetName()]
			if !ok {
				return &Error{What: "digest " + x.Name, Err: fmt.Errorf("struct %q not in type_info", st.GetName())}
			}
			for k, m := range spec.GetMembers() {
				v, err := value(&x.Preamble, uint32(k+1), m.GetName(),
					int32(bitstringWidth(m.GetTypeSpec(), types, 0)), m.GetTypeSpec().GetNewType())
				if err != nil {
					return err
				}
				x.Members = append(x.Members, &v)
			}
		}
		if err := b.add(x); err != nil {
			return err
		}
		b.i.Digests = append(b.i.Digests, x)
	}
	for _, e := range p.GetExterns() {
		for _, in := range e.GetInstances() {
			x := &Extern{Preamble: pre(in.GetPreamble()), Proto: in, TypeID: e.GetExternTypeId(), TypeName: e.GetExternTypeName()}
			if err := b.add(x); err != nil {
				return err
			}
			b.i.Externs = append(b.i.Externs, x)
		}
	}
	// Links that need every object: implementations and direct resources.
	for _, t := range b.i.Tables {
		if id := t.Proto.GetImplementationId(); id != 0 {
			if t.Profile = b.i.ActionProfile(id); t.Profile == nil {
				return &Error{What: "table " + t.Name, Err: fmt.Errorf("implementation 0x%08x is no action profile", id)}
			}
		}
		for _, id := range t.Proto.GetDirectResourceIds() {
			switch o := b.i.byID[id].(type) {
			case *DirectCounter:
				t.DirectCounter = o
			case *DirectMeter:
				t.DirectMeter = o
			default:
				return &Error{What: "table " + t.Name, Err: fmt.Errorf("direct resource 0x%08x is no direct counter or meter", id)}
			}
		}
	}
	b.finishAliases()
	return nil
}

// bitstringWidth returns the width of a bit<W>/int<W> type spec, following
// new types (at most a few levels); 0 for anything else.
func bitstringWidth(ts *p4configv1.P4DataTypeSpec, types map[string]*p4configv1.P4NewTypeSpec, depth int) int {
	if ts == nil || depth > 8 {
		return 0
	}
	if bs := ts.GetBitstring(); bs != nil {
		switch {
		case bs.GetBit() != nil:
			return int(bs.GetBit().GetBitwidth())
		case bs.GetInt() != nil:
			return int(bs.GetInt().GetBitwidth())
		}
		return 0
	}
	if ts.GetBool() != nil {
		return 1
	}
	if nt := ts.GetNewType(); nt != nil {
		spec := types[nt.GetName()]
		if tr := spec.GetTranslatedType(); tr != nil {
			return int(tr.GetSdnBitwidth())
		}
		return bitstringWidth(spec.GetOriginalType(), types, depth+1)
	}
	return 0
}

// isOneShot recognises the @oneshot annotation (P4Runtime spec section
// 9.2.3: a table whose selector is programmed with one-shot action sets).
func isOneShot(annotation string) bool {
	a := strings.TrimSpace(annotation)
	return a == "@oneshot" || strings.HasPrefix(a, "@oneshot(")
}
