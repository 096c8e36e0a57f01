package dataplane

import (
	"bytes"
	"math/big"
	"math/rand/v2"
	"testing"
)

// naiveGet and naivePut read and write bits one at a time, MSB first:
// the reference for the word-at-a-time helpers.
func naiveGet(b []byte, off, w int) uint64 {
	var v uint64
	for i := 0; i < w; i++ {
		bit := off + i
		v = v<<1 | uint64(b[bit>>3]>>(7-uint(bit&7))&1)
	}
	return v
}

func naivePut(b []byte, off, w int, v uint64) {
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

// TestBitsRandom compares getBits, putBits, getBitsBytes, putBitsBytes and
// bitWriter with the bit-at-a-time reference on random offsets and widths
// (header fields are packed MSB first, as bmv2 extracts and deparses).
func TestBitsRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 20000; n++ {
		buf := make([]byte, 24)
		for i := range buf {
			buf[i] = byte(rng.Uint32())
		}
		w := 1 + rng.IntN(64)
		off := rng.IntN(len(buf)*8 - w)
		if got, want := getBits(buf, off, w), naiveGet(buf, off, w); got != want {
			t.Fatalf("getBits(off %d, w %d) = %x, want %x", off, w, got, want)
		}
		v := rng.Uint64()
		a, b := append([]byte(nil), buf...), append([]byte(nil), buf...)
		putBits(a, off, w, v)
		naivePut(b, off, w, v)
		if !bytes.Equal(a, b) {
			t.Fatalf("putBits(off %d, w %d, %x):\n got %x\nwant %x", off, w, v, a, b)
		}
		// Wide values through the byte-string helpers.
		ww := 1 + rng.IntN(130)
		if ww > len(buf)*8-8 {
			continue
		}
		woff := rng.IntN(len(buf)*8 - ww)
		val := getBitsBytes(buf, woff, ww)
		ref := new(big.Int)
		for i := 0; i < ww; i++ {
			ref.Lsh(ref, 1).Or(ref, big.NewInt(int64(naiveGet(buf, woff+i, 1))))
		}
		if new(big.Int).SetBytes(val).Cmp(ref) != 0 || len(val) != nbytes(ww) {
			t.Fatalf("getBitsBytes(off %d, w %d) = %x, want %x", woff, ww, val, ref)
		}
		c := make([]byte, len(buf))
		putBitsBytes(c, woff, ww, val)
		if !bytes.Equal(getBitsBytes(c, woff, ww), val) {
			t.Fatalf("putBitsBytes round trip at %d/%d", woff, ww)
		}
	}
	// bitWriter: random sequences against putBits into a zeroed buffer.
	for n := 0; n < 2000; n++ {
		var bw bitWriter
		ref := make([]byte, 64)
		pos := 0
		for k := 0; k < 6; k++ {
			w := 1 + rng.IntN(64)
			v := rng.Uint64() & maskU(w)
			bw.write(v, w)
			naivePut(ref, pos, w, v)
			pos += w
		}
		bw.align()
		if want := ref[:nbytes(pos)]; !bytes.Equal(bw.buf, want) {
			t.Fatalf("bitWriter: got %x want %x", bw.buf, want)
		}
	}
}

// TestFitBytes: canonical P4Runtime bytestrings of any length fit a width
// when their significant bits do.
func TestFitBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		w    int
		want string
		ok   bool
	}{
		{"09", 9, "0009", true},
		{"0001ff", 9, "01ff", true},
		{"0200", 9, "", false},
		{"", 8, "00", true},
		{"00", 1, "00", true},
		{"01", 1, "01", true},
		{"02", 1, "", false},
		{"ffffffffffffffffffffffffffffffff", 128, "ffffffffffffffffffffffffffffffff", true},
		{"01ffffffffffffffffffffffffffffffff", 128, "", false},
	} {
		got, ok := fitBytes(hx(tc.in), tc.w)
		if ok != tc.ok || (ok && !bytes.Equal(got, hx(tc.want))) {
			t.Errorf("fitBytes(%s, %d) = %x, %v; want %s, %v", tc.in, tc.w, got, ok, tc.want, tc.ok)
		}
	}
}

// TestTruncBig: stores truncate modulo 2^w, signed stores reinterpret in
// two's complement (bmv2 Data::set on a field).
func TestTruncBig(t *testing.T) {
	for _, tc := range []struct {
		v      int64
		w      int
		signed bool
		want   int64
	}{
		{257, 8, false, 1},
		{-1, 8, false, 255},
		{-129, 8, true, 127},
		{128, 8, true, -128},
		{5, 8, true, 5},
	} {
		if got := truncBig(big.NewInt(tc.v), tc.w, tc.signed); got.Int64() != tc.want {
			t.Errorf("truncBig(%d, %d, %v) = %d, want %d", tc.v, tc.w, tc.signed, got, tc.want)
		}
	}
	if lowU64(big.NewInt(-1)) != ^uint64(0) || signExtend(0x80, 8) != ^uint64(0x7f) {
		t.Error("lowU64 / signExtend")
	}
}
