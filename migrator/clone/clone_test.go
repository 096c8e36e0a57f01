package clone_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/clone"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/translate"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

type pair struct {
	src, dst *simtest.Device
	tr       *translate.Translator
}

// newPair starts a source with the fixture's P4Info and a target with a
// renumbered copy (another compilation of the same program), and the
// translation between them with ports mapped.
func newPair(t *testing.T, fx string, profile p4rt.Profile, editTarget func(*p4configv1.P4Info)) pair {
	src := simtest.Start(t, simtest.Options{Pipeline: fx, Profile: profile, Cookie: 77})
	q := p4test.Renumber(src.Info.Proto, 0x00a5a5a5)
	if editTarget != nil {
		editTarget(q)
	}
	dst := simtest.Start(t, simtest.Options{Pipeline: fx, Profile: profile, P4Info: q, DeviceID: 2})
	tr, err := translate.New(src.Info, dst.Info, translate.WithPorts(simtest.ShiftedPorts()))
	if err != nil {
		t.Fatal(err)
	}
	return pair{src, dst, tr}
}

// unsupported says which kinds a profile refuses to write (DESIGN.md: bmv2
// answers UNIMPLEMENTED for registers and value sets).
func unsupported(profile p4rt.Profile, k entity.Kind) bool {
	return profile == p4rt.ProfileBMv2 && (k == entity.KindRegister || k == entity.KindValueSet)
}

// populate writes a generated state to d (simtest.Populate), refusals
// allowed only where the profile is known for them.
func populate(t *testing.T, d *simtest.Device, profile p4rt.Profile, state []*p4v1.Entity) int {
	t.Helper()
	return simtest.Populate(t, testCtx(t), d.Client, d.Info, state, func(k entity.Kind) bool { return unsupported(profile, k) })
}

// assertEqual diffs source and target through the translation.
func assertEqual(t *testing.T, p pair) {
	t.Helper()
	simtest.AssertSame(t, testCtx(t), p.src.Client, p.dst.Client, p.tr)
}

func run(t *testing.T, p pair, o clone.Options) *clone.Result {
	t.Helper()
	o.Translator = p.tr
	res, err := clone.Run(testCtx(t), p.src.Client, p.dst.Client, o)
	if err != nil {
		t.Fatalf("clone: %v (result %+v)", err, res)
	}
	return res
}

// Issue 6: every shared pipeline clones between two simulated devices with
// different port numbers and renumbered P4Info ids; the diff is then empty.
func TestCloneEveryPipeline(t *testing.T) {
	for _, profile := range []p4rt.Profile{p4rt.ProfileSpec, p4rt.ProfileBMv2} {
		for _, fx := range fixtures.All(t) {
			if fx.JSON == "" {
				continue
			}
			t.Run(profile.String()+"/"+fx.Name, func(t *testing.T) {
				p := newPair(t, fx.Name, profile, nil)
				written := populate(t, p.src, profile, p4test.NewGen(p.src.Info, 3).State(25))
				res := run(t, p, clone.Options{Prescan: true, BatchSize: 64})
				tot := res.Total()
				if tot.Failed != 0 || len(res.Failures) != 0 {
					t.Fatalf("failures: %v", res.Failures)
				}
				if tot.Read < int64(written) {
					t.Fatalf("read %d of %d populated entities: %+v", tot.Read, written, tot)
				}
				for _, u := range res.Unreadable {
					if profile != p4rt.ProfileBMv2 || !(strings.Contains(u.What, "register") || strings.Contains(u.What, "value set")) {
						t.Errorf("unreadable: %+v", u)
					}
				}
				if len(res.Unreadable) == 0 {
					assertEqual(t, p)
				} else if res.OK() {
					t.Error("Result.OK with unreadable state")
				}
			})
		}
	}
}

// A clone killed at random points and run again ends equal, without
// duplicates, and the second run skips what the first copied.
func TestCloneResumes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 4; trial++ {
		p := newPair(t, "onos-fabric", p4rt.ProfileSpec, nil)
		written := populate(t, p.src, p4rt.ProfileSpec, p4test.NewGen(p.src.Info, uint64(trial)).State(200))
		stop := int64(1 + rng.IntN(written-1))
		ctx, cancel := context.WithCancel(testCtx(t))
		_, err := clone.Run(ctx, p.src.Client, p.dst.Client, clone.Options{Translator: p.tr, BatchSize: 50, Inflight: 3,
			Progress: func(pr clone.Progress) {
				if pr.Phase == "clone" && pr.Done >= stop {
					cancel()
				}
			}})
		cancel()
		if err == nil {
			t.Fatalf("trial %d: interrupted clone (at %d of %d) reported success", trial, stop, written)
		}
		res := run(t, p, clone.Options{BatchSize: 50})
		if !res.OK() {
			t.Fatalf("trial %d: resumed clone not OK: %+v %v", trial, res.Total(), res.Failures)
		}
		if tot := res.Total(); tot.Unchanged == 0 {
			t.Errorf("trial %d: resumed clone skipped nothing after %d entities: %+v", trial, stop, tot)
		}
		assertEqual(t, p)
		again := run(t, p, clone.Options{})
		if tot := again.Total(); tot.Inserted+tot.Modified != 0 || tot.Unchanged != tot.Read {
			t.Errorf("trial %d: a third run wrote %+v", trial, tot)
		}
	}
}

// Large state over every entity kind onos-fabric has.
func TestCloneFabricLarge(t *testing.T) {
	p := newPair(t, "onos-fabric", p4rt.ProfileSpec, nil)
	written := populate(t, p.src, p4rt.ProfileSpec, p4test.NewGen(p.src.Info, 11).State(400))
	if written < 2000 {
		t.Fatalf("only %d entities generated", written)
	}
	res := run(t, p, clone.Options{Prescan: true})
	if !res.OK() {
		t.Fatalf("%+v %v", res.Total(), res.Failures)
	}
	kinds := 0
	for _, s := range res.Kinds {
		if s.Read > 0 {
			kinds++
		}
	}
	if kinds < 6 {
		t.Errorf("only %d kinds copied: %v", kinds, res.Kinds)
	}
	assertEqual(t, p)
}

// Entities on the target that the source lacks are reported, and deleted
// only with Prune.
func TestCloneExtrasAndPrune(t *testing.T) {
	p := newPair(t, "onos-basic", p4rt.ProfileSpec, nil)
	populate(t, p.src, p4rt.ProfileSpec, p4test.NewGen(p.src.Info, 5).State(20))
	extra := p4test.NewGen(p.dst.Info, 99)
	extra.Ports = []uint64{11, 12}
	var extras []*p4v1.Entity
	for _, e := range extra.State(3) {
		k := entity.KindOf(e)
		if k == entity.KindMember || k == entity.KindTableEntry && p.dst.Info.Table(e.GetTableEntry().TableId).Profile == nil {
			extras = append(extras, e)
		}
	}
	populate(t, p.dst, p4rt.ProfileSpec, extras)
	res := run(t, p, clone.Options{})
	if res.OK() || res.Total().Extra == 0 || len(res.Extras) == 0 {
		t.Fatalf("extras not reported: %+v", res.Total())
	}
	res = run(t, p, clone.Options{Prune: true})
	if !res.OK() || res.Total().Deleted != res.Total().Extra {
		t.Fatalf("prune: %+v %v", res.Total(), res.Failures)
	}
	assertEqual(t, p)
}

// A port the map does not cover stops the clone before any write, naming
// the entity and the port.
func TestCloneRefusesUnmappedPortBeforeWriting(t *testing.T) {
	p := newPair(t, "onos-basic", p4rt.ProfileSpec, nil)
	g := p4test.NewGen(p.src.Info, 8)
	g.Ports = []uint64{1, 2, 9} // 9 is not in the map
	populate(t, p.src, p4rt.ProfileSpec, g.State(30))
	res, err := clone.Run(testCtx(t), p.src.Client, p.dst.Client, clone.Options{Translator: p.tr, Prescan: true})
	if !errors.Is(err, clone.ErrUntranslatable) || len(res.Failures) == 0 || !strings.Contains(res.Failures[0].Error, "port not in the port map: 9") {
		t.Fatalf("err %v, failures %v", err, res.Failures)
	}
	n := 0
	for e, err := range p.dst.Client.Read(testCtx(t), &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{}}}) {
		if err != nil {
			t.Fatal(err)
		}
		if !e.GetTableEntry().GetIsDefaultAction() {
			n++
		}
	}
	if n != 0 {
		t.Fatalf("%d table entries written despite the refusal", n)
	}
}

// An entity the target rejects (a smaller table) is reported with its
// identity and the target's error; the rest still arrives.
func TestCloneReportsRejected(t *testing.T) {
	const table = "ingress.table0_control.table0"
	p := newPair(t, "onos-basic", p4rt.ProfileSpec, func(q *p4configv1.P4Info) {
		for _, tb := range q.Tables {
			if tb.Preamble.Name == table {
				tb.Size = 3
			}
		}
	})
	populate(t, p.src, p4rt.ProfileSpec, p4test.NewGen(p.src.Info, 4).State(20))
	res := run(t, p, clone.Options{})
	if res.OK() || len(res.Failures) == 0 {
		t.Fatalf("no failure reported: %+v", res.Total())
	}
	for _, f := range res.Failures {
		if !strings.Contains(f.Entity, table) || !strings.Contains(f.Error, "RESOURCE_EXHAUSTED") {
			t.Errorf("failure %+v", f)
		}
	}
	if s := res.Kinds[entity.KindTableEntry]; s.Inserted < 3 {
		t.Errorf("table entries: %+v", s)
	}
	if len(res.Warnings) == 0 {
		t.Error("no warning about the smaller target table")
	}
}

// Onto a target that just got its pipeline (TargetEmpty), the clone reads
// nothing from it and writes only the array cells that are not zero; the
// copy is equal all the same, registers and counters included.
func TestCloneOntoEmptyTarget(t *testing.T) {
	for _, fx := range []string{"onos-fabric", "scale-bigtable"} {
		t.Run(fx, func(t *testing.T) {
			p := newPair(t, fx, p4rt.ProfileSpec, nil)
			populate(t, p.src, p4rt.ProfileSpec, p4test.NewGen(p.src.Info, 21).State(30))
			res := run(t, p, clone.Options{TargetEmpty: true, BatchSize: 64})
			if !res.OK() {
				t.Fatalf("%+v %v %v", res.Total(), res.Failures, res.Unreadable)
			}
			for _, k := range []entity.Kind{entity.KindRegister, entity.KindCounter} {
				st := res.Kinds[k]
				if st == nil {
					continue
				}
				if st.Read == 0 || st.Modified == 0 || st.Modified >= st.Read || st.Unchanged != st.Read-st.Modified {
					t.Errorf("%s: %+v: want every cell read, only those not zero written", k, st)
				}
			}
			assertEqual(t, p)
		})
	}
}
