package translate

import (
	"fmt"
	"math/bits"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/canon"
)

// A match on a port field that covers several values (a ternary match with
// a partial mask, an LPM match shorter than the field, a range of more than
// one value) is translated when the port map carries it exactly: for every
// port p of the map, p is covered by the match if and only if its image is
// covered by the translated match. Values the map does not hold are not
// ports of the device (a port map lists them all), so what the match does
// with them does not matter; a match that names one port (full mask, full
// prefix, one-value range, exact, optional) must name a mapped port, as
// before.
//
// The translated match keeps the match's shape, so that the reverse map
// gives back exactly the match the controller wrote:
//   - ternary value/mask keeps its mask; its value is the masked bits of
//     the covered ports' images (they must all agree), or the value itself
//     when the match covers no mapped port;
//   - LPM value/prefix is the ternary match of its prefix mask, and keeps
//     its prefix length;
//   - range low..high is shifted by as much as the lowest covered port
//     moves (min of the covered ports' images minus min of the covered
//     ports), or not at all when it covers no mapped port.
// Either rule applied to the translated match with the inverse map gives
// the original back: the covered mapped ports of the translation are the
// images of the original's. Ternary and LPM matches need the port field
// to have the same width on both sides (masks and prefixes count bits).

// portPair is one numeric pair of a port map.
type portPair struct{ from, to uint64 }

// portPairs are the port map's numeric pairs whose source port fits a field
// of fromWidth bits, sorted by source port.
func (t *Translator) portPairs(fromWidth int) []portPair {
	out := make([]portPair, 0, len(t.ports.num))
	for _, f := range t.ports.Numbers() {
		if fits(f, fromWidth) {
			out = append(out, portPair{f, t.ports.num[f]})
		}
	}
	return out
}

func fits(v uint64, width int) bool { return width >= 64 || v>>uint(width) == 0 }

// maskedPortMatch translates a ternary (value, mask) or LPM match (as its
// prefix mask) that covers several values of a port field of width bits on
// both sides, and returns the translated value.
func (t *Translator) maskedPortMatch(what string, value, mask uint64, width int) (uint64, error) {
	pairs := t.portPairs(width)
	covered := func(p uint64) bool { return p&mask == value }
	out := value
	for _, p := range pairs {
		if covered(p.from) {
			if !fits(p.to, width) {
				return 0, fmt.Errorf("%w: %s covers port %d, which maps to %d, beyond the target's %d bits", ErrPortMatch, what, p.from, p.to, width)
			}
			out = p.to & mask
			break
		}
	}
	for _, p := range pairs {
		if in := p.to&mask == out && fits(p.to, width); covered(p.from) != in {
			return 0, portMatchErr(what, p, covered(p.from), fmt.Sprintf("0x%x mask 0x%x", out, mask))
		}
	}
	return out, nil
}

// rangePortMatch translates a range match low..high of more than one value,
// and returns the translated bounds.
func (t *Translator) rangePortMatch(what string, low, high uint64, fromWidth, toWidth int) (uint64, uint64, error) {
	pairs := t.portPairs(fromWidth)
	covered := func(p uint64) bool { return low <= p && p <= high }
	var minFrom, minTo uint64
	found := false
	for _, p := range pairs {
		if !covered(p.from) {
			continue
		}
		if !fits(p.to, toWidth) {
			return 0, 0, fmt.Errorf("%w: %s covers port %d, which maps to %d, beyond the target's %d bits", ErrPortMatch, what, p.from, p.to, toWidth)
		}
		if !found || p.from < minFrom {
			minFrom = p.from
		}
		if !found || p.to < minTo {
			minTo = p.to
		}
		found = true
	}
	lo, hi := low, high
	if found && minTo != minFrom {
		var ok bool
		if lo, hi, ok = shift(low, high, minFrom, minTo, toWidth); !ok {
			return 0, 0, fmt.Errorf("%w: %s shifted by %d-%d leaves the target's %d bits", ErrPortMatch, what, minTo, minFrom, toWidth)
		}
	}
	if !fits(hi, toWidth) {
		return 0, 0, fmt.Errorf("%w: %s: 0x%x is beyond the target's %d bits", ErrPortMatch, what, hi, toWidth)
	}
	for _, p := range pairs {
		if in := lo <= p.to && p.to <= hi; covered(p.from) != in {
			return 0, 0, portMatchErr(what, p, covered(p.from), fmt.Sprintf("0x%x..0x%x", lo, hi))
		}
	}
	return lo, hi, nil
}

// shift moves low..high by to-from, within width bits.
func shift(low, high, from, to uint64, width int) (uint64, uint64, bool) {
	if to > from {
		d := to - from
		h, carry := bits.Add64(high, d, 0)
		return low + d, h, carry == 0 && fits(h, width)
	}
	d := from - to
	if low < d {
		return 0, 0, false
	}
	return low - d, high - d, true
}

func portMatchErr(what string, p portPair, covered bool, to string) error {
	if covered {
		return fmt.Errorf("%w: %s covers port %d, and the translated match (%s) does not cover its image %d", ErrPortMatch, what, p.from, to, p.to)
	}
	return fmt.Errorf("%w: %s does not cover port %d, and the translated match (%s) covers its image %d", ErrPortMatch, what, p.from, to, p.to)
}

// partialPortMatch translates the value of a ternary, LPM or range match on
// a numeric port field that covers several values (see above); it reports
// false when the match names one value, which portMatch maps as a port.
func (t *tx) partialPortMatch(m *p4v1.FieldMatch, fp fieldPair) (bool, error) {
	from, to := fp.from.Width, fp.to.Width
	num := func(b []byte) uint64 { v, _ := canon.ToUint64(b); return v }
	switch x := m.FieldMatchType.(type) {
	case *p4v1.FieldMatch_Ternary_:
		if err := canon.CheckTernary(x.Ternary.Value, x.Ternary.Mask, from); err != nil {
			return true, err
		}
		if canon.BitLen(x.Ternary.Mask) == from && fullMask(x.Ternary.Mask) {
			return false, nil
		}
		if err := sameWidth("ternary", from, to); err != nil || t.ports == nil {
			return true, err
		}
		what := fmt.Sprintf("ternary 0x%x mask 0x%x", x.Ternary.Value, x.Ternary.Mask)
		v, err := t.maskedPortMatch(what, num(x.Ternary.Value), num(x.Ternary.Mask), from)
		if err == nil && v != num(x.Ternary.Value) {
			t.changed = true
			if !t.dry {
				x.Ternary.Value = canon.FromUint64(v)
			}
		}
		return true, err
	case *p4v1.FieldMatch_Lpm:
		if err := canon.CheckLPM(x.Lpm.Value, x.Lpm.PrefixLen, from); err != nil {
			return true, err
		}
		if int(x.Lpm.PrefixLen) == from {
			return false, nil
		}
		if err := sameWidth("LPM", from, to); err != nil || t.ports == nil {
			return true, err
		}
		mask := ^uint64(0) << uint(from-int(x.Lpm.PrefixLen))
		if from < 64 {
			mask &= 1<<uint(from) - 1
		}
		what := fmt.Sprintf("LPM 0x%x/%d", x.Lpm.Value, x.Lpm.PrefixLen)
		v, err := t.maskedPortMatch(what, num(x.Lpm.Value), mask, from)
		if err == nil && v != num(x.Lpm.Value) {
			t.changed = true
			if !t.dry {
				x.Lpm.Value = canon.FromUint64(v)
			}
		}
		return true, err
	case *p4v1.FieldMatch_Range_:
		if err := canon.CheckRange(x.Range.Low, x.Range.High, from); err != nil {
			return true, err
		}
		if canon.Equal(x.Range.Low, x.Range.High) {
			return false, nil
		}
		if from > 64 || to > 64 {
			return true, fmt.Errorf("%w: range on a %d-bit port field", ErrPortMatch, max(from, to))
		}
		if t.ports == nil {
			return true, nil
		}
		what := fmt.Sprintf("range 0x%x..0x%x", x.Range.Low, x.Range.High)
		lo, hi, err := t.rangePortMatch(what, num(x.Range.Low), num(x.Range.High), from, to)
		if err == nil && (lo != num(x.Range.Low) || hi != num(x.Range.High)) {
			t.changed = true
			if !t.dry {
				x.Range.Low, x.Range.High = canon.FromUint64(lo), canon.FromUint64(hi)
			}
		}
		return true, err
	}
	return false, nil
}

// sameWidth refuses a masked match on a port field whose width differs
// between the two programs, or that is wider than 64 bits.
func sameWidth(kind string, from, to int) error {
	switch {
	case from != to:
		return fmt.Errorf("%w: a partial %s match on a port field of %d bits here and %d there", ErrPortMatch, kind, from, to)
	case from > 64:
		return fmt.Errorf("%w: a partial %s match on a %d-bit port field", ErrPortMatch, kind, from)
	}
	return nil
}
