package difftest

import (
	"fmt"
	"math/big"
	"math/rand/v2"

	"github.com/lime-p4/lime/bmv2/sim/dataplane/bmjson"
)

// Bounds of a frame the generator makes.
const (
	// walkStates bounds the parse states a frame goes through (a header
	// stack's loop included).
	walkStates = 24
	// maxPayload bounds the bytes after the parsed headers.
	maxPayload = 32
	// minFrame is the shortest frame sent: an Ethernet header (the kernel
	// sends nothing shorter from an AF_PACKET socket).
	minFrame = 14
	// maxGarbage bounds a frame of random bytes.
	maxGarbage = 80
)

// FrameGen makes Ethernet frames for a program from its bmv2 JSON: a
// random walk of its parser from the start state, each header extracted
// with random field values (or values the state's table keys hold, so that
// frames hit entries), each select's key set to the value of the
// transition drawn, then a payload; some are then made malformed
// (truncated, bits flipped) or are random bytes. Deterministic for a seed.
type FrameGen struct {
	r       *rand.Rand
	parser  *bmjson.Parser
	states  map[string]*bmjson.ParseState
	types   map[string]*bmjson.HeaderType
	headers map[string]*bmjson.Header
	byID    map[int]*bmjson.Header
	stacks  map[string]*bmjson.HeaderStack
	// hints are values of header fields worth sending: table keys.
	hints map[bmjson.FieldRef][]*big.Int
	// hintKeys keeps the order hints were added in (determinism).
	hintKeys []bmjson.FieldRef
}

// NewFrameGen reads a bmv2 JSON document.
func NewFrameGen(doc *bmjson.Document, seed uint64) (*FrameGen, error) {
	g := &FrameGen{r: rand.New(rand.NewPCG(seed, seed^0xf4a3e5)), states: map[string]*bmjson.ParseState{},
		types: map[string]*bmjson.HeaderType{}, headers: map[string]*bmjson.Header{}, byID: map[int]*bmjson.Header{},
		stacks: map[string]*bmjson.HeaderStack{}, hints: map[bmjson.FieldRef][]*big.Int{}}
	for i := range doc.Parsers {
		if doc.Parsers[i].Name == "parser" || g.parser == nil {
			g.parser = &doc.Parsers[i]
		}
	}
	if g.parser == nil || g.parser.InitState == nil {
		return nil, fmt.Errorf("difftest: the bmv2 JSON has no parser")
	}
	for i := range g.parser.ParseStates {
		s := &g.parser.ParseStates[i]
		g.states[s.Name] = s
	}
	for i := range doc.HeaderTypes {
		g.types[doc.HeaderTypes[i].Name] = &doc.HeaderTypes[i]
	}
	for i := range doc.Headers {
		g.headers[doc.Headers[i].Name] = &doc.Headers[i]
		g.byID[doc.Headers[i].ID] = &doc.Headers[i]
	}
	for i := range doc.HeaderStacks {
		g.stacks[doc.HeaderStacks[i].Name] = &doc.HeaderStacks[i]
	}
	return g, nil
}

// Hint adds a value worth giving field f (a table's key, say); v is
// big-endian.
func (g *FrameGen) Hint(f bmjson.FieldRef, v []byte) {
	if _, ok := g.hints[f]; !ok {
		g.hintKeys = append(g.hintKeys, f)
	}
	g.hints[f] = append(g.hints[f], new(big.Int).SetBytes(v))
}

// Rand is the generator's source, for the choices around frames.
func (g *FrameGen) Rand() *rand.Rand { return g.r }

// Frame returns a frame arriving on ingress port port: mostly a parsed
// walk, else one truncated, with bits flipped, or random bytes.
func (g *FrameGen) Frame(port uint32) []byte {
	f := g.Walk(port)
	switch x := g.r.IntN(20); {
	case x < 13:
	case x < 16: // truncated in its headers or payload
		if len(f) > minFrame {
			f = f[:minFrame+g.r.IntN(len(f)-minFrame)]
		}
	case x < 19: // one to three bits flipped in the first 64 bytes
		for range 1 + g.r.IntN(3) {
			i := g.r.IntN(min(len(f), 64))
			f[i] ^= 1 << g.r.IntN(8)
		}
	default:
		f = make([]byte, minFrame+g.r.IntN(maxGarbage-minFrame))
		for i := range f {
			f[i] = byte(g.r.Uint32())
		}
	}
	return f
}

// bitBuf is a frame being built bit by bit, most significant bit first.
type bitBuf struct {
	b []byte
	n int // bits written
}

func (w *bitBuf) set(off, width int, v *big.Int) {
	for len(w.b)*8 < off+width {
		w.b = append(w.b, 0)
	}
	for i := 0; i < width; i++ {
		bit := off + i
		if v.Bit(width-1-i) == 1 {
			w.b[bit/8] |= 0x80 >> (bit % 8)
		} else {
			w.b[bit/8] &^= 0x80 >> (bit % 8)
		}
	}
}

func (w *bitBuf) put(width int, v *big.Int) int {
	off := w.n
	w.set(off, width, v)
	w.n += width
	return off
}

// span is where a field's bits are in the frame.
type span struct{ off, width int }

// keySource is what a select key reads: bits of the frame (patchable), a
// value known in advance (the ingress port, a constant set), or neither.
type keySource struct {
	bits  *span
	known *big.Int
	width int
}

type patch struct {
	at span
	v  *big.Int
}

// walk is one frame being generated.
type walk struct {
	g       *FrameGen
	buf     bitBuf
	fields  map[bmjson.FieldRef]span
	meta    map[bmjson.FieldRef]keySource
	patches []patch
	next    map[string]int    // stack -> next element
	last    map[string]string // stack -> last element's instance
	port    uint32
}

// Walk returns a frame that goes through the parser as drawn (before any
// truncation): headers, then a random payload.
func (g *FrameGen) Walk(port uint32) []byte {
	w := &walk{g: g, fields: map[bmjson.FieldRef]span{}, meta: map[bmjson.FieldRef]keySource{},
		next: map[string]int{}, last: map[string]string{}, port: port}
	state := *g.parser.InitState
	for range walkStates {
		st := g.states[state]
		if st == nil || !w.ops(st) {
			break
		}
		nx := w.transition(st)
		if nx == nil {
			break
		}
		state = *nx
	}
	// Whole bytes, then the payload, then the select values drawn.
	for w.buf.n%8 != 0 {
		w.buf.put(1, w.rand(1))
	}
	for range g.r.IntN(maxPayload + 1) {
		w.buf.put(8, w.rand(8))
	}
	for _, p := range w.patches {
		w.buf.set(p.at.off, p.at.width, p.v)
	}
	for len(w.buf.b) < minFrame {
		w.buf.b = append(w.buf.b, byte(g.r.Uint32()))
	}
	return w.buf.b
}

func (w *walk) rand(width int) *big.Int {
	v := new(big.Int)
	for i := 0; i < width; i += 32 {
		v.Lsh(v, 32).Or(v, big.NewInt(int64(w.g.r.Uint32())))
	}
	return v.And(v, mask(width))
}

func mask(width int) *big.Int {
	return new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(width)), big.NewInt(1))
}

// value draws a field's value: a hint now and then, else random.
func (w *walk) value(f bmjson.FieldRef, width int) *big.Int {
	if hs := w.g.hints[f]; len(hs) > 0 && w.g.r.IntN(3) > 0 {
		return new(big.Int).And(hs[w.g.r.IntN(len(hs))], mask(width))
	}
	return w.rand(width)
}

// extract appends a header instance's fields; false when it cannot (a
// variable-length field, an unknown header).
func (w *walk) extract(inst string) bool {
	h := w.g.headers[inst]
	if h == nil {
		return false
	}
	ht := w.g.types[h.HeaderType]
	if ht == nil {
		return false
	}
	for _, fd := range ht.Fields {
		if fd.Variable {
			return false
		}
		ref := bmjson.FieldRef{Header: inst, Field: fd.Name}
		w.fields[ref] = span{w.buf.put(fd.Width, w.value(ref, fd.Width)), fd.Width}
	}
	return true
}

// ops plays a state's parser operations; false ends the walk.
func (w *walk) ops(st *bmjson.ParseState) bool {
	for _, op := range st.ParserOps {
		switch op.Op {
		case "extract":
			if len(op.Parameters) != 1 {
				return false
			}
			p := op.Parameters[0]
			name, err := p.String()
			if err != nil {
				return false
			}
			switch p.Type {
			case "regular":
				if !w.extract(name) {
					return false
				}
			case "stack":
				s := w.g.stacks[name]
				if s == nil || w.next[name] >= len(s.HeaderIDs) {
					return false
				}
				h := w.g.byID[s.HeaderIDs[w.next[name]]]
				w.next[name]++
				if h == nil || !w.extract(h.Name) {
					return false
				}
				w.last[name] = h.Name
			default:
				return false
			}
		case "set":
			if len(op.Parameters) != 2 || op.Parameters[0].Type != "field" {
				continue
			}
			dst, err := op.Parameters[0].Field()
			if err != nil {
				continue
			}
			w.meta[dst] = w.source(op.Parameters[1])
		case "advance":
			if len(op.Parameters) != 1 || op.Parameters[0].Type != "hexstr" {
				return false
			}
			n, err := hexValue(op.Parameters[0])
			if err != nil || !n.IsInt64() || n.Int64() < 0 || n.Int64() > 1024 {
				return false
			}
			w.buf.put(int(n.Int64()), w.rand(int(n.Int64())))
		case "extract_VL":
			return false
		}
	}
	return true
}

// source is what a set's or select's operand reads.
func (w *walk) source(tv bmjson.TypedValue) keySource {
	switch tv.Type {
	case "field":
		ref, err := tv.Field()
		if err != nil {
			return keySource{}
		}
		width := w.width(ref)
		if ref.Header == "standard_metadata" && ref.Field == "ingress_port" {
			return keySource{known: big.NewInt(int64(w.port)), width: width}
		}
		if s, ok := w.fields[ref]; ok {
			return keySource{bits: &s, width: s.width}
		}
		if s, ok := w.meta[ref]; ok {
			return keySource{bits: s.bits, known: s.known, width: width}
		}
		return keySource{width: width}
	case "stack_field":
		sf, err := tv.Strings()
		if err != nil || len(sf) != 2 {
			return keySource{}
		}
		ref := bmjson.FieldRef{Header: w.last[sf[0]], Field: sf[1]}
		if s, ok := w.fields[ref]; ok {
			return keySource{bits: &s, width: s.width}
		}
		if st := w.g.stacks[sf[0]]; st != nil {
			return keySource{width: w.typeWidth(st.HeaderType, sf[1])}
		}
	case "lookahead":
		la, err := tv.Ints()
		if err != nil || len(la) != 2 {
			return keySource{}
		}
		return keySource{bits: &span{w.buf.n + la[0], la[1]}, width: la[1]}
	case "hexstr":
		if v, err := hexValue(tv); err == nil {
			return keySource{known: v}
		}
	}
	return keySource{}
}

func (w *walk) width(ref bmjson.FieldRef) int {
	if h := w.g.headers[ref.Header]; h != nil {
		return w.typeWidth(h.HeaderType, ref.Field)
	}
	return 0
}

func (w *walk) typeWidth(typ, field string) int {
	if ht := w.g.types[typ]; ht != nil {
		for _, f := range ht.Fields {
			if f.Name == field {
				return f.Width
			}
		}
	}
	return 0
}

// transition draws one of a state's transitions that the frame can take
// and sets the select's key to its value; nil ends the walk (accept).
func (w *walk) transition(st *bmjson.ParseState) *string {
	keys := make([]keySource, len(st.TransitionKey))
	total := 0
	for i, k := range st.TransitionKey {
		keys[i] = w.source(k)
		total += (keys[i].width + 7) / 8
	}
	type choice struct {
		t       *bmjson.Transition
		v, m    []*big.Int // per key
		isValue bool
	}
	var choices []choice
	for i := range st.Transitions {
		t := &st.Transitions[i]
		switch t.Kind() {
		case "default":
			choices = append(choices, choice{t: t})
		case "hexstr":
			v, okv := splitKey(t.ValueString(), keys, total)
			m := []*big.Int(nil)
			okm := true
			if t.Mask != nil {
				m, okm = splitKey(*t.Mask, keys, total)
			}
			if !okv || !okm {
				continue
			}
			feasible := true
			for j, k := range keys {
				if k.known != nil {
					km, vm := new(big.Int).Set(k.known), new(big.Int).Set(v[j])
					if m != nil {
						km.And(km, m[j])
						vm.And(vm, m[j])
					}
					feasible = feasible && km.Cmp(vm) == 0
				}
			}
			if feasible {
				choices = append(choices, choice{t: t, v: v, m: m, isValue: true})
			}
		}
	}
	if len(choices) == 0 {
		return nil
	}
	c := choices[w.g.r.IntN(len(choices))]
	if c.isValue {
		for j, k := range keys {
			if k.bits == nil {
				continue
			}
			v := new(big.Int).Set(c.v[j])
			if c.m != nil { // the bits the mask ignores stay random
				r := w.rand(k.width)
				r.AndNot(r, c.m[j])
				v.And(v, c.m[j]).Or(v, r)
			}
			w.patches = append(w.patches, patch{*k.bits, v.And(v, mask(k.bits.width))})
		}
	}
	return c.t.NextState
}

// splitKey splits a select value or mask (each key byte-aligned, as bmv2
// builds the key) into one value per key.
func splitKey(s string, keys []keySource, total int) ([]*big.Int, bool) {
	b, err := bmjson.HexBytes(s)
	if err != nil {
		return nil, false
	}
	if len(b) < total { // leading zero bytes left out
		b = append(make([]byte, total-len(b)), b...)
	}
	if len(b) != total {
		return nil, false
	}
	out := make([]*big.Int, len(keys))
	for i, k := range keys {
		n := (k.width + 7) / 8
		out[i] = new(big.Int).SetBytes(b[:n])
		b = b[n:]
	}
	return out, true
}

func hexValue(tv bmjson.TypedValue) (*big.Int, error) {
	s, err := tv.String()
	if err != nil {
		return nil, err
	}
	return bmjson.ParseHex(s)
}
