package canon

import (
	"errors"
	"fmt"
)

// Errors of match-field values (P4Runtime spec section 9.1.1 "Match
// Format"). Servers answer them with INVALID_ARGUMENT.
var (
	ErrPrefixLen   = errors.New("LPM prefix length out of range")
	ErrLPMBits     = errors.New("LPM value has bits set beyond its prefix length")
	ErrDontCare    = errors.New("don't-care match must be omitted")
	ErrMaskedBits  = errors.New("ternary value has bits set outside its mask")
	ErrRangeBounds = errors.New("range low bound is greater than high bound")
)

// CheckLPM validates an LPM match on a bit<width> field: the value fits,
// 0 < prefixLen <= width (a zero prefix is a don't-care and must be
// omitted), and no bit beyond the prefix is set.
func CheckLPM(value []byte, prefixLen int32, width int) error {
	if err := Check(value, width); err != nil {
		return err
	}
	if width <= 0 {
		return nil
	}
	if prefixLen == 0 {
		return fmt.Errorf("%w (prefix length 0)", ErrDontCare)
	}
	if prefixLen < 0 || int(prefixLen) > width {
		return fmt.Errorf("%w: %d for width %d", ErrPrefixLen, prefixLen, width)
	}
	v, _ := Pad(value, width)
	// Bit i (0 = most significant of the width) must be zero for i >= prefixLen.
	lead := ByteLen(width)*8 - width // padding bits at the top of v
	for i := int(prefixLen); i < width; i++ {
		bit := lead + i
		if v[bit/8]&(0x80>>(bit%8)) != 0 {
			return fmt.Errorf("%w: 0x%x/%d", ErrLPMBits, Canonical(value), prefixLen)
		}
	}
	return nil
}

// CheckTernary validates a ternary match: value and mask fit the width, the
// mask is not zero (an all-zero mask is a don't-care and must be omitted)
// and the value has no bit outside the mask.
func CheckTernary(value, mask []byte, width int) error {
	if err := Check(value, width); err != nil {
		return fmt.Errorf("value: %w", err)
	}
	if err := Check(mask, width); err != nil {
		return fmt.Errorf("mask: %w", err)
	}
	if BitLen(mask) == 0 {
		return fmt.Errorf("%w (mask 0)", ErrDontCare)
	}
	n := max(len(value), len(mask))
	for i := 0; i < n; i++ {
		var v, m byte
		if j := len(value) - n + i; j >= 0 {
			v = value[j]
		}
		if j := len(mask) - n + i; j >= 0 {
			m = mask[j]
		}
		if v&^m != 0 {
			return fmt.Errorf("%w: value 0x%x mask 0x%x", ErrMaskedBits, Canonical(value), Canonical(mask))
		}
	}
	return nil
}

// CheckRange validates a range match: both bounds fit, low <= high, and the
// range is not the whole domain [0, 2^width-1] (a don't-care, to be omitted).
func CheckRange(low, high []byte, width int) error {
	if err := Check(low, width); err != nil {
		return fmt.Errorf("low: %w", err)
	}
	if err := Check(high, width); err != nil {
		return fmt.Errorf("high: %w", err)
	}
	l := ToBig(low)
	if l.Cmp(ToBig(high)) > 0 {
		return fmt.Errorf("%w: 0x%x > 0x%x", ErrRangeBounds, Canonical(low), Canonical(high))
	}
	if width > 0 && l.Sign() == 0 && popcount(high) == width { // Check bounded high to width bits
		return fmt.Errorf("%w (full range)", ErrDontCare)
	}
	return nil
}

func popcount(b []byte) int {
	n := 0
	for _, x := range b {
		for ; x != 0; x &= x - 1 {
			n++
		}
	}
	return n
}
