package dataplane

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/lime-p4/lime/bmv2/sim/dataplane/bmjson"
)

// maxParseStates bounds the states one parse may visit; beyond it the
// parse stops with ParserTimeout (bmv2 has no bound).
const maxParseStates = 4096

// parseOp runs one parser operation at p.pos; it returns a parser error
// code, or noError.
type parseOp func(p *pkt) int

// parserC is the compiled parser.
type parserC struct {
	init   *pstateC
	states []*pstateC
	verify []*checksumC
}

// pstateC is a compiled parse state.
type pstateC struct {
	name  string
	ops   []parseOp
	regs  []int
	keys  []pkey
	cases []pcase
	dflt  *pstateC // nil: accept
}

// pkey is one element of a transition key.
type pkey struct {
	field    int // static field, or -1
	stackFid func(*pkt) int
	width    int
	lookOff  int // lookahead bit offset and width, when field < 0 and stackFid == nil
	lookBits int
}

// pcase is one select case: a value (and mask), or a value set.
type pcase struct {
	value, mask []byte
	vset        int // -1 unless a value set case
	next        *pstateC
}

// errorCodes maps error names to the program's values (bmv2 adds the core
// errors the program does not declare).
type errorCodes struct {
	byName map[string]int
	names  map[int]string
}

func buildErrors(doc *bmjson.Document, pr *problems) errorCodes {
	ec := errorCodes{byName: map[string]int{}, names: map[int]string{}}
	maxV := -1
	for _, e := range doc.Errors {
		if _, dup := ec.byName[e.Name]; dup {
			pr.bad("error %q declared twice", e.Name)
			continue
		}
		if _, dup := ec.names[e.Value]; dup {
			pr.bad("error value %d used twice", e.Value)
			continue
		}
		ec.byName[e.Name] = e.Value
		ec.names[e.Value] = e.Name
		maxV = max(maxV, e.Value)
	}
	next := maxV + 1
	for _, core := range []string{"NoError", "PacketTooShort", "NoMatch", "StackOutOfBounds", "HeaderTooShort", "ParserTimeout", "ParserInvalidArgument"} {
		if _, ok := ec.byName[core]; !ok {
			ec.byName[core] = next
			ec.names[next] = core
			next++
		}
	}
	return ec
}

func (c *compiled) compileParser(doc *bmjson.Document, pr *problems) {
	if len(doc.Parsers) == 0 {
		pr.bad("no parser")
		return
	}
	if len(doc.Parsers) > 1 {
		pr.unsup("%d parsers (v1model has one)", len(doc.Parsers))
	}
	jp := &doc.Parsers[0]
	pc := &parserC{}
	byName := map[string]*pstateC{}
	for i := range jp.ParseStates {
		s := &pstateC{name: jp.ParseStates[i].Name}
		if _, dup := byName[s.name]; dup {
			pr.bad("parse state %q declared twice", s.name)
		}
		byName[s.name] = s
		pc.states = append(pc.states, s)
	}
	ec := c.errs
	for i := range jp.ParseStates {
		js := &jp.ParseStates[i]
		s := pc.states[i]
		x := &cc{c: c, l: c.l, pr: pr, regs: map[int]bool{}}
		for k := range js.ParserOps {
			x.where = fmt.Sprintf("parse state %q, operation %d (%s)", s.name, k, js.ParserOps[k].Op)
			if op, ok := x.parserOp(&js.ParserOps[k], ec); ok {
				s.ops = append(s.ops, op)
			}
		}
		x.where = fmt.Sprintf("parse state %q, transition key", s.name)
		var widths []int
		for k := range js.TransitionKey {
			key, ok := x.transitionKey(&js.TransitionKey[k])
			if ok {
				s.keys = append(s.keys, key)
				widths = append(widths, key.width)
			}
		}
		keyLen := 0
		for _, w := range widths {
			keyLen += nbytes(w)
		}
		for k := range js.Transitions {
			t := &js.Transitions[k]
			var next *pstateC
			if t.NextState != nil {
				n, ok := byName[*t.NextState]
				if !ok {
					pr.bad("parse state %q: transition to unknown state %q", s.name, *t.NextState)
					continue
				}
				next = n
			}
			switch t.Kind() {
			case "default":
				s.dflt = next
			case "hexstr":
				v, err := bmjson.HexBytes(t.ValueString())
				if err != nil {
					pr.bad("parse state %q: %v", s.name, err)
					continue
				}
				if len(v) != keyLen {
					pr.bad("parse state %q: transition value %s has %d bytes, the key has %d", s.name, t.ValueString(), len(v), keyLen)
					continue
				}
				pcs := pcase{value: v, vset: -1, next: next}
				if t.Mask != nil {
					m, err := bmjson.HexBytes(*t.Mask)
					if err != nil || len(m) != keyLen {
						pr.bad("parse state %q: transition mask %q does not match the %d-byte key", s.name, *t.Mask, keyLen)
						continue
					}
					pcs.mask = m
					for b := range pcs.value {
						pcs.value[b] &= m[b]
					}
				}
				s.cases = append(s.cases, pcs)
			case "parse_vset":
				name := t.ValueString()
				vi, ok := c.vsetByName[name]
				if !ok {
					pr.bad("parse state %q: unknown value set %q", s.name, name)
					continue
				}
				c.vsets[vi].FieldWidths = widths
				pcs := pcase{vset: vi, next: next}
				if t.Mask != nil {
					m, err := bmjson.HexBytes(*t.Mask)
					if err != nil || len(m) != keyLen {
						pr.bad("parse state %q: value set mask %q does not match the %d-byte key", s.name, *t.Mask, keyLen)
						continue
					}
					pcs.mask = m
				}
				s.cases = append(s.cases, pcs)
			default:
				pr.unsup("parse state %q: transition of type %q", s.name, t.Type)
			}
		}
		for ri := range x.regs {
			s.regs = append(s.regs, ri)
		}
		sort.Ints(s.regs)
	}
	if jp.InitState != nil {
		s, ok := byName[*jp.InitState]
		if !ok {
			pr.bad("parser %q: unknown init state %q", jp.Name, *jp.InitState)
		}
		pc.init = s
	}
	c.parser = pc
}

// transitionKey compiles a transition key element.
func (x *cc) transitionKey(tv *bmjson.TypedValue) (pkey, bool) {
	switch tv.Type {
	case "field":
		r, err := tv.Field()
		if err != nil {
			x.bad("%v", err)
			return pkey{}, false
		}
		fi, ok := x.l.field(r)
		if !ok {
			x.bad("unknown field %s", r)
			return pkey{}, false
		}
		if x.l.fields[fi].vl {
			x.unsup("variable-length field %s in a transition key", r)
			return pkey{}, false
		}
		return pkey{field: fi, width: x.l.fields[fi].width}, true
	case "stack_field":
		fid, first, ok := x.lastStackField(tv)
		if !ok {
			return pkey{}, false
		}
		return pkey{field: -1, stackFid: fid, width: x.l.fields[first].width}, true
	case "lookahead":
		v, err := tv.Ints()
		if err != nil || len(v) != 2 || v[0] < 0 || v[1] <= 0 {
			x.bad("lookahead %s: want [offset, width]", tv.Value)
			return pkey{}, false
		}
		return pkey{field: -1, lookOff: v[0], lookBits: v[1], width: v[1]}, true
	case "union_stack_field":
		x.unsup("header union stack field in a transition key")
		return pkey{}, false
	}
	x.bad("transition key element of type %q", tv.Type)
	return pkey{}, false
}

// peek reads bits bits at bit offset off past the current position,
// right-aligned in nbytes(bits) bytes; bytes beyond the packet read as
// zero.
func (p *pkt) peek(off, bits int) []byte {
	need := nbytes(off + bits)
	src := p.data[p.pos():]
	if len(src) < need {
		tmp := make([]byte, need)
		copy(tmp, src)
		src = tmp
	}
	return getBitsBytes(src, off, bits)
}

// pos is the parse position: the bytes of data not in payload.
func (p *pkt) pos() int { return len(p.data) - len(p.payload) }

// advance consumes n bytes.
func (p *pkt) advance(n int) { p.payload = p.payload[n:] }

// parserOp compiles a parser operation.
func (x *cc) parserOp(op *bmjson.ParserOp, ec errorCodes) (parseOp, bool) {
	l := x.l
	tooShort := ec.byName["PacketTooShort"]
	invalidArg := ec.byName["ParserInvalidArgument"]
	hdrTooShort := ec.byName["HeaderTooShort"]
	outOfBounds := ec.byName["StackOutOfBounds"]
	ps := op.Parameters
	switch op.Op {
	case "extract", "extract_VL":
		want := 1
		if op.Op == "extract_VL" {
			want = 2
		}
		if len(ps) != want {
			x.bad("%s takes %d parameters", op.Op, want)
			return nil, false
		}
		var target func(p *pkt) (int, int) // header, stack (-1)
		var hi0 int
		switch ps[0].Type {
		case "regular":
			name, err := ps[0].String()
			if err != nil {
				x.bad("%v", err)
				return nil, false
			}
			hi, ok := l.headerByName[name]
			if !ok {
				x.bad("unknown header %q", name)
				return nil, false
			}
			hi0 = hi
			target = func(*pkt) (int, int) { return hi, -1 }
		case "stack":
			name, err := ps[0].String()
			if err != nil {
				x.bad("%v", err)
				return nil, false
			}
			si, ok := l.stackByName[name]
			if !ok || len(l.stacks[si].headers) == 0 {
				x.bad("unknown header stack %q", name)
				return nil, false
			}
			hs := l.stacks[si].headers
			hi0 = hs[0]
			target = func(p *pkt) (int, int) {
				if p.h.next[si] >= len(hs) {
					return -1, si
				}
				return hs[p.h.next[si]], si
			}
		default:
			x.unsup("extract into %q", ps[0].Type)
			return nil, false
		}
		h := &l.headers[hi0]
		var vlLen func(*pkt) (uint64, bool)
		if op.Op == "extract_VL" {
			if h.vlPos < 0 {
				x.bad("extract_VL into header %q, which has no variable-length field", h.name)
				return nil, false
			}
			if ps[1].Type != "expression" {
				x.bad("extract_VL length of type %q, want an expression", ps[1].Type)
				return nil, false
			}
			d, ok := x.data(&ps[1])
			if !ok {
				return nil, false
			}
			vlLen = d.uintOf()
		} else if h.vlPos >= 0 {
			if h.lengthExp == nil {
				x.bad("extract of header %q with a variable-length field but no length_exp (use extract_VL)", h.name)
				return nil, false
			}
			vlLen = h.lengthExp.uintOf()
		}
		fixed := h.fixedBits
		maxBytes := h.vlMaxBytes
		return func(p *pkt) int {
			hi, si := target(p)
			if hi < 0 {
				return outOfBounds
			}
			vlBytes := 0
			if vlLen != nil {
				bits, ok := vlLen(p)
				if !ok || bits%8 != 0 {
					return invalidArg
				}
				vlBytes = int(bits / 8)
			}
			n := nbytes(fixed) + vlBytes
			if len(p.payload) < n {
				return tooShort
			}
			if vlLen != nil && maxBytes != 0 && maxBytes < n {
				return hdrTooShort
			}
			if p.spans != nil {
				*p.spans = append(*p.spans, extracted{hdr: hi, at: p.pos(), vlBytes: vlBytes})
			}
			p.h.extractHeader(l, hi, p.payload, vlBytes)
			p.advance(n)
			if si >= 0 {
				p.h.next[si]++
			}
			return noError
		}, true
	case "set":
		if len(ps) != 2 {
			x.bad("set takes 2 parameters")
			return nil, false
		}
		if ps[0].Type != "field" {
			x.bad("set destination of type %q, want a field", ps[0].Type)
			return nil, false
		}
		dst, ok := x.lvalue(&ps[0])
		if !ok {
			return nil, false
		}
		if ps[1].Type == "lookahead" {
			v, err := ps[1].Ints()
			if err != nil || len(v) != 2 {
				x.bad("lookahead %s: want [offset, width]", ps[1].Value)
				return nil, false
			}
			off, bits := v[0], v[1]
			fi := dst.konst
			return func(p *pkt) int {
				if len(p.payload) < nbytes(off+bits) {
					return tooShort
				}
				p.h.setFieldBytes(l, fi, p.peek(off, bits))
				return noError
			}, true
		}
		src, ok := x.data(&ps[1])
		if !ok {
			return nil, false
		}
		st := x.store(dst, src)
		return func(p *pkt) int { st(p); return noError }, true
	case "verify":
		if len(ps) != 2 {
			x.bad("verify takes 2 parameters")
			return nil, false
		}
		cond, ok := x.boolean(&ps[0])
		if !ok {
			return nil, false
		}
		var code func(*pkt) int
		if n, err := ps[1].Int(); err == nil && ps[1].Type == "" {
			code = func(*pkt) int { return n }
		} else {
			d, ok := x.data(&ps[1])
			if !ok {
				return nil, false
			}
			du := d.uintOf()
			code = func(p *pkt) int { v, _ := du(p); return int(v) }
		}
		return func(p *pkt) int {
			if !cond(p) {
				return code(p)
			}
			return noError
		}, true
	case "shift":
		if len(ps) != 1 {
			x.bad("shift takes 1 parameter")
			return nil, false
		}
		n, err := ps[0].Int()
		if err != nil {
			x.bad("%v", err)
			return nil, false
		}
		return func(p *pkt) int {
			if len(p.payload) < n {
				return tooShort
			}
			p.advance(n)
			return noError
		}, true
	case "advance":
		if len(ps) != 1 {
			x.bad("advance takes 1 parameter")
			return nil, false
		}
		d, ok := x.data(&ps[0])
		if !ok {
			return nil, false
		}
		du := d.uintOf()
		return func(p *pkt) int {
			bits, ok := du(p)
			if !ok || bits%8 != 0 {
				return invalidArg
			}
			if uint64(len(p.payload)) < bits/8 {
				return tooShort
			}
			p.advance(int(bits / 8))
			return noError
		}, true
	case "primitive":
		prim, err := op.Method()
		if err != nil {
			x.bad("%v", err)
			return nil, false
		}
		pop, ok := x.primitive(prim)
		if !ok {
			return nil, false
		}
		return func(p *pkt) int { pop(p); return noError }, true
	}
	x.unsup("parser operation %q", op.Op)
	return nil, false
}

// parse runs the parser over p.data (bmv2 Parser::parse): on an error
// parsing stops, the headers extracted so far stay, and the error is
// recorded. Checksums are verified afterwards.
func (pc *parserC) parse(p *pkt) {
	p.payload = p.data
	p.errCode = p.c.errs.byName["NoError"]
	p.checksumErr = false
	s := pc.init
	for n := 0; s != nil; n++ {
		if n == maxParseStates {
			p.errCode = p.c.errs.byName["ParserTimeout"]
			break
		}
		next, code := s.run(p)
		if code != noError {
			p.errCode = code
			break
		}
		s = next
	}
	for _, ck := range pc.verify {
		if !ck.verifyOK(p) {
			p.checksumErr = true
		}
	}
}

// run executes a state's operations and selects the next state.
func (s *pstateC) run(p *pkt) (*pstateC, int) {
	for _, ri := range s.regs {
		p.st.regs[ri].mu.Lock()
	}
	code := noError
	for _, op := range s.ops {
		if code = op(p); code != noError {
			break
		}
	}
	for j := len(s.regs) - 1; j >= 0; j-- {
		p.st.regs[s.regs[j]].mu.Unlock()
	}
	if code != noError {
		return nil, code
	}
	if len(s.keys) == 0 {
		return s.dflt, noError
	}
	key := p.key[:0]
	for _, k := range s.keys {
		switch {
		case k.field >= 0:
			key = p.h.fieldBytes(p.l, k.field, key)
		case k.stackFid != nil:
			key = p.h.fieldBytes(p.l, k.stackFid(p), key)
		default:
			key = append(key, p.peek(k.lookOff, k.lookBits)...)
		}
	}
	p.key = key
	for i := range s.cases {
		cs := &s.cases[i]
		if cs.vset >= 0 {
			if p.st.vsets[cs.vset].contains(key, cs.mask, &p.mkey) {
				return cs.next, noError
			}
			continue
		}
		if cs.mask == nil {
			if bytes.Equal(key, cs.value) {
				return cs.next, noError
			}
			continue
		}
		match := true
		for b := range key {
			if key[b]&cs.mask[b] != cs.value[b] {
				match = false
				break
			}
		}
		if match {
			return cs.next, noError
		}
	}
	return s.dflt, noError
}
