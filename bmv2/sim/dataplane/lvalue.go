package dataplane

import (
	"math/big"

	"github.com/lime-p4/lime/bmv2/sim/dataplane/bmjson"
)

// lval is a writable location: a field (fixed or chosen at run time) or
// a register cell.
type lval struct {
	field  func(*pkt) int // nil for a register cell
	konst  int            // field id when fixed, else -1
	width  int
	wide   bool
	sat    bool
	signed bool
	vl     bool
	reg    int // register array index when field == nil
	regIdx func(*pkt) (uint64, bool)
}

// lvalue compiles a destination operand.
func (x *cc) lvalue(tv *bmjson.TypedValue) (lval, bool) {
	if tv == nil {
		x.bad("missing destination")
		return lval{}, false
	}
	switch tv.Type {
	case "field":
		r, err := tv.Field()
		if err != nil {
			x.bad("%v", err)
			return lval{}, false
		}
		if r.Field == "$valid$" {
			x.bad("cannot assign to %s (read-only)", r)
			return lval{}, false
		}
		fi, ok := x.l.field(r)
		if !ok {
			x.bad("unknown field %s", r)
			return lval{}, false
		}
		return x.fieldLval(fi), true
	case "stack_field":
		fid, first, ok := x.lastStackField(tv)
		if !ok {
			return lval{}, false
		}
		proto := x.fieldLval(first)
		proto.field, proto.konst = fid, -1
		return proto, true
	case "register":
		return x.registerOperand(tv)
	case "expression":
		e, plain, err := x.unwrap(tv)
		if err != nil {
			x.bad("%v", err)
			return lval{}, false
		}
		if plain != nil {
			return x.lvalue(plain)
		}
		if e.Op != "access_field" {
			x.unsup("assignment to an expression with operator %q", e.Op)
			return lval{}, false
		}
		h, off, fd, ok := x.accessField(e)
		if !ok {
			return lval{}, false
		}
		if h.konst >= 0 {
			return x.fieldLval(x.l.headers[h.konst].fields[off]), true
		}
		l := x.l
		hf := h.fn
		return lval{
			field: func(p *pkt) int { return l.headers[hf(p)].fields[off] },
			konst: -1, width: fd.Width, wide: fd.Width > 64, sat: fd.Saturating, signed: fd.Signed, vl: fd.Variable,
		}, true
	}
	x.bad("operand of type %q is not assignable", tv.Type)
	return lval{}, false
}

func (x *cc) fieldLval(fi int) lval {
	f := x.l.fields[fi]
	return lval{field: func(*pkt) int { return fi }, konst: fi, width: f.width, wide: f.wide, sat: f.sat, signed: f.signed, vl: f.vl}
}

// store compiles "dst = src" with bmv2's truncation on store.
func (x *cc) store(dst lval, src dexpr) func(*pkt) {
	l := x.l
	if dst.field == nil {
		ri, iu := dst.reg, dst.regIdx
		if !dst.wide && src.fast != nil {
			fa := src.fast
			return func(p *pkt) {
				if i, ok := iu(p); ok {
					p.st.regs[ri].setU(i, fa(p))
				}
			}
		}
		ba := src.bigOf()
		return func(p *pkt) {
			if i, ok := iu(p); ok {
				p.st.regs[ri].setBig(i, ba(p))
			}
		}
	}
	if dst.vl {
		ba := src.bigOf()
		ff := dst.field
		return func(p *pkt) { p.h.setBig(l, ff(p), ba(p)) }
	}
	useFast := src.fast != nil && !dst.sat && (!dst.wide || src.exact())
	if useFast {
		fa := src.fast
		if dst.konst >= 0 && !dst.wide {
			slot, m := l.fields[dst.konst].slot, maskU(dst.width)
			return func(p *pkt) { p.h.u[slot] = fa(p) & m }
		}
		ff := dst.field
		return func(p *pkt) { p.h.setU(l, ff(p), fa(p)) }
	}
	ba := src.bigOf()
	ff := dst.field
	return func(p *pkt) { p.h.setBig(l, ff(p), ba(p)) }
}

// load reads an lvalue as data (for add_to_field and friends).
func (x *cc) load(dst lval) dexpr {
	if dst.field == nil {
		ri, iu := dst.reg, dst.regIdx
		d := dexpr{bits: dst.width}
		d.big = func(p *pkt) *big.Int { i, ok := iu(p); return p.st.regs[ri].getBig(i, ok) }
		if !dst.wide {
			d.fast = func(p *pkt) uint64 { i, ok := iu(p); return p.st.regs[ri].getU(i, ok) }
		}
		return d
	}
	if dst.konst >= 0 {
		return x.fieldData(dst.konst)
	}
	return x.dynFieldData(dst.field, dst.width, dst.signed)
}
