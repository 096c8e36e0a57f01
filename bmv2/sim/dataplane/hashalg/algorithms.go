package hashalg

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"math/bits"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"
)

// Hasher computes one algorithm over a byte string. Instances of stateful
// algorithms (round_robin, round_robin_consistent) keep their own state, so
// each P4 object needs its own instance; all are safe for concurrent use.
type Hasher interface {
	Sum(b []byte) uint64
}

type sumFunc func(b []byte) uint64

func (f sumFunc) Sum(b []byte) uint64 { return f(b) }

// New returns a fresh instance of the algorithm bmv2 knows by name, or an
// error naming the algorithm when bmv2 would refuse it too.
func New(name string) (Hasher, error) {
	switch name {
	case "crc16":
		return newCRC(crcMap["crc_16"]), nil
	case "crc32":
		return newCRC(crcMap["crc_32"]), nil
	case "crcCCITT":
		return newCRC(crcMap["crc_ccitt_false"]), nil
	case "csum16", "cksum16":
		return sumFunc(csum16), nil
	case "identity":
		return sumFunc(identity), nil
	case "xor16":
		return sumFunc(func(b []byte) uint64 { return xorHash(b, 2) }), nil
	case "xor32":
		return sumFunc(func(b []byte) uint64 { return xorHash(b, 4) }), nil
	case "xxh64":
		return sumFunc(xxhash.Sum64), nil
	case "toeplitz":
		return newToeplitz(make([]byte, 4)), nil
	case "round_robin":
		return &roundRobin{}, nil
	case "round_robin_consistent":
		return &roundRobinConsistent{seen: map[string]uint64{}}, nil
	}
	if p, ok := customDefaults[name]; ok {
		return newCRC(p), nil
	}
	if p, ok := crcMap[name]; ok {
		return newCRC(p), nil
	}
	if p, ok := parseCustom(name); ok {
		return newCRC(p), nil
	}
	return nil, fmt.Errorf("hashalg: unknown hash algorithm %q", name)
}

// Names lists the algorithms New accepts by name (custom CRC strings
// aside), sorted.
func Names() []string {
	n := []string{"crc16", "crc32", "crcCCITT", "csum16", "cksum16", "identity", "xor16", "xor32",
		"xxh64", "toeplitz", "round_robin", "round_robin_consistent"}
	for k := range customDefaults {
		n = append(n, k)
	}
	for k := range crcMap {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// csum16 is the Internet checksum (RFC 1071) of b read as big-endian 16-bit
// words, an odd last byte padded with zero, returned as a number whose high
// byte is the first checksum byte on the wire (bmv2's cksum16 with ntohs).
func csum16(b []byte) uint64 {
	var sum uint64
	for len(b) >= 2 {
		sum += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint64(b[0]) << 8
	}
	for sum>>16 != 0 {
		sum = (sum & 0xffff) + (sum >> 16)
	}
	return uint64(^uint16(sum))
}

// identity returns the first (up to) 8 bytes as a big-endian number.
func identity(b []byte) uint64 {
	var r uint64
	for i := 0; i < len(b) && i < 8; i++ {
		r = r<<8 | uint64(b[i])
	}
	return r
}

// xorHash XORs n-byte big-endian words, the last one padded at its tail.
func xorHash(b []byte, n int) uint64 {
	var r uint64
	for len(b) > 0 {
		var w uint64
		k := min(n, len(b))
		for i := 0; i < k; i++ {
			w = w<<8 | uint64(b[i])
		}
		w <<= uint(8 * (n - k))
		r ^= w
		b = b[k:]
	}
	return r
}

type roundRobin struct{ n atomic.Uint64 }

// Sum ignores its input and returns 0, 1, 2, ... on successive calls.
func (r *roundRobin) Sum([]byte) uint64 { return r.n.Add(1) - 1 }

type roundRobinConsistent struct {
	mu   sync.Mutex
	next uint64
	seen map[string]uint64
}

// Sum returns a new number for each distinct input and the same number for
// an input seen before.
func (r *roundRobinConsistent) Sum(b []byte) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.seen[string(b)]; ok {
		return v
	}
	v := r.next
	r.next++
	r.seen[string(b)] = v
	return v
}

// toeplitz is bmv2's Toeplitz hash over 32-bit words with a key whose
// length is a multiple of 4 bytes.
type toeplitz struct{ key []uint32 }

func newToeplitz(key []byte) *toeplitz {
	t := &toeplitz{}
	for i := 0; i+4 <= len(key); i += 4 {
		t.key = append(t.key, binary.BigEndian.Uint32(key[i:]))
	}
	return t
}

// Sum computes the Toeplitz hash of b.
func (t *toeplitz) Sum(b []byte) uint64 {
	var words []uint32
	for len(b) >= 4 {
		words = append(words, binary.BigEndian.Uint32(b))
		b = b[4:]
	}
	if len(b) > 0 {
		var w uint32
		for i := 0; i < 4; i++ {
			w <<= 8
			if i < len(b) {
				w |= uint32(b[i])
			}
		}
		words = append(words, w)
	}
	var r uint32
	n := len(t.key)
	for i, w := range words {
		kl, kr := t.key[i%n], t.key[(i+1)%n]
		for x := w; x != 0; x &= x - 1 {
			bit := 31 - bits.TrailingZeros32(x)
			r ^= kl<<uint(bit) | uint32(uint64(kr)>>uint(32-bit))
		}
	}
	return uint64(r)
}

// parseCustom reads bmv2's custom CRC strings, e.g.
// "poly_0x11021_init_0xffff_xout_0x0_not_rev": the polynomial includes its
// leading bit, which sets the width (8, 16, 32 or 64).
func parseCustom(s string) (CRCParams, bool) {
	toks := strings.Split(s, "_")
	var poly, init, xout string
	p := CRCParams{ReflectIn: true, ReflectOut: true}
	for i := 0; i < len(toks); i++ {
		next := func() string {
			if i+1 < len(toks) {
				i++
				return toks[i]
			}
			return ""
		}
		switch toks[i] {
		case "poly":
			poly = next()
		case "init":
			init = next()
		case "xout":
			xout = next()
		case "not":
			if next() != "rev" {
				return p, false
			}
			p.ReflectIn, p.ReflectOut = false, false
		default:
			return p, false
		}
	}
	if len(poly) < 3 || !strings.HasPrefix(poly, "0x1") {
		return p, false
	}
	p.Width = (len(poly) - 3) * 4
	if p.Width != 8 && p.Width != 16 && p.Width != 32 && p.Width != 64 {
		return p, false
	}
	parse := func(h string) (uint64, bool) {
		if h == "" {
			return 0, true
		}
		v, ok := new(big.Int).SetString(strings.TrimPrefix(h, "0x"), 16)
		if !ok {
			return 0, false
		}
		return v.Uint64(), true
	}
	var ok1, ok2, ok3 bool
	p.Poly, ok1 = parse("0x" + poly[3:])
	p.Init, ok2 = parse(init)
	p.XorOut, ok3 = parse(xout)
	return p, ok1 && ok2 && ok3
}
