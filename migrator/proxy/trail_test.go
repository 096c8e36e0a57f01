//lint:file-ignore SA1019 controller_metadata tells the versions of an entry apart

package proxy_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/internal/proxytest"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/p4/translate"
)

// slowMirrorRig: a proxy standing for a source, with a live mirror on a
// target whose every Write takes writeDelay more (behind a slow relay),
// no host moved; the mirror may trail by window updates.
type slowMirrorRig struct {
	src, dst *simtest.Device
	dev      *proxy.Device
	c        *client.Client
}

func newSlowMirrorRig(t *testing.T, writeDelay time.Duration, window int) *slowMirrorRig {
	src := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, DeviceID: 1})
	dst := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, DeviceID: 2})
	slow := *dst
	slow.Addr, slow.Sim = proxytest.SlowRelay(t, dst.Addr, writeDelay), nil
	p := proxy.New(proxy.Options{MirrorWindow: window, Log: slog.New(slog.DiscardHandler)})
	dev, err := p.AddDevice(vid, proxytest.Backend(t, src, "s1", info.DefaultPortRules))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := proxytest.Controller(t, proxytest.Serve(t, p), vid, 1)
	ports := proxy.Ports{Map: simtest.ShiftedPorts(), Hosts: []uint64{1, 2}, Trunk: &proxy.Trunk{Source: 9, Target: 19}}
	if err := dev.AttachMirror(proxytest.Backend(t, &slow, "s2-slow", info.DefaultPortRules), ports); err != nil {
		t.Fatal(err)
	}
	if _, err := dev.CatchUp(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	return &slowMirrorRig{src: src, dst: dst, dev: dev, c: c}
}

// history writes, one update per Write, a history whose end depends on
// its order: each of n entries is inserted, modified, deleted, inserted
// again and modified again, the entries interleaved; the first is deleted
// at the end (entries from generator seed). It returns the most updates
// the mirror trailed by, seen after each Write (Stats, as /metrics shows
// them).
func (r *slowMirrorRig) history(t *testing.T, n int, seed uint64) (maxLag int) {
	ctx := testCtx(t)
	g := p4test.NewGen(r.src.Info, seed)
	tb := r.src.Info.TableByName(table0)
	var es []*p4v1.Entity
	for range n {
		es = append(es, g.TableEntry(tb, nil, nil))
	}
	version := func(e *p4v1.Entity, v uint64) *p4v1.Entity {
		x := proto.Clone(e).(*p4v1.Entity)
		x.GetTableEntry().ControllerMetadata = v
		return x
	}
	steps := []struct {
		typ     p4v1.Update_Type
		version uint64
	}{{p4v1.Update_INSERT, 1}, {p4v1.Update_MODIFY, 2}, {p4v1.Update_DELETE, 0}, {p4v1.Update_INSERT, 3}, {p4v1.Update_MODIFY, 4}}
	write := func(u *p4v1.Update) {
		t.Helper()
		if err := r.c.Write(ctx, []*p4v1.Update{u}); err != nil {
			t.Fatalf("%v: %v", u.Type, err)
		}
		st := r.dev.Stats()
		if st.MirrorLag > 0 && st.MirrorLagSeconds <= 0 {
			t.Errorf("the mirror trails by %d updates, %v seconds", st.MirrorLag, st.MirrorLagSeconds)
		}
		maxLag = max(maxLag, st.MirrorLag)
	}
	for _, step := range steps {
		for _, e := range es {
			u := &p4v1.Update{Type: step.typ, Entity: entity.Query(e)}
			if step.typ != p4v1.Update_DELETE {
				u.Entity = version(e, step.version)
			}
			write(u)
		}
	}
	write(&p4v1.Update{Type: p4v1.Update_DELETE, Entity: entity.Query(es[0])})
	return maxLag
}

// sameAsSource checks that the target holds what the source holds, read
// straight from both.
func (r *slowMirrorRig) sameAsSource(t *testing.T) {
	t.Helper()
	tr, err := translate.New(r.src.Info, r.dst.Info, translate.WithPorts(simtest.ShiftedPorts()))
	if err != nil {
		t.Fatal(err)
	}
	simtest.AssertSame(t, testCtx(t), r.src.Client, r.dst.Client, tr)
}

// Issue 14: before any host moved, a slow mirror trails the source within
// its window (the controller is answered once the source applied a
// write, and waits when the window is full); the writes reach the mirror
// in the order the source applied them — a history whose end depends on
// its order ends the same on both, and no update had to be fixed by its
// intent on the way (one out of order would have: a MODIFY before its
// INSERT) — and a barrier (Paused, as a verify uses) waits until the
// mirror has them all.
func TestSlowMirrorTrailsInOrder(t *testing.T) {
	const window = 4
	r := newSlowMirrorRig(t, 30*time.Millisecond, window)
	lag := r.history(t, 4, 1)
	if lag < 2 || lag > window {
		t.Errorf("the mirror trailed by at most %d updates, want between 2 and the window, %d", lag, window)
	}
	err := r.dev.Paused(func() error {
		if st := r.dev.Stats(); st.MirrorLag != 0 {
			t.Errorf("in a barrier the mirror trails by %d updates", st.MirrorLag)
		}
		r.sameAsSource(t)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := r.dev.Stats(); st.Mirrored != 21 || st.Fixed != 0 || st.Repairs != 0 {
		t.Fatalf("stats %+v: want 21 updates mirrored as written, none fixed nor kept for repair", st)
	}
}

// Issue 14: the other barriers wait for what a slow mirror trails by too:
// a host move (the mirror then gets writes alongside the source, and the
// controller is answered once both applied them), and a detach (an
// abort): the target has every write when it is detached.
func TestSlowMirrorBarriers(t *testing.T) {
	t.Run("host move", func(t *testing.T) {
		r := newSlowMirrorRig(t, 30*time.Millisecond, 64)
		r.history(t, 3, 1)
		if err := r.dev.MoveHost(testCtx(t), 1); err != nil {
			t.Fatal(err)
		}
		if st := r.dev.Stats(); st.MirrorLag != 0 || st.Mirrored != 16 {
			t.Fatalf("after the host move: stats %+v, want the 16 updates mirrored", st)
		}
		r.sameAsSource(t)
		// Hosts split: each write is on both when the controller is answered.
		lag := r.history(t, 2, 2)
		if lag != 0 {
			t.Errorf("with a host on the mirror it trailed by %d updates", lag)
		}
		r.sameAsSource(t)
	})
	t.Run("detach", func(t *testing.T) {
		r := newSlowMirrorRig(t, 30*time.Millisecond, 64)
		r.history(t, 3, 1)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := r.dev.DetachMirror(ctx); err != nil {
			t.Fatal(err)
		}
		r.sameAsSource(t)
	})
}
