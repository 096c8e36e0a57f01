//lint:file-ignore SA1019 controller_metadata must read back as written (ONOS uses it)

package proxy_test

import (
	"errors"
	"testing"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
)

const table0 = "ingress.table0_control.table0"

// liveRig is a rig whose mirror is attached and live, with nothing to
// replay; with split, the host on port 1 is on the mirror (a write then
// reaches both devices before the controller is answered), else none is
// (the mirror may trail: see drained).
func liveRig(t *testing.T, o rigOptions, split bool) (*rig, *client.Client) {
	r := newRig(t, "onos-basic", o)
	c, _ := r.controller(1)
	ports := proxy.Ports{Map: simtest.ShiftedPorts()}
	if split {
		ports.Hosts, ports.Trunk = []uint64{1, 2}, &proxy.Trunk{Source: 9, Target: 19}
	}
	if err := r.dev.AttachMirror(r.dstB, ports); err != nil {
		t.Fatal(err)
	}
	if _, err := r.dev.CatchUp(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if split {
		if err := r.dev.MoveHost(testCtx(t), 1); err != nil {
			t.Fatal(err)
		}
	}
	return r, c
}

// mirrorModes are the two ways a live mirror gets writes (issue 14):
// trailing the source before any host moved, and alongside it once one
// did.
var mirrorModes = []struct {
	name  string
	split bool
}{{"trailing", false}, {"split", true}}

// drained waits until the mirror has every write the controller was
// answered for (a barrier), before a test looks at it or changes it
// behind the proxy's back.
func (r *rig) drained() {
	r.t.Helper()
	if err := r.dev.Drain(testCtx(r.t)); err != nil {
		r.t.Fatal(err)
	}
}

// onTarget writes an entity (virtual form) to the target directly.
func (r *rig) onTarget(typ p4v1.Update_Type, e *p4v1.Entity) {
	r.t.Helper()
	te, err := r.translator().Entity(e)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.dstB.Client().Write(testCtx(r.t), []*p4v1.Update{{Type: typ, Entity: te}}); err != nil {
		r.t.Fatal(err)
	}
}

// A live mirror that already holds an entity, or lacks one, still ends
// with what the controller meant: INSERT of what it holds becomes MODIFY,
// MODIFY of what it lacks INSERT, DELETE of what it lacks is done. The
// controller sees the source's answers only. Both ways a live mirror gets
// writes (trailing the source, and alongside it).
func TestLiveMirrorWritesByIntent(t *testing.T) {
	for _, m := range mirrorModes {
		t.Run(m.name, func(t *testing.T) { liveMirrorWritesByIntent(t, m.split) })
	}
}

func liveMirrorWritesByIntent(t *testing.T, split bool) {
	r, c := liveRig(t, rigOptions{profile: p4rt.ProfileBMv2}, split)
	ctx := testCtx(t)
	tb := r.src.Info.TableByName(table0)
	g := p4test.NewGen(r.src.Info, 5)
	a, b, z := g.TableEntry(tb, nil, nil), g.TableEntry(tb, nil, nil), g.TableEntry(tb, nil, nil)
	r.onTarget(p4v1.Update_INSERT, a) // the target holds a already
	write := func(typ p4v1.Update_Type, e *p4v1.Entity) {
		t.Helper()
		if err := c.Write(ctx, []*p4v1.Update{{Type: typ, Entity: e}}); err != nil {
			t.Fatalf("%v %s: %v", typ, entity.Describe(e, r.src.Info), err)
		}
		r.drained() // the test changes the target next
	}
	write(p4v1.Update_INSERT, a)
	write(p4v1.Update_INSERT, b)
	if err := r.dstB.Client().Write(ctx, []*p4v1.Update{{Type: p4v1.Update_DELETE, Entity: entity.Query(mustTranslate(t, r, b))}}); err != nil {
		t.Fatal(err)
	}
	b2 := proto.Clone(b).(*p4v1.Entity)
	b2.GetTableEntry().ControllerMetadata = 42
	write(p4v1.Update_MODIFY, b2) // the target lacks b
	write(p4v1.Update_INSERT, z)
	if err := r.dstB.Client().Write(ctx, []*p4v1.Update{{Type: p4v1.Update_DELETE, Entity: entity.Query(mustTranslate(t, r, z))}}); err != nil {
		t.Fatal(err)
	}
	write(p4v1.Update_DELETE, entity.Query(z)) // the target lacks z
	st := r.dev.Stats()
	if st.Fixed != 2 || st.Repairs != 0 {
		t.Fatalf("stats %+v: want 2 updates fixed by intent, none for repair", st)
	}
	if st.Relayed != 0 { // a mirror is there: every write is decoded
		t.Fatalf("stats %+v: writes relayed as bytes during a migration", st)
	}
	// Issue 14: the mirror got them translated as wire bytes, its
	// refusals resent by intent all the same.
	if st.MirroredWire == 0 {
		t.Fatalf("stats %+v: no update went to the mirror as wire bytes", st)
	}
	assertSame(t, r)
}

// P4Runtime spec section 9.2.1: a DELETE of a member is judged by its
// key alone, its action ignored even when nonsensical. During a
// migration, a DELETE whose action sends to a port no map covers (0) is
// taken by the source and the mirror alike, as a switch takes it, not
// refused or kept for repair. Both ways a live mirror gets writes (in the
// split one, the source's writes are translated too: port 1's host moved).
func TestMirrorDeleteByKey(t *testing.T) {
	for _, m := range mirrorModes {
		t.Run(m.name, func(t *testing.T) {
			rules := info.DefaultPortRules.Merge(info.PortRules{Names: []string{"*.set_egress_port/port"}})
			r, c := liveRig(t, rigOptions{profile: p4rt.ProfileBMv2, rules: &rules}, m.split)
			ctx := testCtx(t)
			ap := r.src.Info.ActionProfileByName("ingress.wcmp_control.wcmp_selector").ID
			member := func(id uint32, port byte) *p4v1.Entity {
				return &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{
					ActionProfileId: ap, MemberId: id, Action: &p4v1.Action{ActionId: r.src.Info.ActionByName("ingress.wcmp_control.set_egress_port").ID,
						Params: []*p4v1.Action_Param{{ParamId: 1, Value: []byte{port}}}}}}}
			}
			for _, u := range []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: member(1, 1)}, {Type: p4v1.Update_INSERT, Entity: member(2, 2)},
				{Type: p4v1.Update_DELETE, Entity: member(1, 0)}} {
				if err := c.Write(ctx, []*p4v1.Update{u}); err != nil {
					t.Fatalf("%v %s: %v", u.Type, entity.Describe(u.Entity, r.src.Info), err)
				}
			}
			r.drained()
			if reps := r.dev.Repairs(); len(reps) != 0 {
				t.Fatalf("kept for repair: %v", reps)
			}
			all := &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{}}}
			for name, cl := range map[string]*client.Client{"the source": r.src.Client, "the mirror": r.dst.Client, "the proxy": c} {
				got, err := cl.ReadAll(ctx, all)
				if err != nil || len(got) != 1 || got[0].GetActionProfileMember().GetMemberId() != 2 {
					t.Errorf("%s holds %v (%v), want member 2 alone", name, got, err)
				}
			}
		})
	}
}

func mustTranslate(t *testing.T, r *rig, e *p4v1.Entity) *p4v1.Entity {
	t.Helper()
	x, err := r.translator().Entity(e)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// An update the mirror refuses for good (its table is full) does not fail
// the controller's write, is never dropped silently: it is kept for repair
// and reported. Repair reconciles it with the source once it can. Both
// ways a live mirror gets writes.
func TestMirrorRefusalKeptForRepair(t *testing.T) {
	for _, m := range mirrorModes {
		t.Run(m.name, func(t *testing.T) { mirrorRefusalKeptForRepair(t, m.split) })
	}
}

func mirrorRefusalKeptForRepair(t *testing.T, split bool) {
	r, c := liveRig(t, rigOptions{profile: p4rt.ProfileSpec, editTarget: func(q *p4configv1.P4Info) {
		for _, tb := range q.Tables {
			if tb.Preamble.Name == table0 {
				tb.Size = 3
			}
		}
	}}, split)
	ctx := testCtx(t)
	tb := r.src.Info.TableByName(table0)
	g := p4test.NewGen(r.src.Info, 6)
	var es []*p4v1.Entity
	for len(es) < 5 {
		e := g.TableEntry(tb, nil, nil)
		if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: e}}); err != nil {
			continue
		}
		es = append(es, e)
	}
	r.drained()
	reps := r.dev.Repairs()
	if len(reps) != 2 {
		t.Fatalf("%d repairs, want 2: %v", len(reps), reps)
	}
	for i := 0; i < 2; i++ {
		rep := <-r.repairs
		if rep.Update == nil || rep.Error == "" {
			t.Fatalf("reported repair %+v", rep)
		}
	}
	// Room on the target: two of the entries it holds go.
	held := 0
	for _, e := range es {
		if held == 2 {
			break
		}
		if !proto.Equal(e, reps[0].Update.Entity) && !proto.Equal(e, reps[1].Update.Entity) {
			if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_DELETE, Entity: entity.Query(e)}}); err != nil {
				t.Fatal(err)
			}
			held++
		}
	}
	left, err := r.dev.Repair(ctx)
	if err != nil || len(left) != 0 {
		t.Fatalf("repair: %v, left %v", err, left)
	}
	assertSame(t, r)
}

// While a mirror is attached the program cannot change (the target runs
// its own compilation of it); after DetachMirror (an abort) it can, and
// writes no longer reach the former mirror.
func TestPipelineLockedWhileMirrored(t *testing.T) {
	r, c := liveRig(t, rigOptions{profile: p4rt.ProfileBMv2}, false)
	ctx := testCtx(t)
	cfg, err := c.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_ALL)
	if err != nil {
		t.Fatal(err)
	}
	err = c.SetPipelineConfig(ctx, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, cfg)
	if status.Code(errors.Unwrap(err)) != codes.FailedPrecondition && status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("pipeline push during a migration: %v, want FAILED_PRECONDITION", err)
	}
	if err := c.SetPipelineConfig(ctx, p4v1.SetForwardingPipelineConfigRequest_VERIFY, cfg); err != nil {
		t.Fatalf("VERIFY during a migration: %v", err)
	}
	if b, err := r.dev.DetachMirror(ctx); b != r.dstB || err != nil {
		t.Fatalf("detached %v, %v", b, err)
	}
	if _, mode := r.dev.Mirror(); mode != proxy.MirrorOff {
		t.Fatalf("mode %v after detach", mode)
	}
	e := p4test.NewGen(r.src.Info, 7).TableEntry(r.src.Info.TableByName(table0), nil, nil)
	if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: e}}); err != nil {
		t.Fatal(err)
	}
	got, err := r.dst.Client.ReadAll(ctx, entity.Query(mustTranslate(t, r, e)))
	if err != nil || len(got) != 0 {
		t.Fatalf("the former mirror got a write after detach: %v %v", got, err)
	}
	if err := c.SetPipelineConfig(ctx, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, cfg); err != nil {
		t.Fatalf("pipeline push after the abort: %v", err)
	}
}

// DESIGN.md step 3: the recorded writes are replayed over a clone that
// may have read a later state. Here the controller, after the mirror was
// attached and before the clone reads, inserts a group naming member 6,
// changes another group's weights, then takes member 6 out of both and
// deletes it: the clone never sees member 6, so replaying the group's
// INSERT (and the MODIFY that gave member 6 a weight) is refused by the
// target (NOT_FOUND: no member 6). The catch-up settles those with what
// the source holds, not keeps them for repair: the mirror goes live equal
// to the source, nothing to repair, and verify can pass.
func TestCatchUpSettlesReplaysOverALaterClone(t *testing.T) {
	r := newRig(t, "onos-basic", rigOptions{profile: p4rt.ProfileBMv2, rules: &basicRules})
	c, _ := r.controller(1)
	ctx := testCtx(t)
	in := r.src.Info
	ap := in.ActionProfileByName("ingress.wcmp_control.wcmp_selector").ID
	member := func(id uint32, port byte) *p4v1.Entity {
		return &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{
			ActionProfileId: ap, MemberId: id, Action: &p4v1.Action{ActionId: in.ActionByName("ingress.wcmp_control.set_egress_port").ID,
				Params: []*p4v1.Action_Param{{ParamId: 1, Value: []byte{port}}}}}}}
	}
	group := func(id uint32, weights ...[2]uint32) *p4v1.Entity {
		g := &p4v1.ActionProfileGroup{ActionProfileId: ap, GroupId: id, MaxSize: 8}
		for _, mw := range weights {
			g.Members = append(g.Members, &p4v1.ActionProfileGroup_Member{MemberId: mw[0], Weight: int32(mw[1])})
		}
		return &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: g}}
	}
	write := func(typ p4v1.Update_Type, e *p4v1.Entity) {
		t.Helper()
		if err := c.Write(ctx, []*p4v1.Update{{Type: typ, Entity: e}}); err != nil {
			t.Fatalf("%v %s: %v", typ, entity.Describe(e, in), err)
		}
	}
	write(p4v1.Update_INSERT, member(1, 1))
	write(p4v1.Update_INSERT, member(6, 2))
	write(p4v1.Update_INSERT, group(100, [2]uint32{1, 1}, [2]uint32{6, 2}))
	if err := r.dev.AttachMirror(r.dstB, proxy.Ports{Map: simtest.ShiftedPorts()}); err != nil {
		t.Fatal(err)
	}
	write(p4v1.Update_INSERT, group(205, [2]uint32{6, 3}))
	write(p4v1.Update_MODIFY, group(100, [2]uint32{1, 2}, [2]uint32{6, 1}))
	write(p4v1.Update_MODIFY, group(205, [2]uint32{1, 1}))
	write(p4v1.Update_MODIFY, group(100, [2]uint32{1, 2}))
	write(p4v1.Update_DELETE, member(6, 0))
	if _, err := cloneTo(ctx, r, r.dev.MirrorTranslator()); err != nil {
		t.Fatal(err)
	}
	if n, err := r.dev.CatchUp(ctx); err != nil || n != 5 {
		t.Fatalf("catch-up: %d replayed, %v", n, err)
	}
	if reps := r.dev.Repairs(); len(reps) != 0 {
		t.Fatalf("kept for repair: %v", reps)
	}
	if _, mode := r.dev.Mirror(); mode != proxy.MirrorLive {
		t.Fatalf("mirror %v after the catch-up", mode)
	}
	assertSame(t, r)
}
