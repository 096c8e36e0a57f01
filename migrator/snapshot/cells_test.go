package snapshot_test

import (
	"bytes"
	"context"
	"iter"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/snapshot"
	"github.com/lime-p4/lime/p4/entity"
)

// Cells read from the wire (the client is a RawReader) are the cells of the
// entities Read gives (P4Runtime spec sections 9.4 "CounterEntry" and 9.6
// "RegisterEntry": a wildcard read of an array gives every cell).
func TestCellsRawEqualsDecoded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, pipeline := range []string{"onos-basic", "registers-link_monitor", "scale-bigtable"} {
		d := simtest.Start(t, simtest.Options{Pipeline: pipeline, Profile: p4rt.ProfileSpec})
		var ups []*p4v1.Update
		for _, e := range p4test.NewGen(d.Info, 4).State(30) {
			if snapshot.CellsOf(entity.KindOf(e)) {
				ups = append(ups, &p4v1.Update{Type: p4v1.Update_MODIFY, Entity: e})
			}
		}
		if len(ups) == 0 {
			t.Fatalf("%s: no cells generated", pipeline)
		}
		if err := d.Client.Write(ctx, ups); err != nil {
			t.Fatalf("%s: %v", pipeline, err)
		}
		decoded := snapshot.ReadFunc(func(ctx context.Context, fs ...*p4v1.Entity) iter.Seq2[*p4v1.Entity, error] {
			return d.Client.Read(ctx, fs...) // hides ReadRaw
		})
		cells := 0
		for _, req := range snapshot.Plan(d.Info) {
			if !snapshot.CellsOf(req.Kind) {
				continue
			}
			var raw, dec []snapshot.Cell
			var rawEnts []*p4v1.Entity
			for c, err := range snapshot.Cells(ctx, d.Client, req) {
				if err != nil {
					t.Fatal(err)
				}
				e, err := c.Entity()
				if err != nil {
					t.Fatal(err)
				}
				c.Value = bytes.Clone(c.Value)
				raw, rawEnts = append(raw, c), append(rawEnts, e)
			}
			for c, err := range snapshot.Cells(ctx, decoded, req) {
				if err != nil {
					t.Fatal(err)
				}
				dec = append(dec, c)
			}
			if len(raw) != len(dec) || len(raw) == 0 {
				t.Fatalf("%s: %d cells raw, %d decoded", req.Name(), len(raw), len(dec))
			}
			for i := range raw {
				if raw[i].Kind != req.Kind || raw[i].Cell.Kind != dec[i].Cell.Kind || raw[i].ID != dec[i].ID ||
					raw[i].Index != dec[i].Index || !bytes.Equal(raw[i].Value, dec[i].Value) {
					t.Fatalf("%s cell %d: raw %+v, decoded %+v", req.Name(), i, raw[i].Cell, dec[i].Cell)
				}
				if want, _ := dec[i].Entity(); !entity.VolatileEqual(rawEnts[i], want) || entity.MustOf(rawEnts[i]) != entity.MustOf(want) {
					t.Fatalf("%s cell %d: entity %v, want %v", req.Name(), i, rawEnts[i], want)
				}
			}
			cells += len(raw)
		}
		t.Logf("%s: %d cells", pipeline, cells)
	}
}
