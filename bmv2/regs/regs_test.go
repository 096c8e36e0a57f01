package regs

import (
	"context"
	"iter"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/bmv2/thrift/thrifttest"
	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/p4/info"
)

// bmv2P4 answers like P4Runtime on bmv2: UNIMPLEMENTED for registers
// (DESIGN.md, "What real bmv2 does"), one counter entity otherwise.
type bmv2P4 struct{ registerReads int }

func (b *bmv2P4) Read(_ context.Context, filters ...*p4v1.Entity) iter.Seq2[*p4v1.Entity, error] {
	return func(yield func(*p4v1.Entity, error) bool) {
		for _, f := range filters {
			if f.GetRegisterEntry() != nil {
				b.registerReads++
				yield(nil, status.Error(codes.Unimplemented, "Register reads are not supported yet"))
				return
			}
			if !yield(f, nil) {
				return
			}
		}
	}
}

func setup(t *testing.T) (*info.Info, *thrift.Client, *thrifttest.MemBackend) {
	cfg := p4test.Config(t, fixtures.Get(t, "registers-link_monitor"), 0)
	in := p4test.Index(t, cfg.P4Info)
	mem, err := thrifttest.FromBMv2JSON(cfg.P4DeviceConfig)
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := thrifttest.Serve(t, mem)
	return in, thrifttest.Dial(t, addr), mem
}

// Registers written over Thrift read back through the fallback Reader as
// P4Runtime register entities; other reads go to P4Runtime untouched.
func TestReaderFallsBackAndWriterWrites(t *testing.T) {
	in, c, _ := setup(t)
	ctx := context.Background()
	reg := in.Registers[0]
	w := &Writer{Thrift: c, Info: in}
	cell := func(i int64, v []byte) *p4v1.Entity {
		return &p4v1.Entity{Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: &p4v1.RegisterEntry{RegisterId: reg.ID,
			Index: &p4v1.Index{Index: i}, Data: &p4v1.P4Data{Data: &p4v1.P4Data_Bitstring{Bitstring: v}}}}}
	}
	if err := w.WriteRegister(ctx, cell(3, []byte{0x12, 0x34})); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRegister(ctx, cell(int64(reg.Size), []byte{1})); err == nil {
		t.Error("index beyond the register accepted")
	}
	tooWide := make([]byte, reg.Width/8+2)
	tooWide[0] = 0xff
	if err := w.WriteRegister(ctx, cell(1, tooWide)); err == nil {
		t.Error("value wider than the register accepted")
	}

	p4 := &bmv2P4{}
	r := &Reader{P4: p4, Thrift: c, Info: in}
	var got []*p4v1.Entity
	counter := &p4v1.Entity{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: 7}}}
	for e, err := range r.Read(ctx, counter, &p4v1.Entity{Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: &p4v1.RegisterEntry{RegisterId: reg.ID}}}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	if p4.registerReads != 1 {
		t.Fatalf("P4Runtime asked %d times for registers", p4.registerReads)
	}
	if len(got) != 1+int(reg.Size) || got[0] != counter {
		t.Fatalf("got %d entities, want the counter and %d cells", len(got), reg.Size)
	}
	if v := got[1+3].GetRegisterEntry().GetData().GetBitstring(); string(v) != "\x12\x34" {
		t.Errorf("cell 3 = %x", v)
	}
	if v := got[1].GetRegisterEntry().GetData().GetBitstring(); string(v) != "\x00" {
		t.Errorf("cell 0 = %x, want canonical zero", v)
	}
	// One index only.
	one := &p4v1.Entity{Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: &p4v1.RegisterEntry{RegisterId: reg.ID, Index: &p4v1.Index{Index: 3}}}}
	n := 0
	for e, err := range (&Reader{P4: p4, Thrift: c, Info: in, Always: true}).Read(ctx, one) {
		if err != nil || e.GetRegisterEntry().GetIndex().GetIndex() != 3 {
			t.Fatalf("%v %v", e, err)
		}
		n++
	}
	if n != 1 || p4.registerReads != 1 {
		t.Fatalf("Always: %d cells, %d P4Runtime reads", n, p4.registerReads)
	}
}

// rawBMv2P4 is bmv2P4 that also reads in wire form, as *client.Client does.
type rawBMv2P4 struct {
	bmv2P4
	rawReads int
}

func (b *rawBMv2P4) ReadRaw(ctx context.Context, filters ...*p4v1.Entity) iter.Seq2[[]byte, error] {
	b.rawReads++
	return marshalled(b.Read(ctx, filters...))
}

// ReadRaw yields, in wire form, exactly what Read yields: from P4Runtime's
// raw stream where the reader has one (and a plain one where not), and
// the Thrift fallback's registers marshalled.
func TestReadRawEqualsRead(t *testing.T) {
	in, c, _ := setup(t)
	ctx := context.Background()
	reg := in.Registers[0]
	if err := (&Writer{Thrift: c, Info: in}).WriteRegister(ctx, &p4v1.Entity{Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: &p4v1.RegisterEntry{
		RegisterId: reg.ID, Index: &p4v1.Index{Index: 2}, Data: &p4v1.P4Data{Data: &p4v1.P4Data_Bitstring{Bitstring: []byte{7}}}}}}); err != nil {
		t.Fatal(err)
	}
	filters := []*p4v1.Entity{
		{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: 7}}},
		{Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: &p4v1.RegisterEntry{RegisterId: reg.ID}}},
	}
	raw := &rawBMv2P4{}
	for _, p4 := range []P4Reader{&bmv2P4{}, raw} {
		r := &Reader{P4: p4, Thrift: c, Info: in}
		var want []*p4v1.Entity
		for e, err := range r.Read(ctx, filters...) {
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, e)
		}
		i := 0
		for b, err := range r.ReadRaw(ctx, filters...) {
			if err != nil {
				t.Fatal(err)
			}
			got := &p4v1.Entity{}
			if err := proto.Unmarshal(b, got); err != nil {
				t.Fatal(err)
			}
			if i >= len(want) || !proto.Equal(got, want[i]) {
				t.Fatalf("%T: raw entity %d = %v, Read gave %d entities", p4, i, got, len(want))
			}
			i++
		}
		if i != len(want) || len(want) != 1+int(reg.Size) {
			t.Fatalf("%T: ReadRaw gave %d entities, Read %d, want %d", p4, i, len(want), 1+reg.Size)
		}
	}
	// The counter came raw, and the register filter was tried raw before
	// UNIMPLEMENTED sent it to Thrift.
	if raw.rawReads != 2 || raw.registerReads != 2 {
		t.Errorf("raw reads %d, register reads %d; want 2 (counter, register) and 2 (Read's and ReadRaw's)", raw.rawReads, raw.registerReads)
	}
}

func TestFromInt64(t *testing.T) {
	if got := fromInt64(-1, 8); string(got) != "\xff" {
		t.Errorf("-1 as bit<8> = %x", got)
	}
	if got := fromInt64(-1, 64); len(got) != 8 {
		t.Errorf("-1 as bit<64> = %x", got)
	}
	if got := fromInt64(0x1ff, 8); string(got) != "\xff" {
		t.Errorf("0x1ff as bit<8> = %x", got)
	}
}
