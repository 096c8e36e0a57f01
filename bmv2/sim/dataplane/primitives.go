package dataplane

import (
	"fmt"
	"math/rand/v2"
	"sort"

	"github.com/lime-p4/lime/bmv2/sim/dataplane/bmjson"
)

// primOp executes one primitive call and returns the index of the next
// one to run, or -1 to continue with the following primitive.
type primOp func(p *pkt) int

// maxActionSteps bounds the primitives one action call may execute
// (_jump can loop; bmv2 has no bound).
const maxActionSteps = 1 << 16

// actionC is a compiled action (or parser/deparser method call).
type actionC struct {
	info *ActionInfo
	ops  []primOp
	regs []int // register arrays locked while the action runs
}

// run executes the action with parameter values ad.
func (a *actionC) run(p *pkt, ad *actionData) {
	p.ad = ad
	for _, ri := range a.regs {
		p.st.regs[ri].mu.Lock()
	}
	steps := 0
	for i := 0; i < len(a.ops) && steps < maxActionSteps; steps++ {
		if n := a.ops[i](p); n >= 0 {
			i = n
		} else {
			i++
		}
	}
	for j := len(a.regs) - 1; j >= 0; j-- {
		p.st.regs[a.regs[j]].mu.Unlock()
	}
}

// compileAction compiles the primitive calls of an action.
func (c *compiled) compileAction(info *ActionInfo, prims []bmjson.Primitive, where string, pr *problems) *actionC {
	x := &cc{c: c, l: c.l, pr: pr, where: where, params: info.Params, regs: map[int]bool{}}
	a := &actionC{info: info}
	for i := range prims {
		x.where = fmt.Sprintf("%s, primitive %d (%s)", where, i, prims[i].Op)
		if op, ok := x.primitive(&prims[i]); ok {
			a.ops = append(a.ops, op)
		}
	}
	for ri := range x.regs {
		a.regs = append(a.regs, ri)
	}
	sort.Ints(a.regs)
	return a
}

func (x *cc) nargs(pr *bmjson.Primitive, n int) bool {
	if len(pr.Parameters) != n {
		x.bad("primitive %q takes %d parameters, got %d", pr.Op, n, len(pr.Parameters))
		return false
	}
	return true
}

// named resolves a parameter that names an object ({"type": kind,
// "value": name}) through the given table.
func (x *cc) named(tv *bmjson.TypedValue, kind string, table map[string]int) (int, bool) {
	if tv.Type != kind {
		x.bad("want a %s parameter, got %q", kind, tv.Type)
		return 0, false
	}
	name, err := tv.String()
	if err != nil {
		x.bad("%v", err)
		return 0, false
	}
	i, ok := table[name]
	if !ok {
		x.bad("unknown %s %q", kind, name)
		return 0, false
	}
	return i, true
}

// primitive compiles one primitive call of simple_switch or bmv2's core.
func (x *cc) primitive(pr *bmjson.Primitive) (primOp, bool) {
	ps := pr.Parameters
	arg := func(i int) *bmjson.TypedValue { return &ps[i] }
	l := x.l
	c := x.c
	switch pr.Op {
	case "assign", "modify_field":
		if !x.nargs(pr, 2) {
			return nil, false
		}
		dst, ok1 := x.lvalue(arg(0))
		src, ok2 := x.data(arg(1))
		if !ok1 || !ok2 {
			return nil, false
		}
		st := x.store(dst, src)
		return func(p *pkt) int { st(p); return -1 }, true
	case "assign_VL":
		if !x.nargs(pr, 2) {
			return nil, false
		}
		dst, ok1 := x.lvalue(arg(0))
		src, ok2 := x.lvalue(arg(1))
		if !ok1 || !ok2 {
			return nil, false
		}
		if !dst.vl || !src.vl {
			x.bad("assign_VL needs variable-length fields")
			return nil, false
		}
		df, sf := dst.field, src.field
		return func(p *pkt) int {
			d, s := &l.fields[df(p)], &l.fields[sf(p)]
			p.h.vl[d.slot] = append(p.h.vl[d.slot][:0], p.h.vl[s.slot]...)
			return -1
		}, true
	case "add_to_field", "subtract_from_field":
		if !x.nargs(pr, 2) {
			return nil, false
		}
		dst, ok1 := x.lvalue(arg(0))
		src, ok2 := x.data(arg(1))
		if !ok1 || !ok2 {
			return nil, false
		}
		op := "+"
		if pr.Op == "subtract_from_field" {
			op = "-"
		}
		sum, ok := x.binData(op, x.load(dst), src)
		if !ok {
			return nil, false
		}
		st := x.store(dst, sum)
		return func(p *pkt) int { st(p); return -1 }, true
	case "add", "subtract", "bit_xor", "bit_or", "bit_and", "shift_left", "shift_right":
		if !x.nargs(pr, 3) {
			return nil, false
		}
		dst, ok1 := x.lvalue(arg(0))
		a, ok2 := x.data(arg(1))
		b, ok3 := x.data(arg(2))
		if !ok1 || !ok2 || !ok3 {
			return nil, false
		}
		op := map[string]string{"add": "+", "subtract": "-", "bit_xor": "^", "bit_or": "|",
			"bit_and": "&", "shift_left": "<<", "shift_right": ">>"}[pr.Op]
		v, ok := x.binData(op, a, b)
		if !ok {
			return nil, false
		}
		st := x.store(dst, v)
		return func(p *pkt) int { st(p); return -1 }, true
	case "modify_field_rng_uniform":
		if !x.nargs(pr, 3) {
			return nil, false
		}
		dst, ok1 := x.lvalue(arg(0))
		lo, ok2 := x.data(arg(1))
		hi, ok3 := x.data(arg(2))
		if !ok1 || !ok2 || !ok3 {
			return nil, false
		}
		lu, hu := lo.uintOf(), hi.uintOf()
		rnd := dexpr{fast: func(p *pkt) uint64 {
			a, _ := lu(p)
			b, _ := hu(p)
			if a > b {
				return 0
			}
			if a == 0 && b == ^uint64(0) {
				return rand.Uint64()
			}
			return a + rand.Uint64N(b-a+1)
		}, bits: 64}
		rnd.big = rnd.bigOf()
		st := x.store(dst, rnd)
		return func(p *pkt) int {
			a, _ := lu(p)
			b, _ := hu(p)
			if a > b { // bmv2 leaves the field untouched
				return -1
			}
			st(p)
			return -1
		}, true
	case "no_op":
		return func(*pkt) int { return -1 }, true
	case "drop", "mark_to_drop":
		if pr.Op == "mark_to_drop" && !x.nargs(pr, 1) {
			return nil, false
		}
		es, mg := c.std.egressSpec, c.std.mcastGrp
		if pr.Op == "mark_to_drop" {
			// mark_to_drop(standard_metadata): the fields of that header.
			h, ok := x.header(arg(0))
			if !ok || h.konst < 0 {
				x.bad("mark_to_drop needs the standard metadata header")
				return nil, false
			}
			name := l.headers[h.konst].name
			if fi, ok := l.fieldByName[name+".egress_spec"]; ok {
				es = fi
			} else {
				x.bad("header %q has no egress_spec field", name)
				return nil, false
			}
			if fi, ok := l.fieldByName[name+".mcast_grp"]; ok {
				mg = fi
			} else {
				mg = -1
			}
		}
		return func(p *pkt) int {
			p.h.setU(l, es, uint64(p.st.opts.DropPort))
			if mg >= 0 {
				p.h.setU(l, mg, 0)
			}
			return -1
		}, true
	case "exit":
		return func(p *pkt) int { p.exit = true; return -1 }, true
	case "_jump":
		if !x.nargs(pr, 1) {
			return nil, false
		}
		off, ok := x.data(arg(0))
		if !ok {
			return nil, false
		}
		ou := off.uintOf()
		return func(p *pkt) int { o, _ := ou(p); return int(o) }, true
	case "_jump_if_zero":
		if !x.nargs(pr, 2) {
			return nil, false
		}
		cond, ok1 := x.data(arg(0))
		off, ok2 := x.data(arg(1))
		if !ok1 || !ok2 {
			return nil, false
		}
		cb, ou := cond.bigOf(), off.uintOf()
		if cond.exact() {
			cf := cond.fast
			return func(p *pkt) int {
				if cf(p) == 0 {
					o, _ := ou(p)
					return int(o)
				}
				return -1
			}, true
		}
		return func(p *pkt) int {
			if cb(p).Sign() == 0 {
				o, _ := ou(p)
				return int(o)
			}
			return -1
		}, true
	case "assert", "assume":
		if !x.nargs(pr, 1) {
			return nil, false
		}
		where := x.where
		if x.typeOf(arg(0)) == vBool {
			cond, ok := x.boolean(arg(0))
			if !ok {
				return nil, false
			}
			return func(p *pkt) int {
				if !cond(p) && p.assertFail == "" {
					p.assertFail = where
				}
				return -1
			}, true
		}
		cond, ok := x.data(arg(0))
		if !ok {
			return nil, false
		}
		cb := cond.bigOf()
		return func(p *pkt) int {
			if cb(p).Sign() == 0 && p.assertFail == "" {
				p.assertFail = where
			}
			return -1
		}, true
	case "log_msg":
		// Messages go nowhere: bmv2 prints them only with --log-console.
		return func(*pkt) int { return -1 }, true
	case "generate_digest":
		if !x.nargs(pr, 2) {
			return nil, false
		}
		id, ok := x.data(arg(1))
		if !ok {
			return nil, false
		}
		iu := id.uintOf()
		return func(p *pkt) int { v, _ := iu(p); p.learnID = int(uint16(v)); return -1 }, true
	case "add_header", "add_header_fast", "remove_header":
		if !x.nargs(pr, 1) {
			return nil, false
		}
		h, ok := x.header(arg(0))
		if !ok {
			return nil, false
		}
		hf := h.fn
		switch pr.Op {
		case "add_header":
			return func(p *pkt) int {
				hi := hf(p)
				if !p.h.valid[hi] {
					p.h.zeroHeader(l, hi)
					p.h.setValid(l, hi, true)
					p.pktLen += p.h.headerBits(l, hi) / 8
				}
				return -1
			}, true
		case "add_header_fast":
			return func(p *pkt) int { p.h.setValid(l, hf(p), true); return -1 }, true
		default:
			return func(p *pkt) int {
				hi := hf(p)
				if p.h.valid[hi] {
					p.pktLen -= p.h.headerBits(l, hi) / 8
					p.h.valid[hi] = false
				}
				return -1
			}, true
		}
	case "assign_header", "copy_header":
		if !x.nargs(pr, 2) {
			return nil, false
		}
		d, ok1 := x.header(arg(0))
		s, ok2 := x.header(arg(1))
		if !ok1 || !ok2 {
			return nil, false
		}
		if d.typeName != s.typeName && d.typeName != "" && s.typeName != "" {
			x.bad("%s between header types %q and %q", pr.Op, d.typeName, s.typeName)
			return nil, false
		}
		df, sf := d.fn, s.fn
		return func(p *pkt) int { p.h.copyHeader(l, df(p), sf(p)); return -1 }, true
	case "assign_union":
		if !x.nargs(pr, 2) {
			return nil, false
		}
		d, ok1 := x.union(arg(0))
		s, ok2 := x.union(arg(1))
		if !ok1 || !ok2 {
			return nil, false
		}
		return func(p *pkt) int {
			dh, sh := l.unions[d(p)].headers, l.unions[s(p)].headers
			for i := range dh {
				p.h.copyHeader(l, dh[i], sh[i])
			}
			return -1
		}, true
	case "assign_header_stack":
		if !x.nargs(pr, 2) {
			return nil, false
		}
		d, ok1 := x.stack(arg(0))
		s, ok2 := x.stack(arg(1))
		if !ok1 || !ok2 {
			return nil, false
		}
		return func(p *pkt) int {
			p.h.next[d] = p.h.next[s]
			dh, sh := l.stacks[d].headers, l.stacks[s].headers
			for i := range dh {
				p.h.copyHeader(l, dh[i], sh[i])
			}
			return -1
		}, true
	case "push", "pop":
		if !x.nargs(pr, 2) {
			return nil, false
		}
		if arg(0).Type == "header_union_stack" {
			x.unsup("%s on a header union stack", pr.Op)
			return nil, false
		}
		si, ok1 := x.stack(arg(0))
		n, ok2 := x.data(arg(1))
		if !ok1 || !ok2 {
			return nil, false
		}
		nu := n.uintOf()
		push := pr.Op == "push"
		return func(p *pkt) int {
			k, ok := nu(p)
			if !ok || k > 1<<16 {
				k = 1 << 16
			}
			if push {
				p.h.pushFront(l, si, int(k))
			} else {
				p.h.popFront(l, si, int(k))
			}
			return -1
		}, true
	case "clone_ingress_pkt_to_egress", "clone_egress_pkt_to_egress":
		if !x.nargs(pr, 2) {
			return nil, false
		}
		sess, ok1 := x.data(arg(0))
		fl, ok2 := x.data(arg(1))
		if !ok1 || !ok2 {
			return nil, false
		}
		su, fu := sess.uintOf(), fl.uintOf()
		return func(p *pkt) int {
			s, _ := su(p)
			f, _ := fu(p)
			p.cloneSet = true
			p.cloneSession = uint32(uint16(s)) & 0x7fff
			p.cloneFL = int(uint16(f))
			return -1
		}, true
	case "resubmit", "recirculate":
		if !x.nargs(pr, 1) {
			return nil, false
		}
		fl, ok := x.data(arg(0))
		if !ok {
			return nil, false
		}
		fu := fl.uintOf()
		if pr.Op == "resubmit" {
			return func(p *pkt) int { f, _ := fu(p); p.resubmit, p.resubmitFL = true, int(uint16(f)); return -1 }, true
		}
		return func(p *pkt) int { f, _ := fu(p); p.recirc, p.recircFL = true, int(uint16(f)); return -1 }, true
	case "truncate":
		if !x.nargs(pr, 1) {
			return nil, false
		}
		n, ok := x.data(arg(0))
		if !ok {
			return nil, false
		}
		nu := n.uintOf()
		return func(p *pkt) int {
			v, ok := nu(p)
			if ok && (p.truncLen < 0 || v < uint64(p.truncLen)) {
				p.truncLen = int(min(v, 1<<30))
			}
			return -1
		}, true
	case "modify_field_with_hash_based_offset":
		if !x.nargs(pr, 4) {
			return nil, false
		}
		dst, ok1 := x.lvalue(arg(0))
		base, ok2 := x.data(arg(1))
		ci, ok3 := x.named(arg(2), "calculation", c.calcByName)
		size, ok4 := x.data(arg(3))
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil, false
		}
		bu, su := base.uintOf(), size.uintOf()
		calc := c.calcs[ci]
		v := dexpr{fast: func(p *pkt) uint64 {
			b, _ := bu(p)
			s, _ := su(p)
			if s == 0 {
				s = 1
			}
			return calc.output(p)%s + b
		}, bits: 64}
		v.big = v.bigOf()
		st := x.store(dst, v)
		return func(p *pkt) int { st(p); return -1 }, true
	case "count":
		if !x.nargs(pr, 2) {
			return nil, false
		}
		ci, ok1 := x.named(arg(0), "counter_array", c.counterByName)
		idx, ok2 := x.data(arg(1))
		if !ok1 || !ok2 {
			return nil, false
		}
		iu := idx.uintOf()
		return func(p *pkt) int {
			if i, ok := iu(p); ok {
				p.st.counters[ci].add(i, uint64(p.ingressLen))
			}
			return -1
		}, true
	case "execute_meter":
		if !x.nargs(pr, 3) {
			return nil, false
		}
		mi, ok1 := x.named(arg(0), "meter_array", c.meterByName)
		idx, ok2 := x.data(arg(1))
		dst, ok3 := x.lvalue(arg(2))
		if !ok1 || !ok2 || !ok3 {
			return nil, false
		}
		iu := idx.uintOf()
		col := dexpr{fast: func(p *pkt) uint64 {
			i, ok := iu(p)
			if !ok {
				return 0
			}
			return uint64(p.st.meters[mi].execute(i, p))
		}, bits: 2}
		col.big = col.bigOf()
		st := x.store(dst, col)
		return func(p *pkt) int {
			// An out-of-range index updates neither meter nor field.
			if i, ok := iu(p); ok && i < uint64(len(p.st.meters[mi].cells)) {
				st(p)
			}
			return -1
		}, true
	case "register_read":
		if !x.nargs(pr, 3) {
			return nil, false
		}
		dst, ok1 := x.lvalue(arg(0))
		ri, ok2 := x.named(arg(1), "register_array", c.registerByName)
		idx, ok3 := x.data(arg(2))
		if !ok1 || !ok2 || !ok3 {
			return nil, false
		}
		cell := x.registerCell(ri, idx)
		iu := cell.regIdx
		st := x.store(dst, x.load(cell))
		return func(p *pkt) int {
			if i, ok := iu(p); ok && i < uint64(p.st.regs[ri].size) {
				st(p)
			}
			return -1
		}, true
	case "register_write":
		if !x.nargs(pr, 3) {
			return nil, false
		}
		ri, ok1 := x.named(arg(0), "register_array", c.registerByName)
		idx, ok2 := x.data(arg(1))
		src, ok3 := x.data(arg(2))
		if !ok1 || !ok2 || !ok3 {
			return nil, false
		}
		st := x.store(x.registerCell(ri, idx), src)
		return func(p *pkt) int { st(p); return -1 }, true
	}
	x.unsup("primitive %q", pr.Op)
	return nil, false
}
