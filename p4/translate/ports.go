package translate

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/lime-p4/lime/p4/canon"
)

// ErrUnmappedPort reports a port value that the port map does not cover.
var ErrUnmappedPort = errors.New("port not in the port map")

// PortMap maps ports of one device to ports of another. Numeric ports (the
// usual bit<9> or 32-bit SDN port numbers) and string ports (SDN string
// port types, e.g. "Ethernet0") are mapped separately. The zero PortMap
// maps nothing; a nil *PortMap is the identity.
type PortMap struct {
	num map[uint64]uint64
	str map[string]string
}

// NewPortMap returns a map of numeric ports.
func NewPortMap(m map[uint64]uint64) *PortMap {
	pm := &PortMap{num: map[uint64]uint64{}, str: map[string]string{}}
	for k, v := range m {
		pm.num[k] = v
	}
	return pm
}

// ParsePortMap parses "1=5,2=6,cpu..." style text: comma- or
// newline-separated pairs FROM=TO (or FROM:TO); numbers are numeric ports,
// anything else string ports. Blank lines and '#' comments are ignored.
func ParsePortMap(s string) (*PortMap, error) {
	pm := NewPortMap(nil)
	for _, line := range strings.Split(s, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		for _, pair := range strings.Split(line, ",") {
			pair = strings.TrimSpace(pair)
			if pair == "" {
				continue
			}
			from, to, ok := strings.Cut(pair, "=")
			if !ok {
				from, to, ok = strings.Cut(pair, ":")
			}
			from, to = strings.TrimSpace(from), strings.TrimSpace(to)
			if !ok || from == "" || to == "" {
				return nil, fmt.Errorf("port map: %q is not FROM=TO", pair)
			}
			if err := pm.Add(from, to); err != nil {
				return nil, err
			}
		}
	}
	return pm, nil
}

// Add maps from to to; both numbers, or both strings.
func (pm *PortMap) Add(from, to string) error {
	f, errF := strconv.ParseUint(from, 0, 64)
	t, errT := strconv.ParseUint(to, 0, 64)
	switch {
	case errF == nil && errT == nil:
		if old, dup := pm.num[f]; dup && old != t {
			return fmt.Errorf("port map: port %d mapped twice (%d and %d)", f, old, t)
		}
		pm.num[f] = t
	case errF != nil && errT != nil:
		if old, dup := pm.str[from]; dup && old != to {
			return fmt.Errorf("port map: port %q mapped twice (%q and %q)", from, old, to)
		}
		pm.str[from] = to
	default:
		return fmt.Errorf("port map: %s=%s mixes a number and a name", from, to)
	}
	return nil
}

// Len is the number of mapped ports.
func (pm *PortMap) Len() int {
	if pm == nil {
		return 0
	}
	return len(pm.num) + len(pm.str)
}

// Inverse returns the map from target ports back to source ports. It fails
// when two source ports map to the same target port.
func (pm *PortMap) Inverse() (*PortMap, error) {
	if pm == nil {
		return nil, nil
	}
	inv := NewPortMap(nil)
	for k, v := range pm.num {
		if o, dup := inv.num[v]; dup {
			return nil, fmt.Errorf("port map: ports %d and %d both map to %d", o, k, v)
		}
		inv.num[v] = k
	}
	for k, v := range pm.str {
		if o, dup := inv.str[v]; dup {
			return nil, fmt.Errorf("port map: ports %q and %q both map to %q", o, k, v)
		}
		inv.str[v] = k
	}
	return inv, nil
}

// With returns a copy of pm in which numeric port p maps to q.
func (pm *PortMap) With(p, q uint64) *PortMap {
	out := NewPortMap(nil)
	if pm != nil {
		maps.Copy(out.num, pm.num)
		maps.Copy(out.str, pm.str)
	}
	out.num[p] = q
	return out
}

// Numbers lists the numeric ports pm maps, sorted.
func (pm *PortMap) Numbers() []uint64 {
	if pm == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(pm.num))
}

// Number maps a numeric port.
func (pm *PortMap) Number(p uint64) (uint64, error) {
	if pm == nil {
		return p, nil
	}
	q, ok := pm.num[p]
	if !ok {
		return 0, fmt.Errorf("%w: %d", ErrUnmappedPort, p)
	}
	return q, nil
}

// Bytes maps a port given as a P4Runtime value: a bitstring (any padding;
// the result is canonical, or padded to width bits when width > 0) or, when
// isString, an SDN string.
func (pm *PortMap) Bytes(v []byte, isString bool, width int) ([]byte, error) {
	if pm == nil {
		return v, nil
	}
	if isString {
		q, ok := pm.str[string(v)]
		if !ok {
			return nil, fmt.Errorf("%w: %q", ErrUnmappedPort, v)
		}
		return []byte(q), nil
	}
	p, err := canon.ToUint64(v)
	if err != nil {
		return nil, fmt.Errorf("port 0x%x: %w", v, err)
	}
	q, err := pm.Number(p)
	if err != nil {
		return nil, err
	}
	out := canon.FromUint64(q)
	if width > 0 {
		if err := canon.Check(out, width); err != nil {
			return nil, fmt.Errorf("port %d maps to %d: %w", p, q, err)
		}
	}
	return out, nil
}

// String lists the map as FROM=TO pairs, sorted.
func (pm *PortMap) String() string {
	if pm == nil {
		return "identity"
	}
	nums := make([]uint64, 0, len(pm.num))
	for k := range pm.num {
		nums = append(nums, k)
	}
	slices.Sort(nums)
	parts := make([]string, 0, pm.Len())
	for _, k := range nums {
		parts = append(parts, fmt.Sprintf("%d=%d", k, pm.num[k]))
	}
	strs := make([]string, 0, len(pm.str))
	for k := range pm.str {
		strs = append(strs, k)
	}
	slices.Sort(strs)
	for _, k := range strs {
		parts = append(parts, k+"="+pm.str[k])
	}
	return strings.Join(parts, ",")
}
