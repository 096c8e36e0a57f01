package translate

import (
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
)

// proxyTranslators are translators as the proxy has them, over
// onos-basic (its egress port a port): one that keeps the ids and moves
// ports 1 and 21 (a migration to the same program whose host moved), one
// that renumbers every id too.
func proxyTranslators(t testing.TB) (*info.Info, []*Translator) {
	in, err := info.Load(fixtures.Get(t, "onos-basic").P4Info, info.WithPortRules(info.DefaultPortRules.Merge(info.PortRules{Names: []string{"*.set_egress_port/port"}})))
	if err != nil {
		t.Fatal(err)
	}
	m := map[uint64]uint64{}
	for p := uint64(0); p < 512; p++ {
		m[p] = p
	}
	m[1], m[21] = 21, 1
	same, err := New(in, in, WithPorts(NewPortMap(m)))
	if err != nil {
		t.Fatal(err)
	}
	re, _ := info.New(p4test.Renumber(in.Proto, 0x1234))
	renumbered, err := New(in, re, WithPorts(NewPortMap(m)))
	if err != nil {
		t.Fatal(err)
	}
	return in, []*Translator{same, renumbered}
}

// checkWire holds UpdateWire to Update for the update u, given as the
// wire bytes b: where UpdateWire takes it, it gives what Update gives,
// encoded. It reports whether UpdateWire took it.
func checkWire(t *testing.T, tr *Translator, b []byte, in *info.Info) bool {
	t.Helper()
	out, ok := tr.UpdateWire(b)
	if !ok {
		return false
	}
	var u p4v1.Update
	if err := proto.Unmarshal(b, &u); err != nil {
		return true // what does not decode is not an update to compare
	}
	want, err := tr.Update(u.Type, u.Entity)
	if err != nil {
		t.Fatalf("%s: UpdateWire took what Update refuses: %v", entity.Describe(u.Entity, in), err)
	}
	var got p4v1.Update
	if err := proto.Unmarshal(out, &got); err != nil {
		t.Fatalf("%s: UpdateWire gives what does not decode: %v", entity.Describe(u.Entity, in), err)
	}
	if got.Type != u.Type || !proto.Equal(got.Entity, want) {
		t.Fatalf("%s: UpdateWire gives %v, Update %v", entity.Describe(u.Entity, in), &got, want)
	}
	return true
}

// UpdateWire (issue 14: the proxy's mirrored writes translated as wire
// bytes) gives what Update gives, over generated states of every update
// type through both translators, and does take the table entries they
// hold (or it would spare the proxy nothing).
func TestUpdateWireIsUpdate(t *testing.T) {
	in, trs := proxyTranslators(t)
	taken, tables := 0, 0
	for seed := range uint64(20) {
		for i, e := range p4test.NewGen(in, seed).State(40) {
			u := &p4v1.Update{Type: []p4v1.Update_Type{p4v1.Update_INSERT, p4v1.Update_MODIFY, p4v1.Update_DELETE}[i%3], Entity: e}
			b, err := proto.Marshal(u)
			if err != nil {
				t.Fatal(err)
			}
			for _, tr := range trs {
				if e.GetTableEntry() != nil {
					tables++
				}
				if checkWire(t, tr, b, in) {
					taken++
				}
			}
		}
	}
	if taken < tables/2 {
		t.Errorf("UpdateWire took %d updates of %d table entries", taken, tables)
	}
}

// FuzzUpdateWire: any bytes, including cut and mutated updates, never make
// UpdateWire panic, and what it takes it translates as Update does.
func FuzzUpdateWire(f *testing.F) {
	in, trs := proxyTranslators(f)
	for i, e := range p4test.NewGen(in, 3).State(30) {
		b, _ := proto.Marshal(&p4v1.Update{Type: p4v1.Update_Type(i%3 + 1), Entity: e})
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, tr := range trs {
			checkWire(t, tr, b, in)
		}
	})
}
