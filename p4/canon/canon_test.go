package canon

import (
	"bytes"
	"errors"
	"math/big"
	"testing"
)

// Spec section 8.4 "Bytestrings": the canonical form is the shortest
// big-endian string; zero is a single zero byte.
func TestCanonical(t *testing.T) {
	for _, c := range []struct{ in, want []byte }{
		{[]byte{}, []byte{}},
		{[]byte{0}, []byte{0}},
		{[]byte{0, 0, 0}, []byte{0}},
		{[]byte{0, 0x63}, []byte{0x63}},
		{[]byte{0x30, 0x64}, []byte{0x30, 0x64}},
		{[]byte{0, 0, 1, 0}, []byte{1, 0}},
		{[]byte{0xab, 0, 0xcd, 0}, []byte{0xab, 0, 0xcd, 0}},
	} {
		if got := Canonical(c.in); !bytes.Equal(got, c.want) {
			t.Errorf("Canonical(%x) = %x, want %x", c.in, got, c.want)
		}
		if !IsCanonical(Canonical(c.in)) {
			t.Errorf("IsCanonical(Canonical(%x)) = false", c.in)
		}
	}
	if IsCanonical([]byte{0, 1}) {
		t.Error("IsCanonical(0001) = true")
	}
}

// Spec 8.4: a server accepts any length whose value fits the width and
// rejects a value with a significant bit beyond it (bmv2: INVALID_ARGUMENT).
func TestCheck(t *testing.T) {
	for _, c := range []struct {
		in    []byte
		width int
		ok    bool
	}{
		{[]byte{0x01, 0xff}, 9, true},
		{[]byte{0x02, 0x00}, 9, false},
		{[]byte{0, 0, 0, 0x01, 0xff}, 9, true}, // padded beyond the width's bytes: still fits
		{[]byte{0}, 1, true},
		{[]byte{1}, 1, true},
		{[]byte{2}, 1, false},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 48, true},
		{[]byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 48, false},
		{[]byte{}, 8, false},
		{[]byte("eth0"), 0, true}, // SDN string: no width
	} {
		err := Check(c.in, c.width)
		if (err == nil) != c.ok {
			t.Errorf("Check(%x, %d) = %v, want ok=%v", c.in, c.width, err, c.ok)
		}
		if err != nil && len(c.in) > 0 && !errors.Is(err, ErrTooWide) {
			t.Errorf("Check(%x, %d) = %v, want ErrTooWide", c.in, c.width, err)
		}
	}
}

func TestPadAndInts(t *testing.T) {
	p, err := Pad([]byte{0x01}, 12)
	if err != nil || !bytes.Equal(p, []byte{0, 1}) {
		t.Fatalf("Pad = %x, %v", p, err)
	}
	if p, _ := Pad([]byte{0, 0, 0, 5}, 9); !bytes.Equal(p, []byte{0, 5}) {
		t.Fatalf("Pad of over-padded value = %x", p)
	}
	if _, err := Pad([]byte{0x10, 0}, 12); err == nil {
		t.Fatal("Pad accepted a 13-bit value for width 12")
	}
	for _, v := range []uint64{0, 1, 255, 256, 1 << 40, ^uint64(0)} {
		b := FromUint64(v)
		if !IsCanonical(b) {
			t.Errorf("FromUint64(%d) = %x not canonical", v, b)
		}
		got, err := ToUint64(b)
		if err != nil || got != v {
			t.Errorf("ToUint64(FromUint64(%d)) = %d, %v", v, got, err)
		}
	}
	if _, err := ToUint64(bytes.Repeat([]byte{1}, 9)); err == nil {
		t.Error("ToUint64 accepted 65 bits")
	}
	big1 := new(big.Int).Lsh(big.NewInt(1), 100)
	if got := ToBig(FromBig(big1)); got.Cmp(big1) != 0 {
		t.Errorf("big round trip: %v", got)
	}
	if !bytes.Equal(FromBig(new(big.Int)), []byte{0}) {
		t.Error("FromBig(0) is not a zero byte")
	}
	if !Equal([]byte{0, 0, 7}, []byte{7}) || Equal([]byte{7}, []byte{7, 0}) {
		t.Error("Equal disagrees with values")
	}
	if BitLen([]byte{0, 0x01, 0}) != 9 || BitLen([]byte{0}) != 0 {
		t.Error("BitLen")
	}
}

// Spec 9.1.1 "Match Format": LPM bits beyond the prefix must be zero, a
// ternary value must be masked, don't-care matches must be omitted.
func TestMatchChecks(t *testing.T) {
	lpm := []struct {
		v     []byte
		plen  int32
		width int
		err   error
	}{
		{[]byte{10, 0, 0, 0}, 8, 32, nil},
		{[]byte{10, 0, 0, 1}, 8, 32, ErrLPMBits},
		{[]byte{10, 0, 0, 1}, 32, 32, nil},
		{[]byte{10}, 0, 32, ErrDontCare},
		{[]byte{10}, 33, 32, ErrPrefixLen},
		{[]byte{0x01, 0x81}, 8, 9, ErrLPMBits}, // the last bit of a 9-bit field is beyond prefix 8
		{[]byte{0x01, 0x80}, 2, 9, nil},
		{[]byte{0x01, 0x00}, 1, 9, nil},
		{[]byte{0x01, 0x00}, 2, 9, nil},
		{[]byte{0x00, 0x80}, 1, 9, ErrLPMBits},
	}
	for _, c := range lpm {
		if err := CheckLPM(c.v, c.plen, c.width); !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
			t.Errorf("CheckLPM(%x/%d, w%d) = %v, want %v", c.v, c.plen, c.width, err, c.err)
		}
	}
	tern := []struct {
		v, m  []byte
		width int
		err   error
	}{
		{[]byte{0x0a}, []byte{0xff}, 8, nil},
		{[]byte{0x0b}, []byte{0xfe}, 8, ErrMaskedBits},
		{[]byte{0, 0x0a}, []byte{0x0f}, 8, nil},
		{[]byte{0x00}, []byte{0x00}, 8, ErrDontCare},
		{[]byte{0x01, 0x00}, []byte{0xff}, 8, ErrTooWide},
	}
	for _, c := range tern {
		if err := CheckTernary(c.v, c.m, c.width); !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
			t.Errorf("CheckTernary(%x &&& %x) = %v, want %v", c.v, c.m, err, c.err)
		}
	}
	rng := []struct {
		lo, hi []byte
		width  int
		err    error
	}{
		{[]byte{1}, []byte{5}, 8, nil},
		{[]byte{5}, []byte{1}, 8, ErrRangeBounds},
		{[]byte{0}, []byte{0xff}, 8, ErrDontCare},
		{[]byte{0}, []byte{0x01, 0xff}, 9, ErrDontCare},
		{[]byte{0}, []byte{0xff}, 9, nil},
	}
	for _, c := range rng {
		if err := CheckRange(c.lo, c.hi, c.width); !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
			t.Errorf("CheckRange(%x..%x) = %v, want %v", c.lo, c.hi, err, c.err)
		}
	}
}

// FuzzCanonical: canonicalisation keeps the value, is idempotent, and
// Check/Pad agree with the value's bit length.
func FuzzCanonical(f *testing.F) {
	f.Add([]byte{0, 0, 1}, 9)
	f.Add([]byte{0}, 1)
	f.Add([]byte{0xff, 0xff}, 16)
	f.Fuzz(func(t *testing.T, b []byte, width int) {
		width = width % 200
		if width < 0 {
			width = -width
		}
		c := Canonical(b)
		if !IsCanonical(c) {
			t.Fatalf("not canonical: %x", c)
		}
		if !bytes.Equal(Canonical(c), c) {
			t.Fatalf("not idempotent: %x", c)
		}
		if len(b) > 0 && ToBig(b).Cmp(ToBig(c)) != 0 {
			t.Fatalf("value changed: %x -> %x", b, c)
		}
		err := Check(b, width)
		switch {
		case len(b) == 0:
			if err == nil {
				t.Fatal("empty accepted")
			}
		case width == 0:
			if err != nil {
				t.Fatal(err)
			}
		default:
			fits := ToBig(b).BitLen() <= width
			if fits != (err == nil) {
				t.Fatalf("Check(%x,%d)=%v, fits=%v", b, width, err, fits)
			}
			if fits {
				p, err := Pad(b, width)
				if err != nil || len(p) != ByteLen(width) || !Equal(p, b) {
					t.Fatalf("Pad(%x,%d)=%x,%v", b, width, p, err)
				}
			}
		}
	})
}
