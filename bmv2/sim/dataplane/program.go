package dataplane

import (
	"fmt"
	"sort"

	"github.com/lime-p4/lime/bmv2/sim/dataplane/bmjson"
)

// Program is a loaded, validated and compiled bmv2 JSON program for the
// v1model architecture (simple_switch). It is immutable and may back any
// number of Switches.
type Program struct {
	// Version is the JSON format version, Compiler the compiler that
	// wrote it, Name the P4 program (when the JSON records it).
	Version  [2]int
	Compiler string
	Name     string

	tables         []*TableInfo
	actions        []*ActionInfo
	actionProfiles []*ActionProfileInfo
	counters       []*CounterInfo
	meters         []*MeterInfo
	registers      []*RegisterInfo
	digests        []*DigestInfo
	valueSets      []*ValueSetInfo
	fieldLists     []*FieldListInfo

	c *compiled
}

// compiled is the executable form of a program.
type compiled struct {
	prog *Program
	l    *layout
	errs errorCodes
	std  stdFields

	actions      []*actionC
	actionByID   map[int]*actionC
	actionByName map[string]*actionC

	tables      []*tableC
	tableByName map[string]int

	aps      []*apC
	apByName map[string]int

	calcs      []*calcC
	calcByName map[string]int

	counterByName  map[string]int // indirect counters (index into prog.counters)
	meterByName    map[string]int
	meterTargets   map[int]int // direct meter -> result field
	registerByName map[string]int
	registers      []*RegisterInfo
	vsetByName     map[string]int
	vsets          []*ValueSetInfo
	learnByID      map[int]*learnC
	fieldListByID  map[int]*fieldListC

	parser   *parserC
	deparser *deparserC
	ingress  *nodeC
	egress   *nodeC
}

// learnC is a compiled learn list.
type learnC struct {
	info   *DigestInfo
	fields []int
}

// fieldListC is a compiled field list (fields kept across clone,
// resubmit and recirculate).
type fieldListC struct {
	fields []int
}

// Load parses, validates and compiles a bmv2 JSON program. It fails with
// an error naming every malformed reference, or with an *UnsupportedError
// listing every construct the dataplane cannot execute; nothing is
// silently skipped.
func Load(jsonBytes []byte) (*Program, error) {
	doc, err := bmjson.Decode(jsonBytes)
	if err != nil {
		return nil, fmt.Errorf("dataplane: %w", err)
	}
	return Compile(doc)
}

// Compile builds a Program from a decoded document (see Load).
func Compile(doc *bmjson.Document) (*Program, error) {
	if doc.Meta.Version[0] != 2 {
		return nil, fmt.Errorf("dataplane: bmv2 JSON version %v is not supported (want 2.x)", doc.Meta.Version)
	}
	p := &Program{Compiler: doc.Meta.Compiler, Name: doc.Program}
	p.Version[0] = doc.Meta.Version[0]
	if len(doc.Meta.Version) > 1 {
		p.Version[1] = doc.Meta.Version[1]
	}
	pr := &problems{}
	c := &compiled{
		prog:           p,
		actionByID:     map[int]*actionC{},
		actionByName:   map[string]*actionC{},
		tableByName:    map[string]int{},
		apByName:       map[string]int{},
		calcByName:     map[string]int{},
		counterByName:  map[string]int{},
		meterByName:    map[string]int{},
		meterTargets:   map[int]int{},
		registerByName: map[string]int{},
		vsetByName:     map[string]int{},
		learnByID:      map[int]*learnC{},
		fieldListByID:  map[int]*fieldListC{},
	}
	p.c = c
	c.l = buildLayout(doc, pr)
	c.errs = buildErrors(doc, pr)
	c.std = findStdFields(c.l, pr)
	c.checkUnsupportedTopLevel(doc, pr)
	c.compileHeaderLengths(doc, pr)
	c.compileStateful(doc, pr)
	for i := range doc.Calculations {
		jc := &doc.Calculations[i]
		if _, dup := c.calcByName[jc.Name]; dup {
			pr.bad("calculation %q declared twice", jc.Name)
		}
		c.calcByName[jc.Name] = len(c.calcs)
		c.calcs = append(c.calcs, c.compileCalc(jc.Name, jc.Algo, jc.Input, pr))
	}
	c.compileActions(doc, pr)
	c.compileParser(doc, pr)
	c.compileDeparser(doc, pr)
	c.compileControls(doc, pr)
	c.compileChecksums(doc, pr)
	c.compileLists(doc, pr)
	if err := pr.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// checkUnsupportedTopLevel reports document-level constructs the
// dataplane does not run.
func (c *compiled) checkUnsupportedTopLevel(doc *bmjson.Document, pr *problems) {
	for _, e := range doc.ExternInstances {
		pr.unsup("extern instance %q of type %q", e.Name, e.Type)
	}
	for _, us := range doc.HeaderUnionStacks {
		pr.unsup("header union stack %q", us.Name)
	}
}

// compileHeaderLengths handles length_exp of variable-length header
// types: bmv2 evaluates it against the header being extracted, which
// P4_16 never emits (p4c uses extract_VL); it is reported.
func (c *compiled) compileHeaderLengths(doc *bmjson.Document, pr *problems) {
	for _, ht := range doc.HeaderTypes {
		if ht.LengthExp != nil && !ht.LengthExp.IsNull() {
			pr.unsup("header type %q: length_exp for its variable-length field", ht.Name)
		}
	}
}

// compileStateful declares counters, meters, registers and value sets.
func (c *compiled) compileStateful(doc *bmjson.Document, pr *problems) {
	p := c.prog
	for _, jc := range doc.CounterArrays {
		ci := &CounterInfo{Name: jc.Name, ID: jc.ID, Size: jc.Size, Direct: jc.IsDirect, Table: jc.Binding, index: -1}
		if !jc.IsDirect {
			if _, dup := c.counterByName[jc.Name]; dup {
				pr.bad("counter array %q declared twice", jc.Name)
			}
			ci.index = len(c.counterByName)
			c.counterByName[jc.Name] = ci.index
		}
		p.counters = append(p.counters, ci)
	}
	for _, jm := range doc.MeterArrays {
		mi := &MeterInfo{Name: jm.Name, ID: jm.ID, Size: jm.Size, RateCount: jm.RateCount, Direct: jm.IsDirect, Table: jm.Binding, index: len(p.meters)}
		switch jm.Type {
		case "packets":
			mi.Unit = MeterPackets
		case "bytes":
			mi.Unit = MeterBytes
		default:
			pr.bad("meter array %q: type %q (want packets or bytes)", jm.Name, jm.Type)
		}
		if jm.RateCount != 2 {
			pr.unsup("meter array %q with %d rates (two-rate three-colour meters only)", jm.Name, jm.RateCount)
		}
		if _, dup := c.meterByName[jm.Name]; dup {
			pr.bad("meter array %q declared twice", jm.Name)
		}
		c.meterByName[jm.Name] = mi.index
		if jm.IsDirect {
			if jm.ResultTarget == nil {
				pr.bad("direct meter array %q has no result_target", jm.Name)
			} else if fi, ok := c.l.field(*jm.ResultTarget); !ok {
				pr.bad("direct meter array %q: unknown result field %s", jm.Name, *jm.ResultTarget)
			} else {
				c.meterTargets[mi.index] = fi
			}
		}
		p.meters = append(p.meters, mi)
	}
	for _, jr := range doc.RegisterArrays {
		ri := &RegisterInfo{Name: jr.Name, ID: jr.ID, Size: jr.Size, Bitwidth: jr.Bitwidth, index: len(p.registers)}
		if jr.Bitwidth <= 0 {
			pr.bad("register array %q: bitwidth %d", jr.Name, jr.Bitwidth)
		}
		if _, dup := c.registerByName[jr.Name]; dup {
			pr.bad("register array %q declared twice", jr.Name)
		}
		c.registerByName[jr.Name] = ri.index
		p.registers = append(p.registers, ri)
	}
	c.registers = p.registers
	for _, jv := range doc.ParseVSets {
		vi := &ValueSetInfo{Name: jv.Name, ID: jv.ID, Bitwidth: jv.CompressedBitwidth, MaxSize: jv.MaxSize, index: len(p.valueSets)}
		c.vsetByName[jv.Name] = vi.index
		p.valueSets = append(p.valueSets, vi)
	}
	c.vsets = p.valueSets
}

// compileActions compiles every action.
func (c *compiled) compileActions(doc *bmjson.Document, pr *problems) {
	for i := range doc.Actions {
		ja := &doc.Actions[i]
		info := &ActionInfo{Name: ja.Name, ID: ja.ID, index: len(c.actions)}
		for _, rd := range ja.RuntimeData {
			if rd.Bitwidth <= 0 {
				pr.bad("action %q: parameter %q has bitwidth %d", ja.Name, rd.Name, rd.Bitwidth)
			}
			info.Params = append(info.Params, ActionParam{Name: rd.Name, Bitwidth: rd.Bitwidth})
		}
		if _, dup := c.actionByID[ja.ID]; dup {
			pr.bad("action id %d used twice", ja.ID)
		}
		a := c.compileAction(info, ja.Primitives, fmt.Sprintf("action %q", ja.Name), pr)
		c.actions = append(c.actions, a)
		c.actionByID[ja.ID] = a
		if _, ok := c.actionByName[ja.Name]; !ok {
			c.actionByName[ja.Name] = a
		}
		c.prog.actions = append(c.prog.actions, info)
	}
}

// compileLists compiles learn lists and field lists.
func (c *compiled) compileLists(doc *bmjson.Document, pr *problems) {
	for _, jl := range doc.LearnLists {
		info := &DigestInfo{Name: jl.Name, ID: jl.ID, index: len(c.prog.digests)}
		lc := &learnC{info: info}
		for _, el := range jl.Elements {
			if el.Type != "field" {
				pr.unsup("learn list %q: element of type %q", jl.Name, el.Type)
				continue
			}
			r, err := el.Field()
			if err != nil {
				pr.bad("learn list %q: %v", jl.Name, err)
				continue
			}
			fi, ok := c.l.field(r)
			if !ok {
				pr.bad("learn list %q: unknown field %s", jl.Name, r)
				continue
			}
			lc.fields = append(lc.fields, fi)
			info.Fields = append(info.Fields, DigestField{Name: r.String(), Bitwidth: c.l.fields[fi].width})
		}
		if _, dup := c.learnByID[jl.ID]; dup {
			pr.bad("learn list id %d used twice", jl.ID)
		}
		c.learnByID[jl.ID] = lc
		c.prog.digests = append(c.prog.digests, info)
	}
	for _, jf := range doc.FieldLists {
		info := &FieldListInfo{Name: jf.Name, ID: jf.ID}
		fl := &fieldListC{}
		for _, el := range jf.Elements {
			if el.Type != "field" {
				pr.unsup("field list %q: element of type %q", jf.Name, el.Type)
				continue
			}
			r, err := el.Field()
			if err != nil {
				pr.bad("field list %q: %v", jf.Name, err)
				continue
			}
			fi, ok := c.l.field(r)
			if !ok {
				pr.bad("field list %q: unknown field %s", jf.Name, r)
				continue
			}
			fl.fields = append(fl.fields, fi)
			info.Fields = append(info.Fields, r.String())
		}
		c.fieldListByID[jf.ID] = fl
		c.prog.fieldLists = append(c.prog.fieldLists, info)
	}
}

// stdFields are the v1model fields simple_switch reads and writes (-1
// when the program lacks an optional one).
type stdFields struct {
	ingressPort, packetLength, instanceType, egressSpec, egressPort int
	parserError, checksumError                                      int
	mcastGrp, egressRid, priority                                   int
	ingressTS, egressTS                                             int
	enqTS, enqQdepth, deqTimedelta, deqQdepth, qid                  int
}

func findStdFields(l *layout, pr *problems) stdFields {
	req := func(name string) int {
		fi := l.lookupField("standard_metadata." + name)
		if fi < 0 {
			pr.bad("required field standard_metadata.%s is missing", name)
		}
		return fi
	}
	s := stdFields{
		ingressPort:   req("ingress_port"),
		packetLength:  req("packet_length"),
		instanceType:  req("instance_type"),
		egressSpec:    req("egress_spec"),
		egressPort:    req("egress_port"),
		parserError:   l.lookupField("standard_metadata.parser_error"),
		checksumError: l.lookupField("standard_metadata.checksum_error"),
		mcastGrp:      l.lookupField("intrinsic_metadata.mcast_grp"),
		egressRid:     l.lookupField("intrinsic_metadata.egress_rid"),
		priority:      l.lookupField("intrinsic_metadata.priority"),
		ingressTS:     l.lookupField("intrinsic_metadata.ingress_global_timestamp"),
		egressTS:      l.lookupField("intrinsic_metadata.egress_global_timestamp"),
		enqTS:         l.lookupField("queueing_metadata.enq_timestamp"),
		enqQdepth:     l.lookupField("queueing_metadata.enq_qdepth"),
		deqTimedelta:  l.lookupField("queueing_metadata.deq_timedelta"),
		deqQdepth:     l.lookupField("queueing_metadata.deq_qdepth"),
		qid:           l.lookupField("queueing_metadata.qid"),
	}
	return s
}

// Tables lists the tables (including the compiler's hidden ones, e.g.
// "tbl_act", which have no P4Info entry), in JSON order.
func (p *Program) Tables() []*TableInfo { return p.tables }

// Table returns the table with that name, or nil.
func (p *Program) Table(name string) *TableInfo {
	if i, ok := p.c.tableByName[name]; ok {
		return p.tables[i]
	}
	return nil
}

// Actions lists every action of the JSON, duplicates included.
func (p *Program) Actions() []*ActionInfo { return p.actions }

// Action returns the first action with that name, or nil.
func (p *Program) Action(name string) *ActionInfo {
	if a, ok := p.c.actionByName[name]; ok {
		return a.info
	}
	return nil
}

// ActionProfiles lists the action profiles and selectors.
func (p *Program) ActionProfiles() []*ActionProfileInfo { return p.actionProfiles }

// ActionProfile returns the action profile with that name, or nil.
func (p *Program) ActionProfile(name string) *ActionProfileInfo {
	if i, ok := p.c.apByName[name]; ok {
		return p.actionProfiles[i]
	}
	return nil
}

// Counters lists the counter arrays, direct ones included.
func (p *Program) Counters() []*CounterInfo { return p.counters }

// Counter returns the counter array with that name, or nil.
func (p *Program) Counter(name string) *CounterInfo {
	for _, c := range p.counters {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Meters lists the meter arrays, direct ones included.
func (p *Program) Meters() []*MeterInfo { return p.meters }

// Meter returns the meter array with that name, or nil.
func (p *Program) Meter(name string) *MeterInfo {
	if i, ok := p.c.meterByName[name]; ok {
		return p.meters[i]
	}
	return nil
}

// Registers lists the register arrays.
func (p *Program) Registers() []*RegisterInfo { return p.registers }

// Register returns the register array with that name, or nil.
func (p *Program) Register(name string) *RegisterInfo {
	if i, ok := p.c.registerByName[name]; ok {
		return p.registers[i]
	}
	return nil
}

// Digests lists the learn lists (P4Info digests).
func (p *Program) Digests() []*DigestInfo { return p.digests }

// Digest returns the learn list with that name, or nil.
func (p *Program) Digest(name string) *DigestInfo {
	for _, d := range p.digests {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// ValueSets lists the parser value sets.
func (p *Program) ValueSets() []*ValueSetInfo { return p.valueSets }

// ValueSet returns the value set with that name, or nil.
func (p *Program) ValueSet(name string) *ValueSetInfo {
	if i, ok := p.c.vsetByName[name]; ok {
		return p.valueSets[i]
	}
	return nil
}

// FieldLists lists the field lists.
func (p *Program) FieldLists() []*FieldListInfo { return p.fieldLists }

// HeaderNames lists the header instances, sorted (for diagnostics).
func (p *Program) HeaderNames() []string {
	n := make([]string, 0, len(p.c.l.headers))
	for _, h := range p.c.l.headers {
		n = append(n, h.name)
	}
	sort.Strings(n)
	return n
}
