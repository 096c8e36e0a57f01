package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/internal/proxytest"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/diff"
	"github.com/lime-p4/lime/migrator/migrate"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/p4/translate"
)

// raceSeedEnv replays TestWritesRaceTheMigration with the seed it printed.
const raceSeedEnv = "LIME_RACE_SEED"

// DESIGN.md "Faults" (racing writes): a controller's operations — INSERT,
// MODIFY and DELETE over a small key space, so that the same keys come and
// go: table entries (direct and through an action selector), action
// profile members and groups, multicast groups, meter cells — race every
// step of a migration (the clone, the catch-up, the verify, the host moves,
// the cut over), 10,000 in all over five migrations. Every write the proxy
// answered is where the controller put it: what the controller reads
// back at the end is exactly what it wrote (nothing lost, nothing
// resurrected), and the target equals it (lime diff). Seeded: the seed is
// printed, and LIME_RACE_SEED replays it.
func TestWritesRaceTheMigration(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(raceSeedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s: %v", raceSeedEnv, err)
		}
	}
	t.Logf("seed %d (%s=%d replays it)", seed, raceSeedEnv, seed)
	const rounds, perRound = 5, 2000
	total := 0
	for r := range rounds {
		t.Run(fmt.Sprintf("migration %d", r+1), func(t *testing.T) { total += raceOneMigration(t, seed+uint64(r), perRound) })
	}
	t.Logf("%d operations raced %d migrations", total, rounds)
}

// raceOneMigration migrates a switch while n operations (at least) race
// it, and checks the outcome; it returns how many operations ran.
func raceOneMigration(t *testing.T, seed uint64, n int) int {
	ctx := testCtx(t)
	pr := newPair(t, true, 0xc0ffee)
	src, dst, dstB, p, dev := pr.src, pr.dst, pr.dstB, pr.p, pr.dev
	c, _ := proxytest.Controller(t, proxytest.Serve(t, p), vid, 1)
	pm := simtest.ShiftedPorts()
	drv := &migrate.Driver{Device: dev, Target: dstB,
		Ports:       proxy.Ports{Map: pm, Hosts: []uint64{1, 2}, Trunk: &proxy.Trunk{Source: 9, Target: 19}},
		SourcePorts: gnmiPorts(t, src), TargetPorts: gnmiPorts(t, dst)}

	ops := newRacer(src.Info, seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	start := rng.IntN(n / 4) // operations before the migration starts
	var (
		wg      sync.WaitGroup
		migErr  error
		started = make(chan struct{})
		ended   = make(chan struct{})
		steps   []string
	)
	drv.Progress = func(a migrate.Action) { steps = append(steps, a.String()) }
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(ended)
		<-started
		m := migrate.New([]uint64{1, 2})
		if migErr = drv.Run(ctx, m); migErr == nil && m.State().Step != migrate.Done {
			migErr = fmt.Errorf("the migration stopped at %v", m.State())
		}
	}()
	done := 0
	for i := 0; ; i++ {
		if i == start {
			close(started)
		}
		select {
		case <-ended:
			if done >= n {
				goto over
			}
		default:
		}
		if i > 50*n {
			t.Fatalf("%d operations and the migration did not end (steps %v)", i, steps)
		}
		if err := ops.step(ctx, c); err != nil {
			t.Fatalf("operation %d: %v", i, err)
		}
		done++
	}
over:
	wg.Wait()
	if migErr != nil {
		t.Fatalf("migration: %v (steps %v)", migErr, steps)
	}
	if err := ops.check(ctx, c); err != nil {
		t.Fatal(err)
	}
	tr, err := translate.New(src.Info, dstB.Info(), translate.WithPorts(pm))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := diff.Run(ctx, c, dst.Client, diff.Options{Translator: tr})
	if err != nil || !rep.Equal() {
		t.Fatalf("the controller's view and the target differ: %+v %v (missing %v extra %v different %v)", rep.Total(), err, rep.Missing, rep.Extra, rep.Different)
	}
	t.Logf("%d operations (%d applied, %d refused by the switch) raced %v; %d entities at the end",
		done, ops.applied, ops.refused, steps, len(ops.model))
	return done
}

// racer makes a controller's operations over small key spaces of
// onos-basic and keeps what it wrote.
type racer struct {
	in    *info.Info
	g     *p4test.Gen
	model map[entity.Key]*p4v1.Entity
	// keys are the entities each kind's operations pick from (their
	// identity; contents vary).
	table0, wcmp     []*p4v1.Entity
	profile          *info.ActionProfile
	meter            *info.Meter
	applied, refused int
}

func newRacer(in *info.Info, seed uint64) *racer {
	r := &racer{in: in, g: p4test.NewGen(in, seed), model: map[entity.Key]*p4v1.Entity{}}
	r.g.Ports = []uint64{1, 2, 3, 4}
	r.profile = in.ActionProfileByName("ingress.wcmp_control.wcmp_selector")
	r.meter = in.MeterByName("ingress.port_meters_ingress.ingress_port_meter")
	seen := map[entity.Key]bool{}
	for _, x := range []struct {
		table string
		keys  *[]*p4v1.Entity
	}{{"ingress.table0_control.table0", &r.table0}, {"ingress.wcmp_control.wcmp_table", &r.wcmp}} {
		tb := in.TableByName(x.table)
		for len(*x.keys) < 8 {
			e := r.g.TableEntry(tb, []uint32{1}, nil)
			if k := entity.MustOf(e); !seen[k] {
				seen[k] = true
				*x.keys = append(*x.keys, e)
			}
		}
	}
	return r
}

// next is one operation: an update of a random kind on a random key, as
// the model says it can be (INSERT when absent; MODIFY or DELETE when
// held; meter cells always exist).
func (r *racer) next() *p4v1.Update {
	g := r.g
	var e *p4v1.Entity
	switch g.Rand.IntN(6) {
	case 0, 1:
		e = r.tableEntry(r.table0[g.Rand.IntN(len(r.table0))], nil, nil)
	case 2:
		e = r.tableEntry(r.wcmp[g.Rand.IntN(len(r.wcmp))], []uint32{1, 2, 3, 4, 5, 6}, []uint32{1, 2, 3})
	case 3:
		if g.Rand.IntN(2) == 0 {
			e = g.Member(r.profile, uint32(1+g.Rand.IntN(6)))
		} else {
			e = g.Group(r.profile, uint32(1+g.Rand.IntN(3)), []uint32{1, 2, 3, 4, 5, 6})
		}
	case 4:
		e = g.MulticastGroup(uint32(1 + g.Rand.IntN(6)))
	default:
		me := &p4v1.MeterEntry{MeterId: r.meter.ID, Index: &p4v1.Index{Index: int64(1 + g.Rand.IntN(4))}}
		if g.Rand.IntN(4) != 0 {
			me.Config = g.MeterConfig()
		}
		return &p4v1.Update{Type: p4v1.Update_MODIFY, Entity: &p4v1.Entity{Entity: &p4v1.Entity_MeterEntry{MeterEntry: me}}}
	}
	if _, held := r.model[entity.MustOf(e)]; !held {
		return &p4v1.Update{Type: p4v1.Update_INSERT, Entity: e}
	}
	if g.Rand.IntN(3) == 0 {
		return &p4v1.Update{Type: p4v1.Update_DELETE, Entity: entity.Query(e)}
	}
	return &p4v1.Update{Type: p4v1.Update_MODIFY, Entity: e}
}

// tableEntry is key's entry with new contents.
func (r *racer) tableEntry(key *p4v1.Entity, members, groups []uint32) *p4v1.Entity {
	t := r.in.Table(key.GetTableEntry().GetTableId())
	if members == nil {
		members = []uint32{1}
	}
	e := r.g.TableEntry(t, members, groups)
	te := e.GetTableEntry()
	te.Match, te.Priority = key.GetTableEntry().GetMatch(), key.GetTableEntry().GetPriority()
	return e
}

// step sends one operation through the proxy and keeps its outcome: an
// update the switch refused (a member a group still uses, a group over a
// member that is gone) changes nothing; one whose fate is unknown is read
// back.
func (r *racer) step(ctx context.Context, c *client.Client) error {
	u := r.next()
	k := entity.MustOf(u.Entity)
	err := c.Write(ctx, []*p4v1.Update{u})
	var we *client.WriteError
	switch {
	case err == nil:
		r.applied++
		if u.Type == p4v1.Update_DELETE {
			delete(r.model, k)
		} else {
			r.model[k] = u.Entity
		}
		return nil
	case errors.As(err, &we) && len(we.Failures) == 1 && !we.Failures[0].BatchWide && !leftGroup(u, we.Failures[0].Err):
		r.refused++
		return nil
	case client.Uncertain(status.Code(err)) || errors.As(err, &we):
		// A group INSERT refused for its members leaves the group, empty,
		// on bmv2 (PI creates it first): read back like an unknown fate.
		if errors.As(err, &we) {
			r.refused++
		}
		got, rerr := c.ReadAll(ctx, entity.Query(u.Entity))
		if rerr != nil {
			return fmt.Errorf("%v, then reading it back: %w", err, rerr)
		}
		delete(r.model, k)
		for _, e := range got {
			if entity.MustOf(e) == k {
				r.model[k] = entity.Config(e)
			}
		}
		return nil
	}
	return fmt.Errorf("%v %s: %w", u.Type, entity.Describe(u.Entity, r.in), err)
}

// check reads back, through the proxy, every kind the operations touch,
// and compares it with what they wrote.
func (r *racer) check(ctx context.Context, c *client.Client) error {
	filters := []*p4v1.Entity{
		{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: r.table0[0].GetTableEntry().TableId}}},
		{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: r.wcmp[0].GetTableEntry().TableId}}},
		{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{ActionProfileId: r.profile.ID}}},
		{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: &p4v1.ActionProfileGroup{ActionProfileId: r.profile.ID}}},
		{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
			Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{}}}}},
		{Entity: &p4v1.Entity_MeterEntry{MeterEntry: &p4v1.MeterEntry{MeterId: r.meter.ID}}},
	}
	seen := map[entity.Key]bool{}
	for _, f := range filters {
		got, err := c.ReadAll(ctx, f)
		if err != nil {
			return fmt.Errorf("reading back %s: %w", entity.Describe(f, r.in), err)
		}
		for _, g := range got {
			k := entity.MustOf(g)
			want, held := r.model[k]
			if g.GetMeterEntry() != nil && !held {
				if g.GetMeterEntry().GetConfig() != nil {
					return fmt.Errorf("%s reads back, never written", entity.Describe(g, r.in))
				}
				continue
			}
			seen[k] = true
			switch {
			case !held:
				return fmt.Errorf("%s reads back, but the controller deleted it (or the switch refused it)", entity.Describe(g, r.in))
			case !sameConfig(g, want):
				return fmt.Errorf("%s reads back as %v, written as %v", entity.Describe(g, r.in), entity.Config(g), want)
			}
		}
	}
	var missing []string
	for k, e := range r.model {
		if !seen[k] && (e.GetMeterEntry() == nil || e.GetMeterEntry().GetConfig() != nil) {
			missing = append(missing, entity.Describe(e, r.in))
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("%d entities written are missing: %v", len(missing), missing)
	}
	return nil
}

// sameConfig compares what was written with what reads back: a group's
// members in any order.
func sameConfig(got, want *p4v1.Entity) bool {
	a, b := entity.Config(got), entity.Config(want)
	if g1, g2 := a.GetActionProfileGroup(), b.GetActionProfileGroup(); g1 != nil && g2 != nil {
		by := func(x, y *p4v1.ActionProfileGroup_Member) int { return int(x.MemberId) - int(y.MemberId) }
		slices.SortFunc(g1.Members, by)
		slices.SortFunc(g2.Members, by)
	}
	return proto.Equal(a, b)
}

// leftGroup reports a group INSERT refused for its members, which bmv2
// (PI) makes all the same, empty.
func leftGroup(u *p4v1.Update, err error) bool {
	var pe *client.P4Error
	if u.Type != p4v1.Update_INSERT || u.Entity.GetActionProfileGroup() == nil || !errors.As(err, &pe) {
		return false
	}
	return pe.Code == codes.NotFound || pe.Code == codes.InvalidArgument || pe.Code == codes.ResourceExhausted
}
