package proxy_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/clone"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
)

func refusedBy(profile p4rt.Profile) func(entity.Kind) bool {
	return func(k entity.Kind) bool {
		return profile == p4rt.ProfileBMv2 && (k == entity.KindRegister || k == entity.KindValueSet)
	}
}

// Through the proxy a controller sees the source device as if it talked to
// it: what it writes reads back byte-identical (P4Runtime spec section 8.2
// "Read-Write Symmetry"), the pipeline and cookie pass through, a batch
// with a failing update answers UNKNOWN with per-update details (section
// 12.3 "Error Reporting"), and a device id the proxy does not stand for is
// NOT_FOUND.
func TestPassThrough(t *testing.T) {
	for _, profile := range []p4rt.Profile{p4rt.ProfileBMv2, p4rt.ProfileSpec} {
		t.Run(profile.String(), func(t *testing.T) {
			r := newRig(t, "onos-basic", rigOptions{profile: profile})
			c, _ := r.controller(1)
			ctx := testCtx(t)
			state := p4test.NewGen(r.src.Info, 1).State(20)
			n := simtest.Populate(t, ctx, c, r.src.Info, state, refusedBy(profile))
			if n < 20 {
				t.Fatalf("only %d entities written", n)
			}
			for _, e := range state {
				if refusedBy(profile)(entity.KindOf(e)) {
					continue
				}
				q := entity.Query(e)
				viaProxy, err := c.ReadAll(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				direct, err := r.src.Client.ReadAll(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(viaProxy) != 1 || len(direct) != 1 || !proto.Equal(viaProxy[0], direct[0]) {
					t.Fatalf("read %s: via the proxy %v, directly %v", entity.Describe(e, r.src.Info), viaProxy, direct)
				}
			}
			cfg, err := c.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_P4INFO_AND_COOKIE)
			if err != nil || cfg.GetCookie().GetCookie() != 0xc0ffee || !proto.Equal(cfg.GetP4Info(), r.src.Info.Proto) {
				t.Fatalf("pipeline through the proxy: cookie %v, %v", cfg.GetCookie(), err)
			}
			// One update that exists and one that does not.
			var dup *p4v1.Entity
			for _, e := range state {
				if entity.KindOf(e) == entity.KindTableEntry {
					dup = e
					break
				}
			}
			fresh := proto.Clone(dup).(*p4v1.Entity)
			fresh.GetTableEntry().Priority++
			_, err = c.Raw().Write(ctx, &p4v1.WriteRequest{DeviceId: vid, ElectionId: c.ElectionID().Proto(), Updates: []*p4v1.Update{
				{Type: p4v1.Update_INSERT, Entity: dup}, {Type: p4v1.Update_INSERT, Entity: fresh}}})
			items, derr := client.DecodeBatchError(err, 2)
			if status.Code(err) != codes.Unknown || derr != nil || items[0].Code != codes.AlreadyExists || items[1] != nil {
				t.Fatalf("batch with a duplicate: %v (details %v, %v)", err, items, derr)
			}
			_, err = c.Raw().Write(ctx, &p4v1.WriteRequest{DeviceId: 99, ElectionId: c.ElectionID().Proto(), Updates: []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: fresh}}})
			if status.Code(err) != codes.NotFound {
				t.Fatalf("write to an unknown device: %v, want NOT_FOUND", err)
			}
			if _, err := c.Capabilities(ctx); err != nil {
				t.Fatalf("capabilities: %v", err)
			}
			// Issue 14: with no migration, every write was passed on
			// as its bytes, undecoded.
			if st := r.dev.Stats(); st.Relayed == 0 || st.Relayed != st.Writes {
				t.Fatalf("%d of %d writes relayed as bytes", st.Relayed, st.Writes)
			}
		})
	}
}

// Controllers arbitrate with the proxy as with a switch (spec section 5):
// the highest election id is primary, the other is told it is a backup and
// its writes are PERMISSION_DENIED; the proxy stays the backends' primary.
func TestArbitrationThroughProxy(t *testing.T) {
	r := newRig(t, "onos-basic", rigOptions{profile: p4rt.ProfileBMv2})
	c1, s1 := r.controller(1)
	if !s1.IsPrimary() {
		t.Fatal("the first controller is not primary")
	}
	_, s2 := r.controller(2)
	if !s2.IsPrimary() {
		t.Fatal("the higher election id is not primary")
	}
	for m := range s1.Mastership() {
		if !m.Primary && m.Code == codes.AlreadyExists {
			break
		}
	}
	e := p4test.NewGen(r.src.Info, 2).TableEntry(r.src.Info.TableByName("ingress.table0_control.table0"), nil, nil)
	err := c1.Write(testCtx(t), []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: e}})
	if status.Code(errors.Unwrap(err)) != codes.PermissionDenied && !strings.Contains(err.Error(), "PERMISSION_DENIED") {
		t.Fatalf("backup's write: %v, want PERMISSION_DENIED", err)
	}
}

// churn writes through c, as a controller at work: n entries of table t
// inserted, a third of them modified (same key, another action) and a fifth
// deleted, in that order per entry.
func churn(t *testing.T, c *client.Client, in *info.Info, tb *info.Table, seed uint64, n int) {
	g := p4test.NewGen(in, seed)
	ctx := testCtx(t)
	for i := 0; i < n; i++ {
		e := g.TableEntry(tb, nil, nil)
		if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: e}}); err != nil {
			continue // a random key taken before: refused by the source, not mirrored
		}
		if i%3 == 0 {
			m := g.TableEntry(tb, nil, nil)
			m.GetTableEntry().Match, m.GetTableEntry().Priority = e.GetTableEntry().Match, e.GetTableEntry().Priority
			if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_MODIFY, Entity: m}}); err != nil {
				t.Errorf("modify: %v", err)
			}
		}
		if i%5 == 0 {
			if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_DELETE, Entity: entity.Query(e)}}); err != nil {
				t.Errorf("delete: %v", err)
			}
		}
	}
}

// assertSame diffs source and target through the translation.
func assertSame(t *testing.T, r *rig) {
	t.Helper()
	simtest.AssertSame(t, testCtx(t), r.src.Client, r.dst.Client, r.translator())
}

// DESIGN.md, "Migration of one virtual device", step 3: the proxy records
// the controller's writes from before the snapshot; the clone copies the
// source while the controller keeps writing; the recorded writes are
// replayed idempotently and the mirror goes live; writes go on, now to
// both. The target ends equal to the source, and no write was lost,
// reordered or refused on the way.
func TestWritesDuringCloneReachTheMirror(t *testing.T) {
	cases := []struct {
		pipeline string
		profile  p4rt.Profile
		table    string
	}{
		{"onos-basic", p4rt.ProfileBMv2, "ingress.table0_control.table0"},
		{"onos-fabric", p4rt.ProfileSpec, "FabricIngress.acl.acl"},
	}
	for _, tc := range cases {
		t.Run(tc.pipeline+"/"+tc.profile.String(), func(t *testing.T) {
			r := newRig(t, tc.pipeline, rigOptions{profile: tc.profile})
			c, _ := r.controller(1)
			ctx := testCtx(t)
			simtest.Populate(t, ctx, c, r.src.Info, p4test.NewGen(r.src.Info, 1).State(40), refusedBy(tc.profile))
			if err := r.dev.AttachMirror(r.dstB, proxy.Ports{Map: simtest.ShiftedPorts()}); err != nil {
				t.Fatal(err)
			}
			tb := r.src.Info.TableByName(tc.table)
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				churn(t, c, r.src.Info, tb, 2, 150)
			}()
			res, err := clone.Run(ctx, r.src.Client, r.dstB.Client(), clone.Options{Translator: r.translator(), BatchSize: 16})
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK() && len(res.Unreadable) == 0 {
				t.Fatalf("clone: %+v %v", res.Total(), res.Failures)
			}
			if _, err := r.dev.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			if _, mode := r.dev.Mirror(); mode != proxy.MirrorLive {
				t.Fatalf("mode %v after catch-up, want live", mode)
			}
			churn(t, c, r.src.Info, tb, 3, 60) // live dual-write
			wg.Wait()
			r.drained() // no host moved: the mirror may trail the source
			st := r.dev.Stats()
			if st.Logged == 0 || st.Replayed != st.Logged || st.Mirrored == 0 || st.Repairs != 0 || st.Pending != 0 {
				t.Fatalf("stats %+v", st)
			}
			assertSame(t, r)
		})
	}
}
