package translate

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
)

// portMatchInfo is a program with one table per match kind on
// standard_metadata.ingress_port (a port by info.DefaultPortRules), of
// width bits: "t_ternary", "t_lpm", "t_range", "t_optional".
func portMatchInfo(t testing.TB, width int32) *info.Info {
	t.Helper()
	p := &p4configv1.P4Info{Actions: []*p4configv1.Action{{Preamble: &p4configv1.Preamble{Id: 0x01000001, Name: "NoAction"}}}}
	kinds := []p4configv1.MatchField_MatchType{p4configv1.MatchField_TERNARY, p4configv1.MatchField_LPM, p4configv1.MatchField_RANGE, p4configv1.MatchField_OPTIONAL}
	for i, k := range kinds {
		p.Tables = append(p.Tables, &p4configv1.Table{
			Preamble: &p4configv1.Preamble{Id: 0x02000001 + uint32(i), Name: "t_" + strings.ToLower(k.String())},
			MatchFields: []*p4configv1.MatchField{{Id: 1, Name: "standard_metadata.ingress_port", Bitwidth: width,
				Match: &p4configv1.MatchField_MatchType_{MatchType: k}}},
			ActionRefs: []*p4configv1.ActionRef{{Id: 0x01000001}},
			Size:       64,
		})
	}
	in, err := info.New(p)
	if err != nil {
		t.Fatal(err)
	}
	if f := in.TableByName("t_ternary").FieldByName("standard_metadata.ingress_port"); !f.IsPort {
		t.Fatal("ingress_port is not a port field")
	}
	return in
}

// portEntry is an entry of in's table t_<kind> with match fm on its port
// field.
func portEntry(in *info.Info, kind string, fm *p4v1.FieldMatch) *p4v1.Entity {
	tb := in.TableByName("t_" + kind)
	fm.FieldId = tb.Fields[0].ID
	te := &p4v1.TableEntry{TableId: tb.ID, Match: []*p4v1.FieldMatch{fm},
		Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: 0x01000001}}}}
	if kind != "lpm" {
		te.Priority = 1
	}
	return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: te}}
}

func ternaryMatch(v, m uint64) *p4v1.FieldMatch {
	return &p4v1.FieldMatch{FieldMatchType: &p4v1.FieldMatch_Ternary_{Ternary: &p4v1.FieldMatch_Ternary{Value: canon.FromUint64(v), Mask: canon.FromUint64(m)}}}
}

func lpmMatch(v uint64, plen int32) *p4v1.FieldMatch {
	return &p4v1.FieldMatch{FieldMatchType: &p4v1.FieldMatch_Lpm{Lpm: &p4v1.FieldMatch_LPM{Value: canon.FromUint64(v), PrefixLen: plen}}}
}

func rangeMatch(lo, hi uint64) *p4v1.FieldMatch {
	return &p4v1.FieldMatch{FieldMatchType: &p4v1.FieldMatch_Range_{Range: &p4v1.FieldMatch_Range{Low: canon.FromUint64(lo), High: canon.FromUint64(hi)}}}
}

func optionalMatch(v uint64) *p4v1.FieldMatch {
	return &p4v1.FieldMatch{FieldMatchType: &p4v1.FieldMatch_Optional_{Optional: &p4v1.FieldMatch_Optional{Value: canon.FromUint64(v)}}}
}

// portsOf maps ports 1..8 and the CPU port 255 by f.
func portsOf(f func(uint64) uint64) *PortMap {
	m := map[uint64]uint64{255: 255}
	for p := uint64(1); p <= 8; p++ {
		m[p] = f(p)
	}
	return NewPortMap(m)
}

// Issue 15, point 3: a ternary, LPM or range match on a port field that
// covers several values is translated when the port map carries it exactly
// (every mapped port covered iff its image is), and refused, naming the
// entry, when it does not; reads back invert it exactly (P4Runtime spec
// section 9.1.1 "Match Format": the controller reads what it wrote).
func TestPartialPortMatch(t *testing.T) {
	in := portMatchInfo(t, 9)
	identity := portsOf(func(p uint64) uint64 { return p })
	shift := portsOf(func(p uint64) uint64 { return p + 10 }) // 1..8 -> 11..18
	swap := portsOf(func(p uint64) uint64 { return p ^ 1 })   // 2<->3, 4<->5, ...: keeps bits 1..8
	for _, tc := range []struct {
		name string
		pm   *PortMap
		kind string
		fm   *p4v1.FieldMatch
		want *p4v1.FieldMatch // nil: refused
	}{
		{"ternary, identity", identity, "ternary", ternaryMatch(2, 0x1fe), ternaryMatch(2, 0x1fe)},
		{"ternary covering unmapped values, identity", identity, "ternary", ternaryMatch(0, 0x100), ternaryMatch(0, 0x100)},
		{"ternary, shift keeps the pair", shift, "ternary", ternaryMatch(2, 0x1fe), ternaryMatch(12, 0x1fe)},
		{"ternary, shift splits 0..3", shift, "ternary", ternaryMatch(0, 0x1fc), nil},
		{"ternary, swap within pairs", swap, "ternary", ternaryMatch(4, 0x1fe), ternaryMatch(4, 0x1fe)},
		{"ternary covering no mapped port", shift, "ternary", ternaryMatch(0x40, 0x1f0), ternaryMatch(0x40, 0x1f0)},
		{"ternary covering no port, an image inside", shift, "ternary", ternaryMatch(0x10, 0x1f0), nil},
		{"lpm, identity", identity, "lpm", lpmMatch(0, 7), lpmMatch(0, 7)},
		{"lpm, shift keeps the pair", shift, "lpm", lpmMatch(2, 8), lpmMatch(12, 8)},
		{"lpm, shift splits 0..3", shift, "lpm", lpmMatch(0, 7), nil},
		{"range, identity", identity, "range", rangeMatch(1, 8), rangeMatch(1, 8)},
		{"range, shift", shift, "range", rangeMatch(2, 5), rangeMatch(12, 15)},
		{"range covering unmapped values, shift", shift, "range", rangeMatch(0, 100), rangeMatch(10, 110)},
		{"range, swap cuts a pair", swap, "range", rangeMatch(3, 4), nil},
		{"range, swap keeps pairs", swap, "range", rangeMatch(2, 5), rangeMatch(2, 5)},
		{"range leaving the field", shift, "range", rangeMatch(1, 510), nil},
		{"optional, shift", shift, "optional", optionalMatch(3), optionalMatch(13)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := New(in, in, WithPorts(tc.pm))
			if err != nil {
				t.Fatal(err)
			}
			e := portEntry(in, tc.kind, tc.fm)
			got, err := tr.Entity(e)
			if tc.want == nil {
				if !errors.Is(err, ErrPortMatch) || !strings.Contains(err.Error(), "t_"+tc.kind) {
					t.Fatalf("translated to %v (err %v); want ErrPortMatch naming the entry", got, err)
				}
				t.Logf("refused: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := portEntry(in, tc.kind, tc.want); !entity.Equal(got, want) {
				t.Fatalf("translated to %v, want %v", got.GetTableEntry().Match[0], tc.want)
			}
			back, err := tr.Reverse()
			if err != nil {
				t.Fatal(err)
			}
			again, err := back.Entity(got)
			if err != nil || !entity.Equal(again, e) {
				t.Fatalf("read back as %v (%v), wrote %v", again, err, e)
			}
		})
	}

	// A match naming one port still needs it mapped.
	tr, _ := New(in, in, WithPorts(shift))
	if _, err := tr.Entity(portEntry(in, "ternary", ternaryMatch(99, 0x1ff))); !errors.Is(err, ErrUnmappedPort) {
		t.Errorf("full mask on an unmapped port: %v", err)
	}
	// Masks and prefixes count bits: a port field of another width on the
	// target cannot carry them.
	wide := portMatchInfo(t, 32)
	tr, err := New(in, wide, WithPorts(identity))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Entity(portEntry(in, "ternary", ternaryMatch(2, 0x1fe))); !errors.Is(err, ErrPortMatch) {
		t.Errorf("partial mask across widths: %v", err)
	}
	if got, err := tr.Entity(portEntry(in, "range", rangeMatch(2, 5))); err != nil || !entity.Equal(got, portEntry(wide, "range", rangeMatch(2, 5))) {
		t.Errorf("range across widths: %v %v", got, err)
	}
	// A malformed match is refused as such (INVALID_ARGUMENT at a server).
	if _, err := tr.Entity(portEntry(in, "ternary", ternaryMatch(3, 0x1fe))); !errors.Is(err, canon.ErrMaskedBits) {
		t.Errorf("value outside its mask: %v", err)
	}
}

// FuzzPortMatch checks partial port matches against a brute-force oracle
// over the whole 9-bit port space: a translation is accepted only when
// every mapped port is covered iff its image is, and reads back exactly; a
// refusal only when no match of the same shape carries the map both ways
// (ternary, LPM) or the lowest covered port's shift does not (range); an
// identity map is never refused, nor a uniform shift of a range that covers
// a mapped port and fits (a range that covers none stays where it is).
func FuzzPortMatch(f *testing.F) {
	in := portMatchInfo(f, 9)
	for _, s := range [][4]uint64{{1, 0, 2, 0x1fe}, {2, 1, 0, 7}, {3, 2, 2, 5}, {4, 0, 0x10, 0x1f0}, {5, 2, 0, 300}, {6, 1, 0x80, 1}, {7, 0, 0, 0x1fc}} {
		f.Add(s[0], uint8(s[1]), s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, seed uint64, kind uint8, a, b uint64) {
		r := rand.New(rand.NewPCG(seed, seed>>7))
		pm, uniform := randomPortMap(r)
		var fm *p4v1.FieldMatch
		var k string
		switch kind % 3 {
		case 0:
			m := b & 0x1ff
			if m == 0 || m == 0x1ff {
				return
			}
			k, fm = "ternary", ternaryMatch(a&m, m)
		case 1:
			plen := int32(b%8) + 1
			m := uint64(0x1ff) &^ (1<<(9-plen) - 1)
			k, fm = "lpm", lpmMatch(a&m, plen)
		case 2:
			lo, hi := a&0x1ff, b&0x1ff
			if lo > hi {
				lo, hi = hi, lo
			}
			if lo == hi || lo == 0 && hi == 0x1ff {
				return
			}
			k, fm = "range", rangeMatch(lo, hi)
		}
		tr, err := New(in, in, WithPorts(pm))
		if err != nil {
			t.Fatal(err)
		}
		e := portEntry(in, k, fm)
		got, err := tr.Entity(e)
		if err != nil {
			if !errors.Is(err, ErrPortMatch) {
				t.Fatalf("%v: %v", pm, err)
			}
			if uniform == 0 || uniform > 0 && k == "range" && coversMapped(fm, pm) && fitsShifted(fm, uniform) {
				t.Fatalf("refused under a uniform shift by %d (%v): %v", uniform, pm, err)
			}
			if k != "range" && sameShapeExists(fm, pm) {
				t.Fatalf("refused, but a match of the same shape carries %v both ways: %v", pm, err)
			}
			return
		}
		gm := got.GetTableEntry().Match[0]
		if err := validMatch(gm); err != nil {
			t.Fatalf("translated to an invalid match %v: %v", gm, err)
		}
		from, to := coverage(fm), coverage(gm)
		for _, p := range pm.Numbers() {
			if from(p) != to(pm.num[p]) {
				t.Fatalf("%v -> %v under %v: port %d covered %v, its image %d covered %v", fm, gm, pm, p, from(p), pm.num[p], to(pm.num[p]))
			}
		}
		back, err := tr.Reverse()
		if err != nil {
			t.Fatal(err)
		}
		if again, err := back.Entity(got); err != nil || !entity.Equal(again, e) {
			t.Fatalf("%v -> %v under %v reads back as %v (%v)", fm, gm, pm, again, err)
		}
	})
}

// randomPortMap is a one-to-one map of some ports below 512; uniform is its
// shift when every port moves by the same amount, else -1.
func randomPortMap(r *rand.Rand) (*PortMap, int) {
	n := 1 + r.IntN(12)
	from := r.Perm(64)[:n]
	m := map[uint64]uint64{}
	switch r.IntN(4) {
	case 0: // identity
		for _, p := range from {
			m[uint64(p)] = uint64(p)
		}
		return NewPortMap(m), 0
	case 1: // uniform shift
		d := r.IntN(64)
		for _, p := range from {
			m[uint64(p)] = uint64(p + d)
		}
		return NewPortMap(m), d
	case 2: // a permutation of the ports themselves
		to := r.Perm(n)
		for i, p := range from {
			m[uint64(p)] = uint64(from[to[i]])
		}
	default: // anywhere
		to := r.Perm(512)[:n]
		for i, p := range from {
			m[uint64(p)] = uint64(to[i])
		}
	}
	return NewPortMap(m), -1
}

// coverage is the set of 9-bit values a match covers.
func coverage(fm *p4v1.FieldMatch) func(uint64) bool {
	num := func(b []byte) uint64 { v, _ := canon.ToUint64(b); return v }
	switch x := fm.FieldMatchType.(type) {
	case *p4v1.FieldMatch_Ternary_:
		v, m := num(x.Ternary.Value), num(x.Ternary.Mask)
		return func(p uint64) bool { return p&m == v }
	case *p4v1.FieldMatch_Lpm:
		v, m := num(x.Lpm.Value), uint64(0x1ff)&^(1<<(9-x.Lpm.PrefixLen)-1)
		return func(p uint64) bool { return p&m == v }
	case *p4v1.FieldMatch_Range_:
		lo, hi := num(x.Range.Low), num(x.Range.High)
		return func(p uint64) bool { return lo <= p && p <= hi }
	}
	panic(fmt.Sprintf("coverage of %v", fm))
}

func validMatch(fm *p4v1.FieldMatch) error {
	switch x := fm.FieldMatchType.(type) {
	case *p4v1.FieldMatch_Ternary_:
		return canon.CheckTernary(x.Ternary.Value, x.Ternary.Mask, 9)
	case *p4v1.FieldMatch_Lpm:
		return canon.CheckLPM(x.Lpm.Value, x.Lpm.PrefixLen, 9)
	case *p4v1.FieldMatch_Range_:
		return canon.CheckRange(x.Range.Low, x.Range.High, 9)
	}
	return nil
}

// fitsShifted reports whether fm's covered values all stay below 512 when
// moved by d (a range's bounds; a masked match is only kept by d = 0).
func fitsShifted(fm *p4v1.FieldMatch, d int) bool {
	if r := fm.GetRange(); r != nil {
		hi, _ := canon.ToUint64(r.High)
		return hi+uint64(d) <= 0x1ff
	}
	return true
}

// coversMapped reports whether fm covers a port pm maps.
func coversMapped(fm *p4v1.FieldMatch, pm *PortMap) bool {
	c := coverage(fm)
	for _, p := range pm.Numbers() {
		if c(p) {
			return true
		}
	}
	return false
}

// sameShapeExists reports whether some ternary/LPM match with fm's mask
// covers exactly the images of the mapped ports fm covers, and, read back
// by the same rule (the masked bits of a covered image's port, or the
// value itself when it covers none), gives fm back.
func sameShapeExists(fm *p4v1.FieldMatch, pm *PortMap) bool {
	var v, m uint64
	if x := fm.GetTernary(); x != nil {
		v, _ = canon.ToUint64(x.Value)
		m, _ = canon.ToUint64(x.Mask)
	} else {
		x := fm.GetLpm()
		v, _ = canon.ToUint64(x.Value)
		m = uint64(0x1ff) &^ (1<<(9-x.PrefixLen) - 1)
	}
	for cand := uint64(0); cand <= 0x1ff; cand++ {
		if cand&^m != 0 {
			continue
		}
		ok, readBack := true, cand
		for _, p := range pm.Numbers() {
			q := pm.num[p]
			if (p&m == v) != (q&m == cand) {
				ok = false
				break
			}
			if q&m == cand {
				readBack = p & m
			}
		}
		if ok && readBack == v {
			return true
		}
	}
	return false
}
