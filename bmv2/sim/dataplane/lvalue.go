package dataplane

import (
	"encoding/json"
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
		s, err := tv.Strings()
		if err != nil || len(s) != 2 {
			x.bad("stack_field %s: want [stack, field]", tv.Value)
			return lval{}, false
		}
		fid, _, _, ok := x.lastStackField(s[0], s[1])
		if !ok {
			return lval{}, false
		}
		si, pos, _ := x.l.stackField(s[0], s[1])
		proto := x.fieldLval(x.l.headers[x.l.stacks[si].headers[0]].fields[pos])
		proto.field, proto.konst = fid, -1
		return proto, true
	case "register":
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
		x.regs[ri] = true
		w := x.c.registers[ri].Bitwidth
		return lval{konst: -1, width: w, wide: w > 64, reg: ri, regIdx: idx.uintOf()}, true
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
		h, ok := x.header(e.Left)
		if !ok {
			return lval{}, false
		}
		off, err := e.RightInt()
		if err != nil {
			x.bad("%v", err)
			return lval{}, false
		}
		ht, ok := x.l.types[h.typeName]
		if !ok || off < 0 || off >= len(ht.Fields) {
			x.bad("access_field: no field at offset %d of header type %q", off, h.typeName)
			return lval{}, false
		}
		if h.konst >= 0 {
			return x.fieldLval(x.l.headers[h.konst].fields[off]), true
		}
		fd := ht.Fields[off]
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
