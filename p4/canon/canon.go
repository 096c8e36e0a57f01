package canon

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math/big"

	"github.com/antoninbas/p4runtime-go-client/pkg/util/conversion"
)

// ErrTooWide reports a value with more significant bits than its width.
var ErrTooWide = errors.New("value does not fit its bit width")

// ErrEmpty reports an empty bytestring where a value is required.
var ErrEmpty = errors.New("empty bytestring")

// Canonical returns the canonical form of b: leading zero bytes removed,
// zero as a single 0x00 byte. It returns a sub-slice of b (no copy); an
// empty input is returned as is.
func Canonical(b []byte) []byte {
	return conversion.ToCanonicalBytestring(b)
}

// IsCanonical reports whether b is already in canonical form.
func IsCanonical(b []byte) bool {
	return len(b) == 0 || b[0] != 0 || len(b) == 1
}

// BitLen is the number of significant bits of the big-endian value b.
func BitLen(b []byte) int {
	b = Canonical(b)
	if len(b) == 0 || (len(b) == 1 && b[0] == 0) {
		return 0
	}
	n := (len(b) - 1) * 8
	for v := b[0]; v != 0; v >>= 1 {
		n++
	}
	return n
}

// ByteLen is the number of bytes of a padded bit<width> value.
func ByteLen(width int) int { return (width + 7) / 8 }

// Check validates b as a bit<width> value: not empty, and no significant bit
// at or beyond width. Any length is accepted as long as the value fits, as the
// spec requires of servers. A width of 0 means "not a bitstring" (e.g. an
// SDN string type) and only emptiness is checked.
func Check(b []byte, width int) error {
	if len(b) == 0 {
		return ErrEmpty
	}
	if width <= 0 {
		return nil
	}
	if n := BitLen(b); n > width {
		return fmt.Errorf("%w: 0x%x needs %d bits, width is %d", ErrTooWide, Canonical(b), n, width)
	}
	return nil
}

// Pad returns b as exactly ByteLen(width) bytes (big-endian, zero-extended).
// It returns an error if the value does not fit.
func Pad(b []byte, width int) ([]byte, error) {
	if err := Check(b, width); err != nil {
		return nil, err
	}
	n := ByteLen(width)
	c := Canonical(b)
	if len(c) > n { // only the zero byte of a width-0 field can get here
		c = c[len(c)-n:]
	}
	out := make([]byte, n)
	copy(out[n-len(c):], c)
	return out, nil
}

// FromUint64 encodes v canonically. It does not check a width.
func FromUint64(v uint64) []byte {
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return append([]byte(nil), Canonical(b[:])...)
}

// ToUint64 decodes a value of at most 64 significant bits.
func ToUint64(b []byte) (uint64, error) {
	if n := BitLen(b); n > 64 {
		return 0, fmt.Errorf("%w: %d bits do not fit in uint64", ErrTooWide, n)
	}
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v, nil
}

// FromBig encodes a non-negative big integer canonically.
func FromBig(v *big.Int) []byte {
	if v.Sign() == 0 {
		return []byte{0}
	}
	return v.Bytes()
}

// ToBig decodes b as a non-negative big integer.
func ToBig(b []byte) *big.Int { return new(big.Int).SetBytes(b) }

// Equal reports whether a and b encode the same value (any padding).
func Equal(a, b []byte) bool { return Compare(a, b) == 0 }

// Compare orders the values a and b encode (any padding): -1, 0 or +1.
func Compare(a, b []byte) int {
	ca, cb := Canonical(a), Canonical(b)
	if len(ca) != len(cb) {
		return cmp.Compare(len(ca), len(cb))
	}
	return bytes.Compare(ca, cb)
}
