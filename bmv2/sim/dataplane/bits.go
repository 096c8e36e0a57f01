package dataplane

import (
	"math/big"
)

// maskU returns the mask of the low w bits (w <= 64).
func maskU(w int) uint64 {
	if w >= 64 {
		return ^uint64(0)
	}
	return (uint64(1) << uint(w)) - 1
}

// nbytes is the byte width of a w-bit value.
func nbytes(w int) int { return (w + 7) / 8 }

// getBits reads w <= 64 bits starting at bit off (MSB first) of b.
func getBits(b []byte, off, w int) uint64 {
	if w == 0 {
		return 0
	}
	if off&7 == 0 && w&7 == 0 {
		var v uint64
		for _, x := range b[off>>3 : (off+w)>>3] {
			v = v<<8 | uint64(x)
		}
		return v
	}
	first := off >> 3
	last := (off + w - 1) >> 3
	// Accumulate up to 9 bytes: the high part in hi, the rest in v.
	var v uint64
	var hi uint64
	for i := first; i <= last; i++ {
		hi = hi<<8 | v>>56
		v = v<<8 | uint64(b[i])
	}
	shift := uint((last+1)*8 - (off + w))
	v = v>>shift | hi<<(64-shift)
	return v & maskU(w)
}

// putBits writes the low w <= 64 bits of v at bit off (MSB first) of b.
func putBits(b []byte, off, w int, v uint64) {
	if w == 0 {
		return
	}
	first := off >> 3
	nb := ((off + w - 1) >> 3) - first + 1
	if nb <= 8 {
		// Read-modify-write the bytes the field spans as one word.
		var win uint64
		for i := 0; i < nb; i++ {
			win = win<<8 | uint64(b[first+i])
		}
		shift := uint(nb*8 - (off & 7) - w)
		m := maskU(w) << shift
		win = win&^m | (v<<shift)&m
		for i := nb - 1; i >= 0; i-- {
			b[first+i] = byte(win)
			win >>= 8
		}
		return
	}
	for i := w - 1; i >= 0; i-- {
		bit := off + i
		m := byte(0x80) >> uint(bit&7)
		if v&1 != 0 {
			b[bit>>3] |= m
		} else {
			b[bit>>3] &^= m
		}
		v >>= 1
	}
}

// bitWriter appends bit strings MSB first, packing them back to back.
type bitWriter struct {
	buf []byte
	acc uint64 // pending bits, fewer than 8 between writes
	n   uint
}

// write appends the low w <= 64 bits of v.
func (bw *bitWriter) write(v uint64, w int) {
	for w > 0 {
		k := min(w, 32)
		chunk := (v >> uint(w-k)) & maskU(k)
		bw.acc = bw.acc<<uint(k) | chunk
		bw.n += uint(k)
		w -= k
		for bw.n >= 8 {
			bw.buf = append(bw.buf, byte(bw.acc>>(bw.n-8)))
			bw.n -= 8
		}
		bw.acc &= maskU(int(bw.n))
	}
}

// writeBytes appends the w-bit right-aligned big-endian value v.
func (bw *bitWriter) writeBytes(v []byte, w int) {
	if head := w % 8; head != 0 && len(v) > 0 {
		bw.write(uint64(v[0]), head)
		v = v[1:]
		w -= head
	}
	if bw.n == 0 {
		bw.buf = append(bw.buf, v[len(v)-w/8:]...)
		return
	}
	for _, x := range v[len(v)-w/8:] {
		bw.write(uint64(x), 8)
	}
}

// align pads with zero bits to a byte boundary.
func (bw *bitWriter) align() {
	if bw.n > 0 {
		bw.buf = append(bw.buf, byte(bw.acc<<(8-bw.n)))
		bw.acc, bw.n = 0, 0
	}
}

// getBitsBytes reads w bits at bit off of b into a right-aligned
// big-endian byte string of nbytes(w) bytes.
func getBitsBytes(b []byte, off, w int) []byte {
	out := make([]byte, nbytes(w))
	// Copy bit by bit for unaligned wide fields, bytewise when aligned.
	if off&7 == 0 && w&7 == 0 {
		copy(out, b[off>>3:(off+w)>>3])
		return out
	}
	pad := len(out)*8 - w
	for i := 0; i < w; i++ {
		src := off + i
		if b[src>>3]&(0x80>>uint(src&7)) != 0 {
			dst := pad + i
			out[dst>>3] |= 0x80 >> uint(dst&7)
		}
	}
	return out
}

// putBitsBytes writes the w-bit right-aligned big-endian value v (of
// nbytes(w) bytes) at bit off of b.
func putBitsBytes(b []byte, off, w int, v []byte) {
	if off&7 == 0 && w&7 == 0 {
		copy(b[off>>3:(off+w)>>3], v[len(v)-w/8:])
		return
	}
	pad := len(v)*8 - w
	for i := 0; i < w; i++ {
		src := pad + i
		dst := off + i
		m := byte(0x80) >> uint(dst&7)
		if v[src>>3]&(0x80>>uint(src&7)) != 0 {
			b[dst>>3] |= m
		} else {
			b[dst>>3] &^= m
		}
	}
}

// bytesU64 reads a big-endian byte string of at most 8 significant bytes.
func bytesU64(b []byte) uint64 {
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v
}

// putU64 writes v big-endian into all of dst (truncating high bytes).
func putU64(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte(v)
		v >>= 8
	}
}

// u64Bytes returns v as n big-endian bytes.
func u64Bytes(v uint64, n int) []byte {
	b := make([]byte, n)
	putU64(b, v)
	return b
}

// bigBytes returns the nonnegative v as n big-endian bytes (truncating).
func bigBytes(v *big.Int, n int) []byte {
	b := make([]byte, n)
	putBig(b, v)
	return b
}

// putBig writes v into b, big-endian, truncated to len(b) bytes.
func putBig(b []byte, v *big.Int) {
	raw := v.Bytes()
	if len(raw) > len(b) {
		raw = raw[len(raw)-len(b):]
	}
	clear(b)
	copy(b[len(b)-len(raw):], raw)
}

var bigOne = big.NewInt(1)

// truncBig reduces v to w bits: v mod 2^w for unsigned, two's complement
// reinterpretation for signed, in place.
func truncBig(v *big.Int, w int, signed bool) *big.Int {
	if v.Sign() >= 0 && v.BitLen() <= w && (!signed || v.BitLen() < w) {
		return v
	}
	m := new(big.Int).Lsh(bigOne, uint(w))
	v.Mod(v, m) // Euclidean: result in [0, 2^w)
	if signed && v.BitLen() == w {
		v.Sub(v, m)
	}
	return v
}

// lowU64 returns v mod 2^64 (two's complement for negative v).
func lowU64(v *big.Int) uint64 {
	if v.Sign() >= 0 {
		if v.IsUint64() {
			return v.Uint64()
		}
		words := v.Bits()
		if len(words) == 0 {
			return 0
		}
		return uint64(words[0])
	}
	// -x mod 2^64 = 2^64 - (x mod 2^64)
	abs := new(big.Int).Neg(v)
	return -lowU64(abs)
}

// signExtend interprets the low w bits of v as a two's complement number
// and returns it sign-extended to 64 bits.
func signExtend(v uint64, w int) uint64 {
	if w >= 64 {
		return v
	}
	s := uint(64 - w)
	return uint64(int64(v<<s) >> s)
}

// canonicalLen returns the length of b without leading zero bytes.
func canonicalLen(b []byte) int {
	i := 0
	for i < len(b) && b[i] == 0 {
		i++
	}
	return len(b) - i
}

// fitBytes checks that the big-endian value b fits w bits and returns it
// padded or trimmed to nbytes(w) bytes.
func fitBytes(b []byte, w int) ([]byte, bool) {
	n := nbytes(w)
	c := canonicalLen(b)
	if c > n {
		return nil, false
	}
	out := make([]byte, n)
	copy(out[n-c:], b[len(b)-c:])
	if w%8 != 0 && n > 0 && out[0]>>uint(w%8) != 0 {
		return nil, false
	}
	return out, true
}
