package proxy_test

import (
	"strings"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
)

// portTernary is an onos-basic table0 entry matching ingress ports
// value/mask (ternary), with a generated action.
func portTernary(in *info.Info, g *p4test.Gen, value, mask uint64) *p4v1.Entity {
	tb := in.TableByName(table0)
	e := g.TableEntry(tb, nil, nil)
	te := e.GetTableEntry()
	te.Priority = int32(1 + value)
	te.Match = []*p4v1.FieldMatch{{FieldId: tb.FieldByName("standard_metadata.ingress_port").ID,
		FieldMatchType: &p4v1.FieldMatch_Ternary_{Ternary: &p4v1.FieldMatch_Ternary{Value: canon.FromUint64(value), Mask: canon.FromUint64(mask)}}}}
	return e
}

// Issue 15, point 3, through the proxy: with ports 1..8 moved to 11..18, a
// ternary match on the ingress port covering ports 2 and 3 reaches the
// target as 12 and 13 (mirror, then target alone after the cut over) and
// reads back as the controller wrote it; one covering 0..3, which the map
// splits, is refused with INVALID_ARGUMENT naming the entry, and nothing
// is written.
func TestPartialPortMatchThroughProxy(t *testing.T) {
	r, c := liveRig(t, rigOptions{profile: p4rt.ProfileBMv2}, false)
	ctx := testCtx(t)
	in := r.src.Info
	g := p4test.NewGen(in, 15)
	ternaryOf := func(e *p4v1.Entity) *p4v1.FieldMatch_Ternary {
		return e.GetTableEntry().Match[0].GetTernary()
	}
	onTarget := func(e *p4v1.Entity) *p4v1.Entity {
		t.Helper()
		got, err := r.dst.Client.ReadAll(ctx, entity.Query(mustTranslate(t, r, e)))
		if err != nil || len(got) != 1 {
			t.Fatalf("the target holds %v (%v) for %s", got, err, entity.Describe(e, in))
		}
		return got[0]
	}
	pair := portTernary(in, g, 2, 0x1fe)
	if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: pair}}); err != nil {
		t.Fatal(err)
	}
	r.drained() // no host moved: the mirror may trail
	if v := ternaryOf(onTarget(pair)).GetValue(); !canon.Equal(v, []byte{12}) {
		t.Fatalf("the mirror holds ports 0x%x/0x1fe, want 12 (ports 2, 3 -> 12, 13)", v)
	}
	if _, err := r.dev.CutOver(ctx, nil); err != nil {
		t.Fatal(err)
	}
	next := portTernary(in, g, 4, 0x1fe)
	if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: next}}); err != nil {
		t.Fatal(err)
	}
	if v := ternaryOf(onTarget(next)).GetValue(); !canon.Equal(v, []byte{14}) {
		t.Fatalf("the target holds ports 0x%x/0x1fe, want 14 (ports 4, 5 -> 14, 15)", v)
	}
	split := portTernary(in, g, 0, 0x1fc)
	err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: split}})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), table0) || !strings.Contains(err.Error(), "ingress_port") {
		t.Fatalf("a match the port map splits: %v; want INVALID_ARGUMENT naming the entry", err)
	}
	got, err := c.ReadAll(ctx, &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: in.TableByName(table0).ID}}})
	if err != nil || len(got) != 2 {
		t.Fatalf("the controller reads %d entries (%v), wrote 2", len(got), err)
	}
	for _, e := range got {
		want := pair
		if e.GetTableEntry().Priority == next.GetTableEntry().Priority {
			want = next
		}
		if !proto.Equal(entity.Config(e), entity.Config(want)) {
			t.Errorf("read back %v, wrote %v", e, want)
		}
	}
}
