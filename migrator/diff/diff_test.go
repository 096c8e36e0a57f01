package diff_test

import (
	"context"
	"iter"
	"strings"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/diff"
	"github.com/lime-p4/lime/migrator/snapshot"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/translate"
)

func write(t *testing.T, d *simtest.Device, typ p4v1.Update_Type, es ...*p4v1.Entity) {
	t.Helper()
	var ups []*p4v1.Update
	for _, e := range es {
		ups = append(ups, &p4v1.Update{Type: typ, Entity: e})
	}
	if err := d.Client.Write(context.Background(), ups); err != nil {
		t.Fatal(err)
	}
}

// Two devices with the same entries compare equal; then each kind of
// difference is reported in its own list, volatile values apart.
func TestDiffReportsEachKindOfDifference(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileSpec})
	b := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileSpec, P4Info: p4test.Renumber(a.Info.Proto, 0x77), DeviceID: 2})
	tr, err := translate.New(a.Info, b.Info)
	if err != nil {
		t.Fatal(err)
	}
	t0 := a.Info.TableByName("ingress.table0_control.table0")
	g := p4test.NewGen(a.Info, 1)
	var entries []*p4v1.Entity
	for len(entries) < 3 {
		if e := g.TableEntry(t0, nil, nil); e != nil {
			entries = append(entries, e)
		}
	}
	write(t, a, p4v1.Update_INSERT, entries...)
	var onB []*p4v1.Entity
	for _, e := range entries {
		x, err := tr.Entity(e)
		if err != nil {
			t.Fatal(err)
		}
		onB = append(onB, x)
	}
	write(t, b, p4v1.Update_INSERT, onB...)
	rep, err := diff.Run(ctx, a.Client, b.Client, diff.Options{Translator: tr})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Equal() || rep.Total().Compared == 0 {
		t.Fatalf("equal devices differ: %+v", rep)
	}

	// entries[0] missing on b, entries[1] changed metadata on b, one extra
	// on b, a volatile difference on entries[2].
	write(t, b, p4v1.Update_DELETE, onB[0])
	onB[1].GetTableEntry().Metadata = []byte("changed")
	write(t, b, p4v1.Update_MODIFY, onB[1])
	var extra *p4v1.Entity
	for extra == nil {
		if e := g.TableEntry(t0, nil, nil); e != nil {
			extra, _ = tr.Entity(e)
		}
	}
	write(t, b, p4v1.Update_INSERT, extra)
	dc := &p4v1.Entity{Entity: &p4v1.Entity_DirectCounterEntry{DirectCounterEntry: &p4v1.DirectCounterEntry{
		TableEntry: &p4v1.TableEntry{TableId: onB[2].GetTableEntry().TableId, Match: onB[2].GetTableEntry().Match, Priority: onB[2].GetTableEntry().Priority},
		Data:       &p4v1.CounterData{PacketCount: 5, ByteCount: 500}}}}
	write(t, b, p4v1.Update_MODIFY, dc)

	rep, err = diff.Run(ctx, a.Client, b.Client, diff.Options{Translator: tr})
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Kinds[entity.KindTableEntry]
	if c.Missing != 1 || c.Extra != 1 || c.Different != 1 || c.VolatileDifferent != 1 || rep.Equal() {
		t.Fatalf("counts %+v", c)
	}
	if len(rep.Different) != 1 || len(rep.Different[0].Fields) != 1 || rep.Different[0].Fields[0].Path != "table_entry.metadata" {
		t.Fatalf("different: %+v", rep.Different)
	}
	if !strings.Contains(rep.Missing[0].Entity, "ingress.table0_control.table0") {
		t.Errorf("missing: %+v", rep.Missing)
	}
	if f := rep.VolatileDifferent[0].Fields; len(f) == 0 || !strings.HasPrefix(f[0].Path, "table_entry.counter_data") {
		t.Errorf("volatile: %+v", rep.VolatileDifferent)
	}
}

// A kind one device cannot read (registers on bmv2) makes the report
// unequal and says so, rather than pretending it matched.
func TestDiffUnreadable(t *testing.T) {
	a := simtest.Start(t, simtest.Options{Pipeline: "registers-link_monitor"})
	b := simtest.Start(t, simtest.Options{Pipeline: "registers-link_monitor", DeviceID: 2})
	tr, err := translate.New(a.Info, b.Info)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := diff.Run(context.Background(), a.Client, b.Client, diff.Options{Translator: tr})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Equal() || len(rep.Unreadable) == 0 || !strings.Contains(strings.Join(rep.Unreadable, " "), "register") {
		t.Fatalf("unreadable registers not reported: %+v", rep.Unreadable)
	}
}

// A diff stopped halfway (its context canceled while both devices are
// read) returns the context's error; it does not wait for reads that
// ended without their last answer.
func TestDiffStopped(t *testing.T) {
	a := simtest.Start(t, simtest.Options{Pipeline: "onos-basic"})
	b := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", DeviceID: 2})
	tr, err := translate.New(a.Info, b.Info)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 { // a feed's last send and the stop race: many tries
		ctx, cancel := context.WithCancel(context.Background())
		slow := snapshot.ReadFunc(func(rctx context.Context, filters ...*p4v1.Entity) iter.Seq2[*p4v1.Entity, error] {
			return func(yield func(*p4v1.Entity, error) bool) {
				cancel() // stopped as it reads
				<-rctx.Done()
				yield(nil, rctx.Err())
			}
		})
		done := make(chan error, 1)
		go func() {
			_, err := diff.Run(ctx, slow, slow, diff.Options{Translator: tr})
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Fatalf("try %d: a stopped diff returned no error", i)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("try %d: a stopped diff did not return", i)
		}
	}
}
