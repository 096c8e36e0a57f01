package dataplane

import (
	"github.com/lime-p4/lime/bmv2/sim/dataplane/bmjson"
)

// fieldC is a field of a header instance, with its place in the packet
// state: fields up to 64 bits live in phv.u[slot], wider ones in
// phv.w[slot], a variable-length field's bytes in phv.vl[slot].
type fieldC struct {
	name   string // "header.field"
	hdr    int
	pos    int // position in the header
	width  int
	signed bool
	sat    bool
	wide   bool
	vl     bool
	slot   int
}

// headerC is a header (or metadata) instance.
type headerC struct {
	name     string
	typeName string
	metadata bool
	fields   []int
	// fixedBits is the width of the fixed-size fields.
	fixedBits int
	// vlPos is the position of the variable-length field (-1 if none),
	// vlMaxBytes the header's maximum size in bytes (0: no limit).
	vlPos      int
	vlMaxBytes int
	lengthExp  *dexpr // the type's length_exp, if any
	stack      int    // -1 unless the header is a stack element
	union      int    // -1 unless the header is a union member
	unionPos   int
}

// stackC is a header stack (elements are ordinary headers).
type stackC struct {
	name     string
	typeName string
	headers  []int
}

// unionC is a header union.
type unionC struct {
	name    string
	members []string
	headers []int
}

// unionStackC is a header union stack.
type unionStackC struct {
	name    string
	members []string
	unions  []int
}

// layout is the packet state layout of a program.
type layout struct {
	fields      []fieldC
	headers     []headerC
	stacks      []stackC
	unions      []unionC
	unionStacks []unionStackC
	types       map[string]*bmjson.HeaderType

	fieldByName  map[string]int
	headerByName map[string]int
	stackByName  map[string]int
	unionByName  map[string]int
	ustackByName map[string]int
	aliases      map[string]int

	nU, nW, nVL int
}

func buildLayout(doc *bmjson.Document, pr *problems) *layout {
	l := &layout{
		types:        map[string]*bmjson.HeaderType{},
		fieldByName:  map[string]int{},
		headerByName: map[string]int{},
		stackByName:  map[string]int{},
		unionByName:  map[string]int{},
		ustackByName: map[string]int{},
		aliases:      map[string]int{},
	}
	for i := range doc.HeaderTypes {
		ht := &doc.HeaderTypes[i]
		if _, dup := l.types[ht.Name]; dup {
			pr.bad("header type %q declared twice", ht.Name)
		}
		l.types[ht.Name] = ht
		nvl := 0
		for _, f := range ht.Fields {
			if f.Variable {
				nvl++
			}
			if f.Signed && !f.Variable && f.Width < 2 {
				pr.bad("header type %q: signed field %q needs at least 2 bits", ht.Name, f.Name)
			}
		}
		if nvl > 1 {
			pr.bad("header type %q has %d variable-length fields (at most one allowed)", ht.Name, nvl)
		}
	}
	// Header ids in the JSON index the headers; stacks and unions refer
	// to them by id.
	byID := map[int]int{}
	for _, h := range doc.Headers {
		ht, ok := l.types[h.HeaderType]
		if !ok {
			pr.bad("header %q: unknown header type %q", h.Name, h.HeaderType)
			continue
		}
		if _, dup := l.headerByName[h.Name]; dup {
			pr.bad("header %q declared twice", h.Name)
			continue
		}
		hi := len(l.headers)
		hc := headerC{name: h.Name, typeName: h.HeaderType, metadata: h.Metadata, vlPos: -1, stack: -1, union: -1, vlMaxBytes: ht.MaxLength}
		for pos, f := range ht.Fields {
			fc := fieldC{name: h.Name + "." + f.Name, hdr: hi, pos: pos, width: f.Width, signed: f.Signed, sat: f.Saturating}
			switch {
			case f.Variable:
				fc.vl = true
				fc.slot = l.nVL
				l.nVL++
				hc.vlPos = pos
			case f.Width > 64:
				fc.wide = true
				fc.slot = l.nW
				l.nW++
				hc.fixedBits += f.Width
			default:
				fc.slot = l.nU
				l.nU++
				hc.fixedBits += f.Width
			}
			fi := len(l.fields)
			l.fields = append(l.fields, fc)
			l.fieldByName[fc.name] = fi
			hc.fields = append(hc.fields, fi)
		}
		// The hidden $valid$ field reads a header's validity; it is
		// resolved by the expression compiler, not stored.
		l.headers = append(l.headers, hc)
		l.headerByName[h.Name] = hi
		byID[h.ID] = hi
	}
	for _, s := range doc.HeaderStacks {
		sc := stackC{name: s.Name, typeName: s.HeaderType}
		si := len(l.stacks)
		for _, id := range s.HeaderIDs {
			hi, ok := byID[id]
			if !ok {
				pr.bad("header stack %q: unknown header id %d", s.Name, id)
				continue
			}
			if l.headers[hi].typeName != s.HeaderType {
				pr.bad("header stack %q: header %q is of type %q, not %q", s.Name, l.headers[hi].name, l.headers[hi].typeName, s.HeaderType)
			}
			l.headers[hi].stack = si
			sc.headers = append(sc.headers, hi)
		}
		l.stacks = append(l.stacks, sc)
		l.stackByName[s.Name] = si
	}
	unionTypes := map[string]bmjson.HeaderUnionType{}
	for _, ut := range doc.HeaderUnionTypes {
		unionTypes[ut.Name] = ut
	}
	unionByID := map[int]int{}
	for _, u := range doc.HeaderUnions {
		ut, ok := unionTypes[u.UnionType]
		if !ok {
			pr.bad("header union %q: unknown union type %q", u.Name, u.UnionType)
			continue
		}
		uc := unionC{name: u.Name}
		for _, m := range ut.Headers {
			uc.members = append(uc.members, m[0])
		}
		ui := len(l.unions)
		for pos, id := range u.HeaderIDs {
			hi, ok := byID[id]
			if !ok {
				pr.bad("header union %q: unknown header id %d", u.Name, id)
				continue
			}
			l.headers[hi].union = ui
			l.headers[hi].unionPos = pos
			uc.headers = append(uc.headers, hi)
		}
		if len(uc.headers) != len(uc.members) {
			pr.bad("header union %q: %d headers for %d members", u.Name, len(uc.headers), len(uc.members))
		}
		l.unions = append(l.unions, uc)
		l.unionByName[u.Name] = ui
		unionByID[u.ID] = ui
	}
	for _, us := range doc.HeaderUnionStacks {
		ut := unionTypes[us.UnionType]
		usc := unionStackC{name: us.Name}
		for _, m := range ut.Headers {
			usc.members = append(usc.members, m[0])
		}
		for _, id := range us.HeaderUnionIDs {
			ui, ok := unionByID[id]
			if !ok {
				pr.bad("header union stack %q: unknown header union id %d", us.Name, id)
				continue
			}
			usc.unions = append(usc.unions, ui)
		}
		l.ustackByName[us.Name] = len(l.unionStacks)
		l.unionStacks = append(l.unionStacks, usc)
	}
	for _, a := range doc.FieldAliases {
		fi, ok := l.fieldByName[a.Target.String()]
		if !ok {
			pr.bad("field alias %q: unknown field %s", a.Alias, a.Target)
			continue
		}
		l.aliases[a.Alias] = fi
	}
	return l
}

// field resolves "header.field" (or an alias) to a field id.
func (l *layout) field(r bmjson.FieldRef) (int, bool) {
	name := r.String()
	if fi, ok := l.fieldByName[name]; ok {
		return fi, true
	}
	fi, ok := l.aliases[name]
	return fi, ok
}

// lookupField finds a v1model field by its simple_switch name: the alias
// first (e.g. "intrinsic_metadata.mcast_grp"), then the name itself, then
// the same field of standard_metadata. It returns -1 when absent.
func (l *layout) lookupField(name string) int {
	if fi, ok := l.aliases[name]; ok {
		return fi
	}
	if fi, ok := l.fieldByName[name]; ok {
		return fi
	}
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '.' {
			if fi, ok := l.fieldByName["standard_metadata"+name[i:]]; ok {
				return fi
			}
			break
		}
	}
	return -1
}

// stackField resolves [stack, field] to the field's position in the
// stack's header type.
func (l *layout) stackField(stack, field string) (int, int, bool) {
	si, ok := l.stackByName[stack]
	if !ok || len(l.stacks[si].headers) == 0 {
		return 0, 0, false
	}
	h := &l.headers[l.stacks[si].headers[0]]
	for pos, fi := range h.fields {
		if l.fields[fi].name == h.name+"."+field {
			return si, pos, true
		}
	}
	return 0, 0, false
}
