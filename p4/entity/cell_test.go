package entity

import (
	"bytes"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"
)

func cellEntities() []*p4v1.Entity {
	counter := func(id uint32, i int64, d *p4v1.CounterData) *p4v1.Entity {
		return &p4v1.Entity{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: id, Index: &p4v1.Index{Index: i}, Data: d}}}
	}
	register := func(id uint32, i int64, d *p4v1.P4Data) *p4v1.Entity {
		return &p4v1.Entity{Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: &p4v1.RegisterEntry{RegisterId: id, Index: &p4v1.Index{Index: i}, Data: d}}}
	}
	bits := func(b ...byte) *p4v1.P4Data { return &p4v1.P4Data{Data: &p4v1.P4Data_Bitstring{Bitstring: b}} }
	return []*p4v1.Entity{
		counter(1, 0, nil),
		counter(1, 7, &p4v1.CounterData{}), // a cell at zero, as bmv2 reads it
		counter(302000000, 1023, &p4v1.CounterData{ByteCount: 1 << 40, PacketCount: 3}),
		counter(5, 1<<33, &p4v1.CounterData{PacketCount: 9}),
		register(3, 0, bits(0)),
		register(3, 65535, bits(0, 0, 1, 2)), // padded: compares as canonical
		register(3, 5, bits()),
		register(3, 5, nil), // no data: not a Cell
		register(3, 5, &p4v1.P4Data{Data: &p4v1.P4Data_Struct{Struct: &p4v1.P4StructLike{Members: []*p4v1.P4Data{bits(1)}}}}), // not a bitstring
		{Entity: &p4v1.Entity_MeterEntry{MeterEntry: &p4v1.MeterEntry{MeterId: 2, Index: &p4v1.Index{Index: 1}}}},
		{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: 9}}},
	}
}

// DecodeCell reads from the wire what CellOf reads from the entity.
func TestDecodeCellAgreesWithCellOf(t *testing.T) {
	for _, e := range cellEntities() {
		b, err := proto.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		got, ok, err := DecodeCell(b)
		if err != nil {
			t.Fatalf("%v: %v", e, err)
		}
		want, wantOK := CellOf(e)
		if ok != wantOK || got.Kind != want.Kind || got.ID != want.ID || got.Index != want.Index || !bytes.Equal(got.Value, want.Value) {
			t.Errorf("%v:\n DecodeCell %+v %v\n CellOf     %+v %v", e, got, ok, want, wantOK)
		}
	}
	// Equal values compare equal whatever their encoding.
	a, _ := CellOf(cellEntities()[0])
	z, _ := CellOf(cellEntities()[1])
	if !bytes.Equal(a.Value, z.Value) {
		t.Errorf("no data and zero data differ: %x %x", a.Value, z.Value)
	}
	if _, _, err := DecodeCell([]byte{0x3a, 0x05, 0x08}); err == nil {
		t.Error("truncated input decoded without error")
	}
}

// FuzzDecodeCell: whatever DecodeCell takes as a cell, protobuf decodes to
// an entity whose CellOf is the same cell.
func FuzzDecodeCell(f *testing.F) {
	for _, e := range cellEntities() {
		b, _ := proto.Marshal(e)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, ok, err := DecodeCell(b)
		if err != nil || !ok {
			return
		}
		e := &p4v1.Entity{}
		if err := proto.Unmarshal(b, e); err != nil {
			t.Fatalf("DecodeCell took %x as %+v; protobuf: %v", b, c, err)
		}
		want, wantOK := CellOf(e)
		if !wantOK || c.Kind != want.Kind || c.ID != want.ID || c.Index != want.Index || !bytes.Equal(c.Value, want.Value) {
			t.Fatalf("%x: DecodeCell %+v, CellOf %+v %v", b, c, want, wantOK)
		}
	})
}

// BenchmarkDecodeCell decodes a register cell and a counter cell, as a
// reader of a whole array does by the ten thousand.
func BenchmarkDecodeCell(b *testing.B) {
	es := cellEntities()
	reg, _ := proto.Marshal(es[5])
	ctr, _ := proto.Marshal(es[2])
	for b.Loop() {
		if _, ok, err := DecodeCell(reg); !ok || err != nil {
			b.Fatal(ok, err)
		}
		if _, ok, err := DecodeCell(ctr); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
