package dataplane

import (
	"fmt"
	"math"
	"math/big"
	"sort"

	"github.com/lime-p4/lime/bmv2/sim/dataplane/bmjson"
)

// maxControlNodes bounds the nodes one control pass may visit.
const maxControlNodes = 1 << 16

// nodeC is a node of a control flow graph: a table, a conditional or a
// direct action call.
type nodeC struct {
	name  string
	table *tableC

	cond         func(*pkt) bool
	condRegs     []int
	tNext, fNext *nodeC

	call     *actionC
	callNext *nodeC
}

// runControl runs a control from node n until its end or an exit.
func runControl(n *nodeC, p *pkt) {
	for steps := 0; n != nil && !p.exit && steps < maxControlNodes; steps++ {
		switch {
		case n.table != nil:
			n = n.table.apply(p)
		case n.cond != nil:
			for _, ri := range n.condRegs {
				p.st.regs[ri].mu.Lock()
			}
			v := n.cond(p)
			for j := len(n.condRegs) - 1; j >= 0; j-- {
				p.st.regs[n.condRegs[j]].mu.Unlock()
			}
			if v {
				n = n.tNext
			} else {
				n = n.fNext
			}
		default:
			n.call.run(p, emptyData)
			n = n.callNext
		}
	}
}

var emptyData = &actionData{}

// keyC is one field of a table key, placed at off in the lookup key.
type keyC struct {
	match MatchKind
	field int // field id, or -1 for a validity key
	hdr   int // header id of a validity key
	width int
	nb    int
	off   int
	mask  []byte
}

// tableKind selects the lookup structure.
type tableKind int

const (
	tkExact  tableKind = iota // exact and valid keys: one hash lookup
	tkMasked                  // lpm and/or ternary: tuple space search
	tkRange                   // range keys: priority-ordered scan
)

// tableC is a compiled table.
type tableC struct {
	info   *TableInfo
	keys   []keyC
	keyLen int
	kind   tableKind
	// lpmOnly: ranked by prefix length rather than priority.
	lpmOnly bool
	// actions are the table's actions (same order as info.Actions) and
	// their next nodes; hit/miss next nodes replace them when hitMiss.
	actions  []*actionC
	nexts    []*nodeC
	hitMiss  bool
	hitNext  *nodeC
	missNext *nodeC
	// noDefaultNext is where a miss goes when no default action is set
	// (indirect tables): bmv2's base_default_next.
	noDefaultNext *nodeC
	// defaultBind is the program's default entry.
	defaultBind *binding
	ap          int // action profile index, or -1
	meter       int // direct meter array index, or -1
	meterTarget int // field receiving the direct meter's colour
	index       int
}

// actionPos finds the position of action a in the table's action list.
func (t *tableC) actionPos(a *actionC) int {
	for i, x := range t.actions {
		if x == a {
			return i
		}
	}
	return -1
}

// nextFor returns the node following the table after running action a
// (hit or miss).
func (t *tableC) nextFor(a *actionC, hit bool) *nodeC {
	if t.hitMiss {
		if hit {
			return t.hitNext
		}
		return t.missNext
	}
	if i := t.actionPos(a); i >= 0 {
		return t.nexts[i]
	}
	return nil
}

// compileControls compiles both pipelines.
func (c *compiled) compileControls(doc *bmjson.Document, pr *problems) {
	if len(doc.Pipelines) != 2 {
		pr.unsup("%d pipelines (v1model has ingress and egress)", len(doc.Pipelines))
	}
	for i := range doc.Pipelines {
		jp := &doc.Pipelines[i]
		first := c.compilePipeline(jp, pr)
		switch jp.Name {
		case "ingress":
			c.ingress = first
		case "egress":
			c.egress = first
		default:
			pr.unsup("pipeline %q (v1model has ingress and egress)", jp.Name)
		}
	}
}

func (c *compiled) compilePipeline(jp *bmjson.Pipeline, pr *problems) *nodeC {
	nodes := map[string]*nodeC{}
	add := func(name string, n *nodeC) {
		if _, dup := nodes[name]; dup {
			pr.bad("pipeline %q: node %q declared twice", jp.Name, name)
		}
		nodes[name] = n
	}
	for i := range jp.ActionProfiles {
		c.compileActionProfile(jp, &jp.ActionProfiles[i], pr)
	}
	var tables []*tableC
	for i := range jp.Tables {
		t := c.compileTable(jp, &jp.Tables[i], pr)
		tables = append(tables, t)
		add(jp.Tables[i].Name, &nodeC{name: jp.Tables[i].Name, table: t})
	}
	for i := range jp.Conditionals {
		jc := &jp.Conditionals[i]
		x := &cc{c: c, l: c.l, pr: pr, where: fmt.Sprintf("conditional %q", jc.Name), regs: map[int]bool{}}
		cond, ok := x.boolean(&jc.Expression)
		if !ok {
			cond = func(*pkt) bool { return false }
		}
		n := &nodeC{name: jc.Name, cond: cond}
		for ri := range x.regs {
			n.condRegs = append(n.condRegs, ri)
		}
		sort.Ints(n.condRegs)
		add(jc.Name, n)
	}
	for i := range jp.ActionCalls {
		ac := &jp.ActionCalls[i]
		a, ok := c.actionByID[ac.ActionID]
		if !ok {
			pr.bad("action call %q: unknown action id %d", ac.Name, ac.ActionID)
			continue
		}
		if len(a.info.Params) > 0 {
			pr.bad("action call %q: action %q takes parameters", ac.Name, a.info.Name)
		}
		add(ac.Name, &nodeC{name: ac.Name, call: a})
	}
	resolve := func(where string, name *string) *nodeC {
		if name == nil {
			return nil
		}
		n, ok := nodes[*name]
		if !ok {
			pr.bad("%s: unknown next node %q", where, *name)
		}
		return n
	}
	for i := range jp.Tables {
		jt := &jp.Tables[i]
		t := tables[i]
		where := fmt.Sprintf("table %q", jt.Name)
		_, hasHit := jt.NextTables["__HIT__"]
		_, hasMiss := jt.NextTables["__MISS__"]
		if hasHit || hasMiss {
			if !hasHit || !hasMiss || len(jt.NextTables) != 2 {
				pr.bad("%s: next_tables must have both __HIT__ and __MISS__ and nothing else", where)
			}
			t.hitMiss = true
			t.hitNext = resolve(where, jt.NextTables["__HIT__"])
			t.missNext = resolve(where, jt.NextTables["__MISS__"])
		} else {
			for k, a := range t.info.Actions {
				nx, ok := jt.NextTables[a.Name]
				if !ok {
					pr.bad("%s: no next_tables entry for action %q", where, a.Name)
					continue
				}
				t.nexts[k] = resolve(where, nx)
			}
		}
		if t.hitMiss {
			t.noDefaultNext = t.missNext
		} else {
			t.noDefaultNext = resolve(where, jt.BaseDefaultNext)
		}
	}
	for i := range jp.Conditionals {
		jc := &jp.Conditionals[i]
		n := nodes[jc.Name]
		n.tNext = resolve(fmt.Sprintf("conditional %q", jc.Name), jc.TrueNext)
		n.fNext = resolve(fmt.Sprintf("conditional %q", jc.Name), jc.FalseNext)
	}
	for i := range jp.ActionCalls {
		ac := &jp.ActionCalls[i]
		if n, ok := nodes[ac.Name]; ok {
			n.callNext = resolve(fmt.Sprintf("action call %q", ac.Name), ac.NextNode)
		}
	}
	return resolve(fmt.Sprintf("pipeline %q", jp.Name), jp.InitTable)
}

func (c *compiled) compileActionProfile(jp *bmjson.Pipeline, ja *bmjson.ActionProfile, pr *problems) {
	if _, dup := c.apByName[ja.Name]; dup {
		pr.bad("action profile %q declared twice", ja.Name)
		return
	}
	info := &ActionProfileInfo{Name: ja.Name, ID: ja.ID, MaxSize: ja.MaxSize, index: len(c.aps)}
	ap := &apC{info: info}
	if ja.Selector != nil {
		info.Selector = true
		info.SelectorAlgo = ja.Selector.Algo
		for _, in := range ja.Selector.Input {
			if in.Type != "field" {
				pr.unsup("action selector %q: input of type %q", ja.Name, in.Type)
			}
		}
		ap.sel = c.compileCalc(ja.Name+" selector", ja.Selector.Algo, ja.Selector.Input, pr)
	}
	c.apByName[ja.Name] = len(c.aps)
	c.aps = append(c.aps, ap)
	c.prog.actionProfiles = append(c.prog.actionProfiles, info)
}

// compileTable compiles a table; next nodes are resolved by the caller.
func (c *compiled) compileTable(jp *bmjson.Pipeline, jt *bmjson.Table, pr *problems) *tableC {
	where := fmt.Sprintf("table %q", jt.Name)
	info := &TableInfo{Name: jt.Name, ID: jt.ID, Pipeline: jp.Name, SupportTimeout: jt.SupportTimeout, index: len(c.tables)}
	t := &tableC{info: info, ap: -1, meter: -1, index: len(c.tables)}
	if _, dup := c.tableByName[jt.Name]; dup {
		pr.bad("%s declared twice", where)
	}
	c.tableByName[jt.Name] = len(c.tables)
	c.tables = append(c.tables, t)
	c.prog.tables = append(c.prog.tables, info)

	// Key.
	hasRange, hasTernary, nLPM := false, false, 0
	off := 0
	for k := range jt.Key {
		je := &jt.Key[k]
		kc := keyC{field: -1, hdr: -1}
		kf := KeyField{Name: je.Name}
		switch je.MatchType {
		case "exact":
			kc.match = MatchExact
		case "lpm":
			kc.match = MatchLPM
			nLPM++
		case "ternary":
			kc.match = MatchTernary
			hasTernary = true
		case "range":
			kc.match = MatchRange
			hasRange = true
		case "valid":
			kc.match = MatchValid
		default:
			pr.unsup("%s: key match type %q", where, je.MatchType)
			continue
		}
		kf.Match = kc.match
		if kc.match == MatchValid {
			hname, err := je.TargetHeader()
			if err != nil {
				pr.bad("%s: %v", where, err)
				continue
			}
			hi, ok := c.l.headerByName[hname]
			if !ok {
				pr.bad("%s: key on unknown header %q", where, hname)
				continue
			}
			kc.hdr, kc.width = hi, 1
			kf.Target = hname
		} else {
			r, err := je.TargetField()
			if err != nil {
				pr.bad("%s: %v", where, err)
				continue
			}
			kf.Target = r.String()
			if r.Field == "$valid$" {
				hi, ok := c.l.headerByName[r.Header]
				if !ok {
					pr.bad("%s: key on unknown header %q", where, r.Header)
					continue
				}
				kc.hdr, kc.width = hi, 1
			} else {
				fi, ok := c.l.field(r)
				if !ok {
					pr.bad("%s: key on unknown field %s", where, r)
					continue
				}
				if c.l.fields[fi].vl {
					pr.unsup("%s: key on variable-length field %s", where, r)
					continue
				}
				kc.field, kc.width = fi, c.l.fields[fi].width
			}
		}
		if kf.Name == "" {
			kf.Name = kf.Target
		}
		kc.nb = nbytes(kc.width)
		kc.off = off
		off += kc.nb
		if je.Mask != nil {
			m, err := bmjson.HexBytes(*je.Mask)
			if err != nil || len(m) != kc.nb {
				pr.bad("%s: key %q: static mask %q must have %d bytes", where, kf.Name, *je.Mask, kc.nb)
			} else {
				kc.mask = m
				kf.Mask = m
			}
		}
		kf.Bitwidth = kc.width
		t.keys = append(t.keys, kc)
		info.Keys = append(info.Keys, kf)
	}
	t.keyLen = off
	if nLPM > 1 {
		pr.bad("%s has %d lpm key fields (at most one allowed)", where, nLPM)
	}
	switch {
	case hasRange:
		t.kind = tkRange
	case hasTernary || nLPM > 0:
		t.kind = tkMasked
		t.lpmOnly = !hasTernary
	default:
		t.kind = tkExact
	}
	info.NeedsPriority = hasRange || hasTernary

	// Size.
	switch {
	case jt.MaxSize != nil:
		info.MaxSize = *jt.MaxSize
	case jt.HasEntries:
		info.MaxSize = len(jt.Entries)
	default:
		pr.bad("%s has neither max_size nor entries", where)
	}

	// Actions.
	if len(jt.ActionIDs) > 0 {
		for _, id := range jt.ActionIDs {
			a, ok := c.actionByID[id]
			if !ok {
				pr.bad("%s: unknown action id %d", where, id)
				continue
			}
			t.actions = append(t.actions, a)
			info.Actions = append(info.Actions, a.info)
		}
	} else {
		for _, name := range jt.Actions {
			a, ok := c.actionByName[name]
			if !ok {
				pr.bad("%s: unknown action %q", where, name)
				continue
			}
			t.actions = append(t.actions, a)
			info.Actions = append(info.Actions, a.info)
		}
	}
	t.nexts = make([]*nodeC, len(t.actions))

	// Implementation.
	switch jt.Type {
	case "simple", "":
	case "indirect", "indirect_ws":
		ai, ok := c.apByName[jt.ActionProfile]
		if !ok {
			pr.bad("%s: unknown action profile %q", where, jt.ActionProfile)
			break
		}
		ap := c.aps[ai]
		if jt.Type == "indirect_ws" && ap.sel == nil && !ap.info.Selector {
			pr.bad("%s: indirect_ws table with action profile %q, which has no selector", where, jt.ActionProfile)
		}
		t.ap = ai
		info.ActionProfile = ap.info
		ap.info.Tables = append(ap.info.Tables, jt.Name)
		for _, a := range t.actions {
			if ap.info.Action(a.info.Name) == nil {
				ap.info.Actions = append(ap.info.Actions, a.info)
			}
		}
	default:
		pr.unsup("%s: implementation type %q", where, jt.Type)
	}

	// Direct resources.
	if jt.WithCounters {
		for _, ci := range c.prog.counters {
			if ci.Direct && ci.Table == jt.Name {
				info.DirectCounter = ci
			}
		}
		if info.DirectCounter == nil {
			// Older JSON files flag with_counters without a counter array.
			ci := &CounterInfo{Name: jt.Name, Direct: true, Table: jt.Name, Size: info.MaxSize, index: -1}
			c.prog.counters = append(c.prog.counters, ci)
			info.DirectCounter = ci
		}
	}
	if jt.DirectMeters != nil {
		mi, ok := c.meterByName[*jt.DirectMeters]
		if !ok || !c.prog.meters[mi].Direct {
			pr.bad("%s: unknown direct meter array %q", where, *jt.DirectMeters)
		} else {
			t.meter = mi
			info.DirectMeter = c.prog.meters[mi]
			t.meterTarget = c.meterTargets[mi]
		}
	}

	// Default entry.
	if de := jt.DefaultEntry; de != nil {
		a, ok := c.actionByID[de.ActionID]
		if !ok {
			pr.bad("%s: default entry with unknown action id %d", where, de.ActionID)
		} else if ad, raw, err := parseActionData(a.info, de.ActionData); err != nil {
			pr.bad("%s: default entry: %v", where, err)
		} else {
			if jt.Type != "simple" && jt.Type != "" && de.ActionConst {
				pr.bad("%s: action_const default entry on a table with an action profile", where)
			}
			t.defaultBind = &binding{kind: KindAction, act: a, ad: ad}
			info.DefaultAction = &ActionCall{Name: a.info.Name, Params: raw}
			info.DefaultActionConst = de.ActionConst
			info.DefaultEntryConst = de.ActionEntryConst
		}
	}

	// Const entries.
	if jt.HasEntries {
		info.Const = true
		if jt.Type != "simple" && jt.Type != "" {
			pr.bad("%s: const entries on a table with an action profile", where)
		}
		seen := map[string]bool{}
		for k := range jt.Entries {
			e, err := c.constEntry(t, &jt.Entries[k])
			if err == nil {
				var es *entryState
				if es, err = t.canon(&e); err == nil && seen[es.id] {
					err = fmt.Errorf("duplicate of an earlier entry")
				} else if err == nil {
					seen[es.id] = true
				}
			}
			if err != nil {
				pr.bad("%s: const entry %d: %v", where, k, err)
				continue
			}
			info.ConstEntries = append(info.ConstEntries, e)
		}
	}
	return t
}

// bmMaxPriority pivots bmv2 priorities (lower wins) into P4Runtime ones
// (higher wins), as PI does (pi_tables_imp.cpp, PriorityInverter).
const bmMaxPriority = math.MaxInt32

// constEntry converts a JSON const entry into an Entry.
func (c *compiled) constEntry(t *tableC, je *bmjson.ConstEntry) (Entry, error) {
	var e Entry
	if len(je.MatchKey) != len(t.keys) {
		return e, fmt.Errorf("%d key fields, the table has %d", len(je.MatchKey), len(t.keys))
	}
	for k, m := range je.MatchKey {
		kc := &t.keys[k]
		if m.MatchType != kc.match.String() {
			return e, fmt.Errorf("key field %d: match type %q, the table has %q", k, m.MatchType, kc.match)
		}
		hexField := func(s string) ([]byte, error) {
			b, err := bmjson.HexBytes(s)
			if err != nil {
				return nil, err
			}
			v, ok := fitBytes(b, kc.width)
			if !ok {
				return nil, fmt.Errorf("key field %d: %s does not fit %d bits", k, s, kc.width)
			}
			return v, nil
		}
		var fm FieldMatch
		switch kc.match {
		case MatchValid:
			b, err := m.KeyBool()
			if err != nil {
				return e, err
			}
			fm = Valid(b)
		case MatchExact, MatchLPM, MatchTernary:
			ks, err := m.KeyString()
			if err != nil {
				return e, err
			}
			v, err := hexField(ks)
			if err != nil {
				return e, err
			}
			fm.Value = v
			if kc.match == MatchLPM {
				fm.PrefixLen = m.PrefixLength
			}
			if kc.match == MatchTernary {
				mk, err := hexField(m.Mask)
				if err != nil {
					return e, err
				}
				fm.Mask = mk
			}
		case MatchRange:
			lo, err := hexField(m.Start)
			if err != nil {
				return e, err
			}
			hi, err := hexField(m.End)
			if err != nil {
				return e, err
			}
			fm = Range(lo, hi)
		}
		e.Match = append(e.Match, fm)
	}
	if t.info.NeedsPriority {
		if je.Priority < 0 {
			return e, fmt.Errorf("negative priority %d", je.Priority)
		}
		e.Priority = int32(bmMaxPriority - je.Priority)
	}
	a, ok := c.actionByID[je.ActionEntry.ActionID]
	if !ok {
		return e, fmt.Errorf("unknown action id %d", je.ActionEntry.ActionID)
	}
	_, raw, err := parseActionData(a.info, je.ActionEntry.ActionData)
	if err != nil {
		return e, err
	}
	e.Action = Action{Kind: KindAction, Call: ActionCall{Name: a.info.Name, Params: raw}}
	return e, nil
}

// parseActionData converts JSON hexstr action data.
func parseActionData(info *ActionInfo, hex []string) (*actionData, [][]byte, error) {
	if len(hex) != len(info.Params) {
		return nil, nil, fmt.Errorf("action %q takes %d parameters, got %d", info.Name, len(info.Params), len(hex))
	}
	raw := make([][]byte, len(hex))
	for i, h := range hex {
		b, err := bmjson.HexBytes(h)
		if err != nil {
			return nil, nil, err
		}
		raw[i] = b
	}
	ad, err := makeActionData(info, raw)
	if err != nil {
		return nil, nil, err
	}
	return ad, ad.raw, nil
}

// makeActionData checks parameter values against their widths.
func makeActionData(info *ActionInfo, params [][]byte) (*actionData, error) {
	if len(params) != len(info.Params) {
		return nil, fmt.Errorf("%w: action %q takes %d parameters, got %d", ErrInvalid, info.Name, len(info.Params), len(params))
	}
	ad := &actionData{u: make([]uint64, len(params)), w: make([]*big.Int, len(params)), raw: make([][]byte, len(params))}
	for i, v := range params {
		p := info.Params[i]
		b, ok := fitBytes(v, p.Bitwidth)
		if !ok {
			return nil, fmt.Errorf("%w: action %q parameter %q: value %x does not fit %d bits", ErrInvalid, info.Name, p.Name, v, p.Bitwidth)
		}
		ad.raw[i] = b
		if p.Bitwidth > 64 {
			ad.w[i] = new(big.Int).SetBytes(b)
			ad.u[i] = lowU64(ad.w[i])
		} else {
			ad.u[i] = bytesU64(b)
		}
	}
	return ad, nil
}
