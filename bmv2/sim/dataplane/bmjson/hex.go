package bmjson

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
)

// ParseHex parses a bmv2 "hexstr": hexadecimal digits with an optional "0x"
// prefix and an optional leading minus sign, as a signed integer.
func ParseHex(s string) (*big.Int, error) {
	t := strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(t, "-") {
		neg = true
		t = t[1:]
	}
	t = strings.TrimPrefix(strings.TrimPrefix(t, "0x"), "0X")
	if t == "" {
		return nil, fmt.Errorf("hexstr %q: no digits", s)
	}
	v, ok := new(big.Int).SetString(t, 16)
	if !ok {
		return nil, fmt.Errorf("hexstr %q: not hexadecimal", s)
	}
	if neg {
		v.Neg(v)
	}
	return v, nil
}

// HexBytes decodes a hexstr into bytes the way bmv2's ByteContainer does:
// one byte per two digits, with a leading zero digit added when the count
// is odd. The result's length therefore carries the byte width the
// compiler wrote (e.g. "0x0aba03" is three bytes).
func HexBytes(s string) ([]byte, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X")
	if len(t)%2 == 1 {
		t = "0" + t
	}
	b, err := hex.DecodeString(t)
	if err != nil {
		return nil, fmt.Errorf("hexstr %q: %w", s, err)
	}
	return b, nil
}
