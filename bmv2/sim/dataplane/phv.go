package dataplane

import (
	"math/big"
)

// phv is the packet header vector: every field value and header validity
// of one packet instance, laid out by a layout.
type phv struct {
	u     []uint64
	w     []big.Int
	vl    [][]byte
	valid []bool
	next  []int // per header stack: number of valid elements
	unext []int // per header union stack
}

func (l *layout) newPHV() *phv {
	p := &phv{
		u:     make([]uint64, l.nU),
		w:     make([]big.Int, l.nW),
		vl:    make([][]byte, l.nVL),
		valid: make([]bool, len(l.headers)),
		next:  make([]int, len(l.stacks)),
		unext: make([]int, len(l.unionStacks)),
	}
	p.reset(l)
	return p
}

// reset zeroes every field, invalidates headers (metadata is always
// valid) and empties stacks: the state of a packet entering the switch.
func (p *phv) reset(l *layout) {
	clear(p.u)
	for i := range p.w {
		p.w[i].SetInt64(0)
	}
	for i := range p.vl {
		p.vl[i] = p.vl[i][:0]
	}
	for i := range p.valid {
		p.valid[i] = l.headers[i].metadata
	}
	clear(p.next)
	clear(p.unext)
}

// resetMetadata zeroes the fields of metadata headers (bmv2
// PHV::reset_metadata).
func (p *phv) resetMetadata(l *layout) {
	for hi := range l.headers {
		if l.headers[hi].metadata {
			p.zeroHeader(l, hi)
		}
	}
}

func (p *phv) zeroHeader(l *layout, hi int) {
	for _, fi := range l.headers[hi].fields {
		f := &l.fields[fi]
		switch {
		case f.vl:
			p.vl[f.slot] = p.vl[f.slot][:0]
		case f.wide:
			p.w[f.slot].SetInt64(0)
		default:
			p.u[f.slot] = 0
		}
	}
}

// copyFrom makes p an exact copy of src.
func (p *phv) copyFrom(src *phv) {
	copy(p.u, src.u)
	for i := range p.w {
		p.w[i].Set(&src.w[i])
	}
	for i := range p.vl {
		p.vl[i] = append(p.vl[i][:0], src.vl[i]...)
	}
	copy(p.valid, src.valid)
	copy(p.next, src.next)
	copy(p.unext, src.unext)
}

// getU returns field fi modulo 2^64: the raw bits for unsigned fields,
// sign-extended for signed ones.
func (p *phv) getU(l *layout, fi int) uint64 {
	f := &l.fields[fi]
	if f.wide {
		return lowU64(&p.w[f.slot])
	}
	v := p.u[f.slot]
	if f.signed {
		return signExtend(v, f.width)
	}
	return v
}

// getBig returns the exact value of field fi (negative for a signed field
// whose top bit is set) in z.
func (p *phv) getBig(l *layout, fi int, z *big.Int) *big.Int {
	f := &l.fields[fi]
	switch {
	case f.vl:
		return z.SetBytes(p.vl[f.slot])
	case f.wide:
		z.Set(&p.w[f.slot])
		if f.signed && z.Bit(f.width-1) == 1 {
			z.Sub(z, new(big.Int).Lsh(bigOne, uint(f.width)))
		}
		return z
	}
	v := p.u[f.slot]
	if f.signed {
		return z.SetInt64(int64(signExtend(v, f.width)))
	}
	return z.SetUint64(v)
}

// setU stores v, taken modulo 2^width, in field fi. For a field wider than
// 64 bits v must be the exact (nonnegative) value; the expression compiler
// uses setBig otherwise, and for saturating fields.
func (p *phv) setU(l *layout, fi int, v uint64) {
	f := &l.fields[fi]
	if f.wide {
		p.w[f.slot].SetUint64(v)
		return
	}
	p.u[f.slot] = v & maskU(f.width)
}

// setBig stores v in field fi: truncated to the width (two's complement),
// or clamped for a saturating field. v is not modified.
func (p *phv) setBig(l *layout, fi int, v *big.Int) {
	f := &l.fields[fi]
	if f.vl {
		p.vl[f.slot] = append(p.vl[f.slot][:0], v.Bytes()...)
		return
	}
	t := new(big.Int).Set(v)
	if f.sat {
		saturate(t, f.width, f.signed)
	}
	truncBig(t, f.width, false)
	if f.wide {
		p.w[f.slot].Set(t)
		return
	}
	p.u[f.slot] = lowU64(t)
}

// saturate clamps v to the range of a w-bit (signed) integer.
func saturate(v *big.Int, w int, signed bool) {
	var lo, hi *big.Int
	if signed {
		hi = new(big.Int).Sub(new(big.Int).Lsh(bigOne, uint(w-1)), bigOne)
		lo = new(big.Int).Neg(new(big.Int).Lsh(bigOne, uint(w-1)))
	} else {
		hi = new(big.Int).Sub(new(big.Int).Lsh(bigOne, uint(w)), bigOne)
		lo = new(big.Int)
	}
	if v.Cmp(hi) > 0 {
		v.Set(hi)
	} else if v.Cmp(lo) < 0 {
		v.Set(lo)
	}
}

// fieldBytes returns field fi's raw bits as nbytes(width) big-endian
// bytes appended to dst (a VL field's bytes as they are).
func (p *phv) fieldBytes(l *layout, fi int, dst []byte) []byte {
	f := &l.fields[fi]
	switch {
	case f.vl:
		return append(dst, p.vl[f.slot]...)
	case f.wide:
		return append(dst, bigBytes(&p.w[f.slot], nbytes(f.width))...)
	}
	n := nbytes(f.width)
	v := p.u[f.slot]
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, byte(v>>(8*uint(i))))
	}
	return dst
}

// setFieldBytes stores a big-endian byte string in field fi (truncated to
// the width).
func (p *phv) setFieldBytes(l *layout, fi int, b []byte) {
	f := &l.fields[fi]
	switch {
	case f.vl:
		p.vl[f.slot] = append(p.vl[f.slot][:0], b...)
	case f.wide:
		truncBig(p.w[f.slot].SetBytes(b), f.width, false)
	default:
		p.u[f.slot] = bytesU64(b) & maskU(f.width)
	}
}

// headerBits returns the current width of header hi in bits (fixed part
// plus the variable-length field's current size).
func (p *phv) headerBits(l *layout, hi int) int {
	h := &l.headers[hi]
	n := h.fixedBits
	if h.vlPos >= 0 {
		n += 8 * len(p.vl[l.fields[h.fields[h.vlPos]].slot])
	}
	return n
}

// extractHeader fills header hi from data at byte offset 0, the
// variable-length field taking vlBytes bytes, and marks it valid.
func (p *phv) extractHeader(l *layout, hi int, data []byte, vlBytes int) {
	h := &l.headers[hi]
	off := 0
	for _, fi := range h.fields {
		f := &l.fields[fi]
		switch {
		case f.vl:
			// VL fields are whole bytes at a byte boundary in practice;
			// copy bit-wise to be exact either way.
			p.vl[f.slot] = append(p.vl[f.slot][:0], getBitsBytes(data, off, vlBytes*8)...)
			off += vlBytes * 8
		case f.wide:
			p.w[f.slot].SetBytes(getBitsBytes(data, off, f.width))
			off += f.width
		default:
			p.u[f.slot] = getBits(data, off, f.width)
			off += f.width
		}
	}
	p.setValid(l, hi, true)
}

// deparseHeader writes header hi into dst (of headerBits/8 bytes).
func (p *phv) deparseHeader(l *layout, hi int, dst []byte) {
	h := &l.headers[hi]
	off := 0
	for _, fi := range h.fields {
		f := &l.fields[fi]
		switch {
		case f.vl:
			v := p.vl[f.slot]
			putBitsBytes(dst, off, len(v)*8, v)
			off += len(v) * 8
		case f.wide:
			putBitsBytes(dst, off, f.width, bigBytes(&p.w[f.slot], nbytes(f.width)))
			off += f.width
		default:
			putBits(dst, off, f.width, p.u[f.slot])
			off += f.width
		}
	}
}

// setValid marks header hi valid or invalid. Making a union member valid
// invalidates the union's other members (P4_16 header union semantics,
// as bmv2's HeaderUnion does).
func (p *phv) setValid(l *layout, hi int, v bool) {
	p.valid[hi] = v
	h := &l.headers[hi]
	if v && h.union >= 0 {
		for _, o := range l.unions[h.union].headers {
			if o != hi {
				p.valid[o] = false
			}
		}
	}
}

// copyHeader copies header src into dst (bmv2 assign_header): an invalid
// source invalidates the destination.
func (p *phv) copyHeader(l *layout, dst, src int) {
	if !p.valid[src] {
		p.setValid(l, dst, false)
		return
	}
	sf, df := l.headers[src].fields, l.headers[dst].fields
	for i := range df {
		a, b := &l.fields[df[i]], &l.fields[sf[i]]
		switch {
		case a.vl:
			p.vl[a.slot] = append(p.vl[a.slot][:0], p.vl[b.slot]...)
		case a.wide:
			p.w[a.slot].Set(&p.w[b.slot])
		default:
			p.u[a.slot] = p.u[b.slot]
		}
	}
	p.setValid(l, dst, true)
}

// swapHeaders exchanges the values and validity of two headers of the
// same type (bmv2 Header::swap_values).
func (p *phv) swapHeaders(l *layout, a, b int) {
	af, bf := l.headers[a].fields, l.headers[b].fields
	for i := range af {
		x, y := &l.fields[af[i]], &l.fields[bf[i]]
		switch {
		case x.vl:
			p.vl[x.slot], p.vl[y.slot] = p.vl[y.slot], p.vl[x.slot]
		case x.wide:
			var t big.Int
			t.Set(&p.w[x.slot])
			p.w[x.slot].Set(&p.w[y.slot])
			p.w[y.slot].Set(&t)
		default:
			p.u[x.slot], p.u[y.slot] = p.u[y.slot], p.u[x.slot]
		}
	}
	p.valid[a], p.valid[b] = p.valid[b], p.valid[a]
}

// pushFront shifts a stack up by n (P4_16 push_front: the n new front
// elements are invalid), as bmv2's StackP4_16.
func (p *phv) pushFront(l *layout, si, n int) {
	hs := l.stacks[si].headers
	size := len(hs)
	if n <= 0 || size == 0 {
		return
	}
	p.next[si] = min(size, p.next[si]+n)
	for i := size - 1; i > n-1; i-- {
		p.swapHeaders(l, hs[i], hs[i-n])
	}
	for i := 0; i < min(size, n); i++ {
		p.valid[hs[i]] = false
	}
}

// popFront shifts a stack down by n (P4_16 pop_front: the n last elements
// become invalid).
func (p *phv) popFront(l *layout, si, n int) {
	hs := l.stacks[si].headers
	size := len(hs)
	if n <= 0 || size == 0 {
		return
	}
	p.next[si] -= min(p.next[si], n)
	i := 0
	if n < size {
		for ; i < size-n; i++ {
			p.swapHeaders(l, hs[i], hs[i+n])
		}
	}
	for ; i < size; i++ {
		p.valid[hs[i]] = false
	}
}
