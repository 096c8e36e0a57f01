package dataplane

import (
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/lime-p4/lime/bmv2/sim/dataplane/bmjson"
)

// bmv2 evaluates data expressions with infinite precision and truncates
// only when a value is stored into a field or register (JSON_format.md,
// "General information"). The compiler turns each expression into
// closures with two evaluation paths:
//
//   - fast: the value modulo 2^64 in a uint64. Addition, subtraction,
//     multiplication, left shift and the bitwise operators commute with
//     reduction modulo 2^64, so the fast path is exact for any store into
//     a field of at most 64 bits.
//   - big: the exact value as a big.Int, for operators that need exact
//     operands (comparisons, right shift, division, casts, truth tests)
//     when the operands may exceed 64 bits or be negative, and for
//     stores into wider fields.
//
// Each node carries an upper bound on the bit length of its value
// (bits, -1 when unbounded or possibly negative): when the bound is at
// most 64 the fast value is the exact value and no big arithmetic runs.

// dexpr is a compiled data expression.
type dexpr struct {
	fast  func(*pkt) uint64   // value mod 2^64; nil when unavailable
	big   func(*pkt) *big.Int // exact value, a fresh big.Int
	bits  int
	konst *big.Int // set for constants
}

// exact reports whether the fast path yields the exact value.
func (d *dexpr) exact() bool { return d.fast != nil && d.bits >= 0 && d.bits <= 64 }

// bigOf returns the exact-value closure, from the fast path when exact.
func (d *dexpr) bigOf() func(*pkt) *big.Int {
	if d.exact() {
		f := d.fast
		return func(p *pkt) *big.Int { return new(big.Int).SetUint64(f(p)) }
	}
	return d.big
}

// uintOf returns a closure giving the exact value as a uint64 when it
// fits (used for indices, shift amounts and widths); values that do not
// fit are reported as ok=false.
func (d *dexpr) uintOf() func(*pkt) (uint64, bool) {
	if d.exact() {
		f := d.fast
		return func(p *pkt) (uint64, bool) { return f(p), true }
	}
	b := d.big
	return func(p *pkt) (uint64, bool) {
		v := b(p)
		if v.Sign() < 0 || !v.IsUint64() {
			return 0, false
		}
		return v.Uint64(), true
	}
}

// hexpr is a compiled header-valued expression; typeName is the header
// type (all possible results share it).
type hexpr struct {
	fn       func(*pkt) int
	konst    int // header index when constant, else -1
	typeName string
}

// vtype is the kind of value an expression produces.
type vtype int

const (
	vData vtype = iota
	vBool
	vHeader
	vStack
	vUnion
	vUnionStack
	vUnknown
)

// cc is the compilation context of one code unit (action, parser state,
// conditional, ...): where it is, for messages, its parameters, and the
// register arrays it touches.
type cc struct {
	c      *compiled
	l      *layout
	pr     *problems
	where  string
	params []ActionParam
	regs   map[int]bool
}

func (x *cc) bad(format string, args ...any) {
	x.pr.bad("%s: %s", x.where, fmt.Sprintf(format, args...))
}

func (x *cc) unsup(format string, args ...any) {
	x.pr.unsup("%s: %s", x.where, fmt.Sprintf(format, args...))
}

// typeOf finds the kind of value tv evaluates to.
func (x *cc) typeOf(tv *bmjson.TypedValue) vtype {
	if tv == nil {
		return vUnknown
	}
	switch tv.Type {
	case "field", "hexstr", "local", "runtime_data", "register", "stack_field", "lookahead":
		return vData
	case "bool":
		return vBool
	case "header":
		return vHeader
	case "header_stack", "stack":
		return vStack
	case "header_union":
		return vUnion
	case "header_union_stack":
		return vUnionStack
	case "expression":
		e, err := tv.Expression()
		if err != nil {
			// An "expression" argument may wrap a plain typed value.
			if in, err2 := tv.Inner(); err2 == nil && in.Type != "" && in.Type != "expression" {
				return x.typeOf(in)
			}
			return vUnknown
		}
		switch e.Op {
		case "==", "!=", ">", "<", ">=", "<=", "and", "or", "not", "valid", "valid_union", "d2b":
			return vBool
		case "dereference_header_stack", "dereference_stack", "access_union_header":
			return vHeader
		case "dereference_union_stack":
			return vUnion
		case "?":
			return x.typeOf(e.Left)
		}
		return vData
	}
	return vUnknown
}

// unwrap returns the expression node of an "expression" value, or the
// plain typed value it wraps.
func (x *cc) unwrap(tv *bmjson.TypedValue) (*bmjson.Expr, *bmjson.TypedValue, error) {
	if tv.Type != "expression" {
		return nil, tv, nil
	}
	if in, err := tv.Inner(); err == nil && in.Type != "" && in.Type != "expression" {
		return nil, in, nil
	}
	e, err := tv.Expression()
	return e, nil, err
}

// constData makes a constant expression.
func constData(v *big.Int) dexpr {
	u := lowU64(v)
	bits := -1
	if v.Sign() >= 0 {
		bits = v.BitLen()
	}
	kv := new(big.Int).Set(v)
	return dexpr{
		fast:  func(*pkt) uint64 { return u },
		big:   func(*pkt) *big.Int { return new(big.Int).Set(kv) },
		bits:  bits,
		konst: kv,
	}
}

// fieldData loads field fi.
func (x *cc) fieldData(fi int) dexpr {
	f := x.l.fields[fi]
	l := x.l
	d := dexpr{big: func(p *pkt) *big.Int { return p.h.getBig(l, fi, new(big.Int)) }}
	switch {
	case f.vl:
		d.bits = -1
	case f.wide:
		slot := f.slot
		d.fast = func(p *pkt) uint64 { return lowU64(&p.h.w[slot]) }
		d.bits = f.width
	case f.signed:
		slot, w := f.slot, f.width
		d.fast = func(p *pkt) uint64 { return signExtend(p.h.u[slot], w) }
		d.bits = -1
	default:
		slot := f.slot
		d.fast = func(p *pkt) uint64 { return p.h.u[slot] }
		d.bits = f.width
	}
	if f.signed {
		d.bits = -1
	}
	return d
}

// dynFieldData loads a field chosen at run time (a stack element's
// field); all candidates have the same width and signedness.
func (x *cc) dynFieldData(fid func(*pkt) int, width int, signed bool) dexpr {
	l := x.l
	d := dexpr{
		fast: func(p *pkt) uint64 { return p.h.getU(l, fid(p)) },
		big:  func(p *pkt) *big.Int { return p.h.getBig(l, fid(p), new(big.Int)) },
		bits: width,
	}
	if signed {
		d.bits = -1
	}
	return d
}

// paramData loads action parameter i.
func (x *cc) paramData(i int) (dexpr, bool) {
	if i < 0 || i >= len(x.params) {
		x.bad("parameter %d referenced but the action has %d", i, len(x.params))
		return dexpr{}, false
	}
	w := x.params[i].Bitwidth
	d := dexpr{
		fast: func(p *pkt) uint64 { return p.ad.u[i] },
		bits: w,
	}
	if w > 64 {
		d.big = func(p *pkt) *big.Int { return new(big.Int).Set(p.ad.w[i]) }
	} else {
		d.big = func(p *pkt) *big.Int { return new(big.Int).SetUint64(p.ad.u[i]) }
	}
	return d, true
}

// data compiles tv as a data value.
func (x *cc) data(tv *bmjson.TypedValue) (dexpr, bool) {
	if tv == nil {
		x.bad("missing operand")
		return dexpr{}, false
	}
	switch tv.Type {
	case "hexstr":
		s, err := tv.String()
		if err != nil {
			x.bad("%v", err)
			return dexpr{}, false
		}
		v, err := bmjson.ParseHex(s)
		if err != nil {
			x.bad("%v", err)
			return dexpr{}, false
		}
		return constData(v), true
	case "field":
		r, err := tv.Field()
		if err != nil {
			x.bad("%v", err)
			return dexpr{}, false
		}
		if r.Field == "$valid$" {
			hi, ok := x.l.headerByName[r.Header]
			if !ok {
				x.bad("unknown header %q", r.Header)
				return dexpr{}, false
			}
			d := dexpr{fast: func(p *pkt) uint64 {
				if p.h.valid[hi] {
					return 1
				}
				return 0
			}, bits: 1}
			d.big = d.bigOf()
			return d, true
		}
		fi, ok := x.l.field(r)
		if !ok {
			x.bad("unknown field %s", r)
			return dexpr{}, false
		}
		return x.fieldData(fi), true
	case "local", "runtime_data":
		i, err := tv.Int()
		if err != nil {
			x.bad("%v", err)
			return dexpr{}, false
		}
		return x.paramData(i)
	case "register":
		cell, ok := x.registerOperand(tv)
		if !ok {
			return dexpr{}, false
		}
		return x.load(cell), true
	case "stack_field":
		fid, first, ok := x.lastStackField(tv)
		if !ok {
			return dexpr{}, false
		}
		f := x.l.fields[first]
		return x.dynFieldData(fid, f.width, f.signed), true
	case "expression":
		e, plain, err := x.unwrap(tv)
		if err != nil {
			x.bad("%v", err)
			return dexpr{}, false
		}
		if plain != nil {
			return x.data(plain)
		}
		return x.dataOp(e)
	case "bool":
		x.bad("boolean %s used as data (needs b2d)", tv.Value)
		return dexpr{}, false
	}
	x.unsup("data operand of type %q", tv.Type)
	return dexpr{}, false
}

// lastStackField resolves a stack_field operand, [stack, field], to "the
// field of the last valid element", as bmv2's stack_field: the field id at
// run time, and the id of the field in the stack's first element (which
// gives width and signedness).
func (x *cc) lastStackField(tv *bmjson.TypedValue) (func(*pkt) int, int, bool) {
	s, err := tv.Strings()
	if err != nil || len(s) != 2 {
		x.bad("stack_field %s: want [stack, field]", tv.Value)
		return nil, 0, false
	}
	si, pos, ok := x.l.stackField(s[0], s[1])
	if !ok {
		x.bad("unknown stack field %s.%s", s[0], s[1])
		return nil, 0, false
	}
	hs := x.l.stacks[si].headers
	l := x.l
	fid := func(p *pkt) int {
		i := p.h.next[si] - 1
		if i < 0 {
			i = 0
		}
		return l.headers[hs[i]].fields[pos]
	}
	return fid, l.headers[hs[0]].fields[pos], true
}

// registerOperand resolves a register operand, [name, index], to the
// register array and its cell (see registerCell).
func (x *cc) registerOperand(tv *bmjson.TypedValue) (lval, bool) {
	var arr []json.RawMessage
	var name string
	var idxTV bmjson.TypedValue
	if json.Unmarshal(tv.Value, &arr) != nil || len(arr) != 2 ||
		json.Unmarshal(arr[0], &name) != nil || json.Unmarshal(arr[1], &idxTV) != nil {
		x.bad("register operand %s: want [name, index]", tv.Value)
		return lval{}, false
	}
	ri, ok := x.c.registerByName[name]
	if !ok {
		x.bad("unknown register array %q", name)
		return lval{}, false
	}
	idx, ok := x.data(&idxTV)
	if !ok {
		return lval{}, false
	}
	return x.registerCell(ri, idx), true
}

// registerCell is the cell of register array ri at index idx; the array is
// locked while the action runs.
func (x *cc) registerCell(ri int, idx dexpr) lval {
	x.regs[ri] = true
	w := x.c.registers[ri].Bitwidth
	return lval{konst: -1, width: w, wide: w > 64, reg: ri, regIdx: idx.uintOf()}
}

// accessField resolves access_field(header, offset): the header, the
// field's offset in it and its declaration.
func (x *cc) accessField(e *bmjson.Expr) (hexpr, int, bmjson.FieldDecl, bool) {
	h, ok := x.header(e.Left)
	if !ok {
		return hexpr{}, 0, bmjson.FieldDecl{}, false
	}
	off, err := e.RightInt()
	if err != nil {
		x.bad("%v", err)
		return hexpr{}, 0, bmjson.FieldDecl{}, false
	}
	ht, ok := x.l.types[h.typeName]
	if !ok || off < 0 || off >= len(ht.Fields) {
		x.bad("access_field: no field at offset %d of header type %q", off, h.typeName)
		return hexpr{}, 0, bmjson.FieldDecl{}, false
	}
	return h, off, ht.Fields[off], true
}

// dataOp compiles an expression node producing data.
func (x *cc) dataOp(e *bmjson.Expr) (dexpr, bool) {
	right, err := e.RightValue()
	if err != nil && e.Op != "access_field" {
		x.bad("%v", err)
		return dexpr{}, false
	}
	switch e.Op {
	case "b2d":
		b, ok := x.boolean(right)
		if !ok {
			return dexpr{}, false
		}
		d := dexpr{fast: func(p *pkt) uint64 {
			if b(p) {
				return 1
			}
			return 0
		}, bits: 1}
		d.big = d.bigOf()
		return d, true
	case "?":
		cond, ok1 := x.boolean(e.Cond)
		a, ok2 := x.data(e.Left)
		b, ok3 := x.data(right)
		if !ok1 || !ok2 || !ok3 {
			return dexpr{}, false
		}
		d := dexpr{bits: -1}
		if a.bits >= 0 && b.bits >= 0 {
			d.bits = max(a.bits, b.bits)
		}
		if a.fast != nil && b.fast != nil {
			fa, fb := a.fast, b.fast
			d.fast = func(p *pkt) uint64 {
				if cond(p) {
					return fa(p)
				}
				return fb(p)
			}
		}
		ba, bb := a.bigOf(), b.bigOf()
		d.big = func(p *pkt) *big.Int {
			if cond(p) {
				return ba(p)
			}
			return bb(p)
		}
		return d, true
	case "~":
		a, ok := x.data(right)
		if !ok {
			return dexpr{}, false
		}
		d := dexpr{bits: -1}
		if a.fast != nil {
			fa := a.fast
			d.fast = func(p *pkt) uint64 { return ^fa(p) }
		}
		ba := a.bigOf()
		d.big = func(p *pkt) *big.Int { v := ba(p); return v.Not(v) }
		return d, true
	case "last_stack_index", "size_stack":
		si, ok := x.stack(right)
		if !ok {
			return dexpr{}, false
		}
		var d dexpr
		if e.Op == "size_stack" {
			d = dexpr{fast: func(p *pkt) uint64 { return uint64(p.h.next[si]) }, bits: 32}
		} else {
			// size_t arithmetic: an empty stack gives 2^64-1, as bmv2.
			d = dexpr{fast: func(p *pkt) uint64 { return uint64(p.h.next[si]) - 1 }, bits: 64}
		}
		d.big = d.bigOf()
		return d, true
	case "access_field":
		h, off, fd, ok := x.accessField(e)
		if !ok {
			return dexpr{}, false
		}
		if fd.Variable {
			x.unsup("reading variable-length field %q in an expression", fd.Name)
			return dexpr{}, false
		}
		l := x.l
		if h.konst >= 0 {
			return x.fieldData(l.headers[h.konst].fields[off]), true
		}
		hf := h.fn
		return x.dynFieldData(func(p *pkt) int { return l.headers[hf(p)].fields[off] }, fd.Width, fd.Signed), true
	}
	// Binary operators; unary + and - take 0 as left operand.
	var a dexpr
	var ok bool
	if e.Left == nil && (e.Op == "+" || e.Op == "-") {
		a, ok = constData(new(big.Int)), true
	} else {
		a, ok = x.data(e.Left)
	}
	b, okb := x.data(right)
	if !ok || !okb {
		return dexpr{}, false
	}
	return x.binData(e.Op, a, b)
}

// binData combines two data operands.
func (x *cc) binData(op string, a, b dexpr) (dexpr, bool) {
	ba, bb := a.bigOf(), b.bigOf()
	fa, fb := a.fast, b.fast
	both := fa != nil && fb != nil
	var d dexpr
	d.bits = -1
	switch op {
	case "+":
		if a.bits >= 0 && b.bits >= 0 {
			d.bits = max(a.bits, b.bits) + 1
		}
		if both {
			d.fast = func(p *pkt) uint64 { return fa(p) + fb(p) }
		}
		d.big = func(p *pkt) *big.Int { v := ba(p); return v.Add(v, bb(p)) }
	case "-":
		if both {
			d.fast = func(p *pkt) uint64 { return fa(p) - fb(p) }
		}
		d.big = func(p *pkt) *big.Int { v := ba(p); return v.Sub(v, bb(p)) }
	case "*":
		if a.bits >= 0 && b.bits >= 0 {
			d.bits = a.bits + b.bits
		}
		if both {
			d.fast = func(p *pkt) uint64 { return fa(p) * fb(p) }
		}
		d.big = func(p *pkt) *big.Int { v := ba(p); return v.Mul(v, bb(p)) }
	case "&":
		switch {
		case a.bits >= 0 && b.bits >= 0:
			d.bits = min(a.bits, b.bits)
		case a.bits >= 0:
			d.bits = a.bits
		case b.bits >= 0:
			d.bits = b.bits
		}
		if both {
			d.fast = func(p *pkt) uint64 { return fa(p) & fb(p) }
		}
		d.big = func(p *pkt) *big.Int { v := ba(p); return v.And(v, bb(p)) }
	case "|":
		if a.bits >= 0 && b.bits >= 0 {
			d.bits = max(a.bits, b.bits)
		}
		if both {
			d.fast = func(p *pkt) uint64 { return fa(p) | fb(p) }
		}
		d.big = func(p *pkt) *big.Int { v := ba(p); return v.Or(v, bb(p)) }
	case "^":
		if a.bits >= 0 && b.bits >= 0 {
			d.bits = max(a.bits, b.bits)
		}
		if both {
			d.fast = func(p *pkt) uint64 { return fa(p) ^ fb(p) }
		}
		d.big = func(p *pkt) *big.Int { v := ba(p); return v.Xor(v, bb(p)) }
	case "<<":
		su := b.uintOf()
		if a.bits >= 0 && b.exact() {
			switch {
			case b.konst != nil:
				d.bits = a.bits + int(b.konst.Int64())
			case b.bits <= 6:
				d.bits = a.bits + (1 << uint(b.bits)) - 1
			}
		}
		if fa != nil && b.exact() {
			d.fast = func(p *pkt) uint64 {
				s := fb(p)
				if s >= 64 {
					return 0
				}
				return fa(p) << s
			}
		}
		d.big = func(p *pkt) *big.Int {
			s, ok := su(p)
			v := ba(p)
			if !ok || s > 1<<20 {
				return v.SetInt64(0)
			}
			return v.Lsh(v, uint(s))
		}
	case ">>":
		su := b.uintOf()
		if a.bits >= 0 {
			d.bits = a.bits
		}
		if a.exact() && b.exact() {
			d.fast = func(p *pkt) uint64 {
				s := fb(p)
				if s >= 64 {
					return 0
				}
				return fa(p) >> s
			}
		}
		d.big = func(p *pkt) *big.Int {
			s, ok := su(p)
			v := ba(p)
			if !ok {
				s = 1 << 20
			}
			return v.Rsh(v, uint(s))
		}
	case "/", "%":
		if a.bits >= 0 {
			d.bits = a.bits
			if op == "%" && b.bits >= 0 {
				d.bits = min(a.bits, b.bits)
			}
		}
		div := op == "/"
		if a.exact() && b.exact() {
			d.fast = func(p *pkt) uint64 {
				y := fb(p)
				if y == 0 {
					return 0
				}
				if div {
					return fa(p) / y
				}
				return fa(p) % y
			}
		}
		d.big = func(p *pkt) *big.Int {
			v, y := ba(p), bb(p)
			if y.Sign() == 0 {
				return v.SetInt64(0)
			}
			if div {
				return v.Quo(v, y)
			}
			return v.Rem(v, y)
		}
	case "two_comp_mod", "usat_cast", "sat_cast":
		if b.konst == nil || !b.konst.IsInt64() || b.konst.Int64() <= 0 || b.konst.Int64() > 1<<16 {
			x.unsup("%s with a non-constant or out-of-range width", op)
			return dexpr{}, false
		}
		w := int(b.konst.Int64())
		switch op {
		case "two_comp_mod":
			if fa != nil && w <= 64 {
				d.fast = func(p *pkt) uint64 { return signExtend(fa(p)&maskU(w), w) }
			}
			d.big = func(p *pkt) *big.Int { return truncBig(ba(p), w, true) }
		case "usat_cast":
			d.bits = w
			d.big = func(p *pkt) *big.Int { v := ba(p); saturate(v, w, false); return v }
			if a.exact() && w <= 64 {
				m := maskU(w)
				d.fast = func(p *pkt) uint64 { return min(fa(p), m) }
			}
		case "sat_cast":
			d.big = func(p *pkt) *big.Int { v := ba(p); saturate(v, w, true); return v }
		}
	default:
		x.unsup("data operator %q", op)
		return dexpr{}, false
	}
	return d, true
}

// boolean compiles tv as a boolean.
func (x *cc) boolean(tv *bmjson.TypedValue) (func(*pkt) bool, bool) {
	if tv == nil {
		x.bad("missing boolean operand")
		return nil, false
	}
	if tv.Type == "bool" {
		v, err := tv.Bool()
		if err != nil {
			x.bad("%v", err)
			return nil, false
		}
		return func(*pkt) bool { return v }, true
	}
	if tv.Type != "expression" {
		x.bad("operand of type %q used as a boolean", tv.Type)
		return nil, false
	}
	e, plain, err := x.unwrap(tv)
	if err != nil {
		x.bad("%v", err)
		return nil, false
	}
	if plain != nil {
		return x.boolean(plain)
	}
	right, err := e.RightValue()
	if err != nil {
		x.bad("%v", err)
		return nil, false
	}
	switch e.Op {
	case "not":
		a, ok := x.boolean(right)
		if !ok {
			return nil, false
		}
		return func(p *pkt) bool { return !a(p) }, true
	case "and", "or":
		a, ok1 := x.boolean(e.Left)
		b, ok2 := x.boolean(right)
		if !ok1 || !ok2 {
			return nil, false
		}
		if e.Op == "and" {
			return func(p *pkt) bool { return a(p) && b(p) }, true
		}
		return func(p *pkt) bool { return a(p) || b(p) }, true
	case "d2b":
		a, ok := x.data(right)
		if !ok {
			return nil, false
		}
		if a.exact() {
			fa := a.fast
			return func(p *pkt) bool { return fa(p) != 0 }, true
		}
		ba := a.bigOf()
		return func(p *pkt) bool { return ba(p).Sign() != 0 }, true
	case "valid":
		h, ok := x.header(right)
		if !ok {
			return nil, false
		}
		if h.konst >= 0 {
			hi := h.konst
			return func(p *pkt) bool { return p.h.valid[hi] }, true
		}
		hf := h.fn
		return func(p *pkt) bool { return p.h.valid[hf(p)] }, true
	case "valid_union":
		u, ok := x.union(right)
		if !ok {
			return nil, false
		}
		l := x.l
		return func(p *pkt) bool {
			for _, hi := range l.unions[u(p)].headers {
				if p.h.valid[hi] {
					return true
				}
			}
			return false
		}, true
	case "?":
		cond, ok1 := x.boolean(e.Cond)
		a, ok2 := x.boolean(e.Left)
		b, ok3 := x.boolean(right)
		if !ok1 || !ok2 || !ok3 {
			return nil, false
		}
		return func(p *pkt) bool {
			if cond(p) {
				return a(p)
			}
			return b(p)
		}, true
	case "==", "!=", "<", ">", "<=", ">=":
		return x.compare(e.Op, e.Left, right)
	}
	x.unsup("boolean operator %q", e.Op)
	return nil, false
}

// compare compiles a comparison; == and != also compare booleans, headers
// and unions.
func (x *cc) compare(op string, l, r *bmjson.TypedValue) (func(*pkt) bool, bool) {
	neg := op == "!="
	switch x.typeOf(l) {
	case vBool:
		if op != "==" && op != "!=" {
			break
		}
		a, ok1 := x.boolean(l)
		b, ok2 := x.boolean(r)
		if !ok1 || !ok2 {
			return nil, false
		}
		return func(p *pkt) bool { return (a(p) == b(p)) != neg }, true
	case vHeader:
		if op != "==" && op != "!=" {
			break
		}
		a, ok1 := x.header(l)
		b, ok2 := x.header(r)
		if !ok1 || !ok2 {
			return nil, false
		}
		lay := x.l
		af, bf := a.fn, b.fn
		return func(p *pkt) bool { return headersEqual(p, lay, af(p), bf(p)) != neg }, true
	case vUnion:
		if op != "==" && op != "!=" {
			break
		}
		a, ok1 := x.union(l)
		b, ok2 := x.union(r)
		if !ok1 || !ok2 {
			return nil, false
		}
		lay := x.l
		return func(p *pkt) bool {
			ua, ub := lay.unions[a(p)].headers, lay.unions[b(p)].headers
			eq := len(ua) == len(ub)
			for i := 0; eq && i < len(ua); i++ {
				eq = headersEqual(p, lay, ua[i], ub[i])
			}
			return eq != neg
		}, true
	case vData:
		a, ok1 := x.data(l)
		b, ok2 := x.data(r)
		if !ok1 || !ok2 {
			return nil, false
		}
		if a.exact() && b.exact() {
			fa, fb := a.fast, b.fast
			switch op {
			case "==":
				return func(p *pkt) bool { return fa(p) == fb(p) }, true
			case "!=":
				return func(p *pkt) bool { return fa(p) != fb(p) }, true
			case "<":
				return func(p *pkt) bool { return fa(p) < fb(p) }, true
			case ">":
				return func(p *pkt) bool { return fa(p) > fb(p) }, true
			case "<=":
				return func(p *pkt) bool { return fa(p) <= fb(p) }, true
			case ">=":
				return func(p *pkt) bool { return fa(p) >= fb(p) }, true
			}
		}
		ba, bb := a.bigOf(), b.bigOf()
		var test func(int) bool
		switch op {
		case "==":
			test = func(c int) bool { return c == 0 }
		case "!=":
			test = func(c int) bool { return c != 0 }
		case "<":
			test = func(c int) bool { return c < 0 }
		case ">":
			test = func(c int) bool { return c > 0 }
		case "<=":
			test = func(c int) bool { return c <= 0 }
		default:
			test = func(c int) bool { return c >= 0 }
		}
		return func(p *pkt) bool { return test(ba(p).Cmp(bb(p))) }, true
	}
	x.unsup("comparison %q of these operands", op)
	return nil, false
}

// headersEqual compares two headers as bmv2's Header::cmp: both invalid,
// or both valid with equal fields.
func headersEqual(p *pkt, l *layout, a, b int) bool {
	if p.h.valid[a] != p.h.valid[b] {
		return false
	}
	if !p.h.valid[a] {
		return true
	}
	fa, fb := l.headers[a].fields, l.headers[b].fields
	if len(fa) != len(fb) {
		return false
	}
	var x, y big.Int
	for i := range fa {
		if p.h.getBig(l, fa[i], &x).Cmp(p.h.getBig(l, fb[i], &y)) != 0 {
			return false
		}
	}
	return true
}

// header compiles a header-valued operand.
func (x *cc) header(tv *bmjson.TypedValue) (hexpr, bool) {
	if tv == nil {
		x.bad("missing header operand")
		return hexpr{}, false
	}
	switch tv.Type {
	case "header":
		name, err := tv.String()
		if err != nil {
			x.bad("%v", err)
			return hexpr{}, false
		}
		hi, ok := x.l.headerByName[name]
		if !ok {
			x.bad("unknown header %q", name)
			return hexpr{}, false
		}
		return hexpr{fn: func(*pkt) int { return hi }, konst: hi, typeName: x.l.headers[hi].typeName}, true
	case "expression":
		e, plain, err := x.unwrap(tv)
		if err != nil {
			x.bad("%v", err)
			return hexpr{}, false
		}
		if plain != nil {
			return x.header(plain)
		}
		right, err := e.RightValue()
		if err != nil && e.Op != "access_union_header" {
			x.bad("%v", err)
			return hexpr{}, false
		}
		switch e.Op {
		case "dereference_header_stack", "dereference_stack":
			si, ok1 := x.stack(e.Left)
			idx, ok2 := x.data(right)
			if !ok1 || !ok2 {
				return hexpr{}, false
			}
			hs := x.l.stacks[si].headers
			iu := idx.uintOf()
			return hexpr{fn: func(p *pkt) int {
				i, ok := iu(p)
				if !ok || i >= uint64(len(hs)) {
					i = uint64(len(hs) - 1) // out of bounds: undefined in P4; use the last
				}
				return hs[i]
			}, konst: -1, typeName: x.l.stacks[si].typeName}, true
		case "access_union_header":
			u, ok := x.union(e.Left)
			if !ok {
				return hexpr{}, false
			}
			off, err := e.RightInt()
			if err != nil {
				x.bad("%v", err)
				return hexpr{}, false
			}
			l := x.l
			return hexpr{fn: func(p *pkt) int { return l.unions[u(p)].headers[off] }, konst: -1, typeName: x.unionMemberType(e.Left, off)}, true
		case "?":
			cond, ok1 := x.boolean(e.Cond)
			a, ok2 := x.header(e.Left)
			b, ok3 := x.header(right)
			if !ok1 || !ok2 || !ok3 {
				return hexpr{}, false
			}
			af, bf := a.fn, b.fn
			return hexpr{fn: func(p *pkt) int {
				if cond(p) {
					return af(p)
				}
				return bf(p)
			}, konst: -1, typeName: a.typeName}, true
		}
		x.unsup("header operator %q", e.Op)
		return hexpr{}, false
	}
	x.bad("operand of type %q used as a header", tv.Type)
	return hexpr{}, false
}

// unionMemberType finds the header type of a union member, for width
// lookups of access_field on it ("" when the union is not named).
func (x *cc) unionMemberType(tv *bmjson.TypedValue, off int) string {
	if tv != nil && tv.Type == "header_union" {
		if name, err := tv.String(); err == nil {
			if ui, ok := x.l.unionByName[name]; ok && off < len(x.l.unions[ui].headers) {
				return x.l.headers[x.l.unions[ui].headers[off]].typeName
			}
		}
	}
	return ""
}

// stack compiles a header stack operand (stacks are always named).
func (x *cc) stack(tv *bmjson.TypedValue) (int, bool) {
	if tv == nil || (tv.Type != "header_stack" && tv.Type != "stack") {
		x.bad("want a header stack operand")
		return 0, false
	}
	name, err := tv.String()
	if err != nil {
		x.bad("%v", err)
		return 0, false
	}
	si, ok := x.l.stackByName[name]
	if !ok {
		x.bad("unknown header stack %q", name)
		return 0, false
	}
	return si, true
}

// union compiles a header union operand.
func (x *cc) union(tv *bmjson.TypedValue) (func(*pkt) int, bool) {
	if tv == nil {
		x.bad("missing header union operand")
		return nil, false
	}
	switch tv.Type {
	case "header_union":
		name, err := tv.String()
		if err != nil {
			x.bad("%v", err)
			return nil, false
		}
		ui, ok := x.l.unionByName[name]
		if !ok {
			x.bad("unknown header union %q", name)
			return nil, false
		}
		return func(*pkt) int { return ui }, true
	case "expression":
		e, _, err := x.unwrap(tv)
		if err != nil || e == nil {
			x.bad("header union operand %s", tv.Value)
			return nil, false
		}
		if e.Op == "dereference_union_stack" {
			x.unsup("header union stacks (dereference_union_stack)")
			return nil, false
		}
		x.unsup("header union operator %q", e.Op)
		return nil, false
	}
	x.bad("operand of type %q used as a header union", tv.Type)
	return nil, false
}
