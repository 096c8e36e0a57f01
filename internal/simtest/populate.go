package simtest

import (
	"context"
	"errors"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/migrator/diff"
	"github.com/lime-p4/lime/migrator/snapshot"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/p4/translate"
)

// Populate writes a generated state through c, kind by kind in dependency
// order, each entity with the update type that creates it. It fails the
// test on any refusal but those of the kinds refused names (nil: none), and
// returns how many entities were written, direct counter and meter cells
// left out (a clone carries them inside their table entries).
func Populate(t testing.TB, ctx context.Context, c *client.Client, in *info.Info, state []*p4v1.Entity, refused func(entity.Kind) bool) int {
	t.Helper()
	byKind := map[entity.Kind][]*p4v1.Update{}
	for _, e := range state {
		k := entity.KindOf(e)
		byKind[k] = append(byKind[k], &p4v1.Update{Type: p4test.WriteType(e), Entity: e})
	}
	n := 0
	for _, k := range entity.Kinds() {
		ups := byKind[k]
		if len(ups) == 0 {
			continue
		}
		err := c.Write(ctx, ups)
		var we *client.WriteError
		if err != nil && !errors.As(err, &we) {
			t.Fatalf("populating %s: %v", k, err)
		}
		failed := 0
		if we != nil {
			for _, f := range we.Failures {
				if refused == nil || !refused(k) {
					t.Fatalf("populating: %s refused: %v", entity.Describe(f.Update.Entity, in), f.Err)
				}
				failed++
			}
		}
		if k != entity.KindDirectCounter && k != entity.KindDirectMeter {
			n += len(ups) - failed
		}
	}
	return n
}

// AssertSame diffs a source and a target through tr (migrator/diff): the
// test fails unless nothing is missing, extra or different, volatile values
// (counters, registers) included.
func AssertSame(t testing.TB, ctx context.Context, src, dst snapshot.Reader, tr *translate.Translator) {
	t.Helper()
	rep, err := diff.Run(ctx, src, dst, diff.Options{Translator: tr})
	if err != nil {
		t.Fatal(err)
	}
	tot := rep.Total()
	if tot.Missing+tot.Extra+tot.Different+tot.VolatileDifferent > 0 {
		t.Fatalf("source and target differ: %+v\nmissing %v\nextra %v\ndifferent %v\nvolatile %v",
			tot, rep.Missing, rep.Extra, rep.Different, rep.VolatileDifferent)
	}
	if tot.Compared == 0 {
		t.Fatal("diff compared nothing")
	}
}
