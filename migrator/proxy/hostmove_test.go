package proxy_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"iter"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/migrator/clone"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/migrator/snapshot"
	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
)

// bigtableRules make scale-bigtable's I.fwd parameter a port.
var bigtableRules = info.DefaultPortRules.Merge(info.PortRules{Names: []string{"I.fwd/port"}})

// l2n is scale-bigtable's I.l2 entry for MAC n: frames to it leave on
// port.
func l2n(in *info.Info, n uint64, port byte) *p4v1.Entity {
	t := in.TableByName("I.l2")
	var mac [8]byte
	binary.BigEndian.PutUint64(mac[:], n)
	return tableEntity(&p4v1.TableEntry{TableId: t.ID,
		Match: []*p4v1.FieldMatch{{FieldId: t.Fields[0].ID, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: canon.Canonical(mac[2:])}}}},
		Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: in.ActionByName("I.fwd").ID,
			Params: []*p4v1.Action_Param{{ParamId: 1, Value: []byte{port}}}}}}})
}

// portOf is the port a table entry of l2n sends to.
func portOf(e *p4v1.Entity) byte {
	v := e.GetTableEntry().GetAction().GetAction().GetParams()[0].GetValue()
	return v[len(v)-1]
}

// hostMoveRig: a proxy whose source holds n entries, half to host 1 and
// half to host 2, mirrored onto a target through a trunk (9 on the
// source, 19 on the target), hosts 1 and 2 (11 and 12 there); the clone
// reads the source through the proxy (so the index of outputs is whole),
// or, viaProxy false, straight (the first move reads it).
func hostMoveRig(t *testing.T, n int, viaProxy bool) (*rig, *client.Client, map[uint64]byte) {
	return hostMoveRigDial(t, n, viaProxy, nil)
}

// hostMoveRigDial is hostMoveRig with dial options for the backends (see
// rigOptions.dial).
func hostMoveRigDial(t *testing.T, n int, viaProxy bool, dial func(string) []grpc.DialOption) (*rig, *client.Client, map[uint64]byte) {
	r := newRig(t, "scale-bigtable", rigOptions{profile: p4rt.ProfileBMv2, rules: &bigtableRules, dial: dial})
	c, _ := r.controller(1)
	ctx := testCtx(t)
	in := r.src.Info
	model := map[uint64]byte{}
	var ups []*p4v1.Update
	for i := range n {
		mac, port := uint64(0x10000+i), byte(1+i%2)
		model[mac] = port
		ups = append(ups, &p4v1.Update{Type: p4v1.Update_INSERT, Entity: l2n(in, mac, port)})
	}
	// Before the mirror: the proxy learns them from a read.
	for i := 0; i < len(ups); i += 500 {
		if err := c.Write(ctx, ups[i:min(i+500, len(ups))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.dev.AttachMirror(r.dstB, proxy.Ports{Map: trunkRigPorts, Hosts: []uint64{1, 2}, Trunk: &proxy.Trunk{Source: 9, Target: 19}}); err != nil {
		t.Fatal(err)
	}
	var src snapshot.Reader = r.src.Client
	if viaProxy {
		src = r.dev.ControllerReader(r.src.Client)
	}
	res, err := clone.Run(ctx, src, r.dstB.Client(), clone.Options{Translator: r.dev.MirrorTranslator(), SkipCounters: true, SkipRegisters: true})
	if err != nil || !res.OK() {
		t.Fatal(err, res)
	}
	if _, err := r.dev.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	return r, c, model
}

// racer writes as a controller while a host moves: MODIFYs that send an
// entry to the other host, INSERTs and DELETEs, kept in model. It stops
// when stop closes or after limit writes.
type racer struct {
	c        *client.Client
	in       *info.Info
	model    map[uint64]byte
	rnd      *rand.Rand
	next     uint64
	done     atomic.Int64
	maxDelay time.Duration
}

func (w *racer) run(ctx context.Context, t *testing.T, stop <-chan struct{}, limit int) {
	for range limit {
		select {
		case <-stop:
			return
		default:
		}
		var u *p4v1.Update
		macs := make([]uint64, 0, 1)
		for mac := range w.model { // any entry
			macs = append(macs, mac)
			break
		}
		switch op := w.rnd.IntN(4); {
		case op == 0 || len(macs) == 0:
			w.next++
			mac, port := uint64(0x900000)+w.next, byte(1+w.rnd.IntN(2))
			u = &p4v1.Update{Type: p4v1.Update_INSERT, Entity: l2n(w.in, mac, port)}
			w.model[mac] = port
		case op == 1:
			u = &p4v1.Update{Type: p4v1.Update_DELETE, Entity: l2n(w.in, macs[0], w.model[macs[0]])}
			delete(w.model, macs[0])
		default:
			port := 3 - w.model[macs[0]]
			u = &p4v1.Update{Type: p4v1.Update_MODIFY, Entity: l2n(w.in, macs[0], port)}
			w.model[macs[0]] = port
		}
		t0 := time.Now()
		if err := w.c.Write(ctx, []*p4v1.Update{u}); err != nil {
			t.Errorf("write racing the move: %v", err)
			return
		}
		w.maxDelay = max(w.maxDelay, time.Since(t0))
		w.done.Add(1)
	}
}

// held reads table0 of a device and gives each entry's port, by MAC.
func held(ctx context.Context, t *testing.T, r snapshot.Reader, tableID uint32) map[uint64]byte {
	t.Helper()
	out := map[uint64]byte{}
	for e, err := range r.Read(ctx, &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: tableID}}}) {
		if err != nil {
			t.Fatal(err)
		}
		v := e.GetTableEntry().GetMatch()[0].GetExact().GetValue()
		var mac uint64
		for _, b := range v {
			mac = mac<<8 | uint64(b)
		}
		out[mac] = portOf(e)
	}
	return out
}

// checkSplit checks that the controller reads model back, and that the
// source and the target send each entry where the moved hosts say: the
// host's own port on the device it is on, the trunk on the other.
func checkSplit(t *testing.T, r *rig, c *client.Client, model map[uint64]byte, moved map[byte]bool) {
	t.Helper()
	ctx := testCtx(t)
	in := r.src.Info
	ctl := held(ctx, t, c, in.TableByName("I.l2").ID)
	src := held(ctx, t, r.src.Client, in.TableByName("I.l2").ID)
	dst := held(ctx, t, r.dst.Client, r.dst.Info.TableByName("I.l2").ID)
	if len(ctl) != len(model) || len(src) != len(model) || len(dst) != len(model) {
		t.Fatalf("%d entries written, the controller reads %d, the source holds %d, the target %d", len(model), len(ctl), len(src), len(dst))
	}
	bad := 0
	for mac, p := range model {
		wantSrc, wantDst := p, p+10
		if moved[p] {
			wantSrc = 9
		} else {
			wantDst = 19
		}
		if ctl[mac] != p || src[mac] != wantSrc || dst[mac] != wantDst {
			if bad++; bad <= 5 {
				t.Errorf("MAC %x to host %d: the controller reads %d, the source sends to %d (want %d), the target to %d (want %d)",
					mac, p, ctl[mac], src[mac], wantSrc, dst[mac], wantDst)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d entries wrong", bad)
	}
}

// Issue 14 ("host moves that never hold the controller") and DESIGN.md
// step 5: a host move rewrites the host's entries a batch at a time while
// the controller keeps writing — entries sent to the other host, new ones,
// deleted ones — and everything lands right on both switches: the moved
// host's entries send to its port on the target and to the trunk on the
// source, the others the other way, and the controller reads back what it
// wrote throughout. Writes go on while the move runs. Then the host moves
// back the same way. The index of outputs comes from the clone read
// through the proxy, or from the first move's own read.
func TestHostMoveRacingWrites(t *testing.T) {
	for _, viaProxy := range []bool{true, false} {
		t.Run(fmt.Sprintf("clone through the proxy=%v", viaProxy), func(t *testing.T) {
			r, c, model := hostMoveRig(t, 4000, viaProxy)
			ctx := testCtx(t)
			w := &racer{c: c, in: r.src.Info, model: model, rnd: rand.New(rand.NewPCG(14, 5))}
			race := func(move func() error) {
				stop := make(chan struct{})
				var wg sync.WaitGroup
				wg.Add(1)
				go func() { defer wg.Done(); w.run(ctx, t, stop, 20_000) }()
				// Let the writer start, then move while it writes.
				for deadline := time.Now().Add(5 * time.Second); w.done.Load() < 5 && time.Now().Before(deadline); {
					time.Sleep(time.Millisecond)
				}
				before := w.done.Load()
				if err := move(); err != nil {
					t.Fatal(err)
				}
				during := w.done.Load() - before
				close(stop)
				wg.Wait()
				if during == 0 {
					t.Errorf("no controller write went through while the host moved")
				}
			}
			race(func() error { return r.dev.MoveHost(ctx, 1) })
			checkSplit(t, r, c, model, map[byte]bool{1: true})
			// Progress (issue 14): every entity of the host looked at,
			// of the 2,000 that sent to its port (the racer's inserts
			// after the move began are written as after it).
			if done, total := r.dev.MoveProgress(); done != total || total < 1900 || total > 2100 {
				t.Errorf("move progress after the move: %d of %d", done, total)
			}
			race(func() error { return r.dev.MoveBack(ctx, 1) })
			checkSplit(t, r, c, model, map[byte]bool{})
			if h := r.dev.Halfway(); len(h) > 0 {
				t.Fatalf("moves halfway: %v", h)
			}
		})
	}
}

// Issue 14: a move that fails (the target went away) puts the host back
// for the proxy and its entries back on the source as the controller
// wrote them (reads answer the controller's form); as the target could
// not be put back, Halfway names the host: an abort moves it back before
// it detaches the mirror.
func TestHostMoveFailsBack(t *testing.T) {
	r, c, model := hostMoveRig(t, 1200, true)
	ctx := testCtx(t)
	r.dstB.Close()
	err := r.dev.MoveHost(ctx, 1)
	if err == nil {
		t.Fatal("a move onto a target that went away succeeded")
	}
	if m := r.dev.Moved(); len(m) != 0 {
		t.Fatalf("after a failed move the proxy has hosts %v on the target", m)
	}
	in := r.src.Info
	ctl := held(ctx, t, c, in.TableByName("I.l2").ID)
	src := held(ctx, t, r.src.Client, in.TableByName("I.l2").ID)
	for mac, p := range model {
		if ctl[mac] != p || src[mac] != p {
			t.Fatalf("MAC %x to host %d: the controller reads %d, the source sends to %d", mac, p, ctl[mac], src[mac])
		}
	}
	if h := r.dev.Halfway(); len(h) != 1 || h[0] != 1 {
		t.Fatalf("halfway %v, want [1]: the target's entries could not be put back", h)
	}
}

// Issue 13 (found by TestSimNetworkSwitchRestarts, 1 run in ~30): a read
// through ControllerReader (a clone, a verify) that the source answered
// before the controller's DELETE of an entry it holds in the trunk's form
// looks for the entry's controller form after the DELETE: it must still
// find it, not hand out the trunk's port (which the target's translation
// then refused: "port not in the port map: 9").
func TestControllerReadRacingDelete(t *testing.T) {
	r, c, _ := hostMoveRig(t, 8, false)
	ctx := testCtx(t)
	if err := r.dev.MoveHost(ctx, 1); err != nil {
		t.Fatal(err)
	}
	in := r.src.Info
	e := l2n(in, 0x9999, 1) // sends to the moved host: the trunk on the source
	if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: e}}); err != nil {
		t.Fatal(err)
	}
	held, err := r.src.Client.ReadAll(ctx, entity.Query(e))
	if err != nil || len(held) != 1 || portOf(held[0]) == 1 {
		t.Fatalf("the source holds %v (%v), want the entry sent to the trunk", held, err)
	}
	// The source's answer, then the controller's DELETE before the read
	// looks for its controller's form.
	stale := snapshot.ReadFunc(func(ctx context.Context, _ ...*p4v1.Entity) iter.Seq2[*p4v1.Entity, error] {
		return func(yield func(*p4v1.Entity, error) bool) {
			if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_DELETE, Entity: entity.Query(e)}}); err != nil {
				t.Error(err)
			}
			yield(proto.Clone(held[0]).(*p4v1.Entity), nil)
		}
	})
	for got, err := range r.dev.ControllerReader(stale).Read(ctx, entity.Query(e)) {
		if err != nil || portOf(got) != 1 {
			t.Fatalf("read %v (%v) racing the DELETE, want the controller's form (port 1)", got, err)
		}
	}
}

// DESIGN.md step 5, make before break, with a move that writes in chunks,
// the two switches at work at once (issue 14): every entry a move rewrites
// is rewritten on the switch its host goes to before the other switch is
// asked to rewrite it, both ways, for more entries than a chunk holds.
func TestHostMoveMakeBeforeBreak(t *testing.T) {
	type write struct {
		dev        string
		keys       []string // the entries' MACs
		start, end int64    // in the order of all writes' starts and ends
	}
	var mu sync.Mutex
	var seq int64
	var writes []write
	record := func(dev string) []grpc.DialOption {
		return []grpc.DialOption{grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any,
			cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			wr, ok := req.(*p4v1.WriteRequest)
			if !ok {
				return invoker(ctx, method, req, reply, cc, opts...)
			}
			w := write{dev: dev}
			for _, u := range wr.Updates { // by MAC: the two use other ids
				w.keys = append(w.keys, string(u.GetEntity().GetTableEntry().GetMatch()[0].GetExact().GetValue()))
			}
			mu.Lock()
			seq++
			w.start = seq
			mu.Unlock()
			err := invoker(ctx, method, req, reply, cc, opts...)
			mu.Lock()
			seq++
			w.end = seq
			writes = append(writes, w)
			mu.Unlock()
			return err
		})}
	}
	const n = 400 // 200 to each host
	r, c, model := hostMoveRigDial(t, n, true, record)
	ctx := testCtx(t)
	check := func(step, first, second string) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		made := map[string]int64{} // when first finished rewriting it
		count := map[string]int{}
		for _, w := range writes {
			count[w.dev] += len(w.keys)
			if w.dev == first {
				for _, k := range w.keys {
					made[k] = w.end
				}
			}
		}
		for _, w := range writes {
			if w.dev != second {
				continue
			}
			for _, k := range w.keys {
				if end, ok := made[k]; !ok || end > w.start {
					t.Fatalf("%s: %s was asked to rewrite %x before %s had (its write started at %d, %s's ended at %d, %v)",
						step, second, k, first, w.start, first, end, ok)
				}
			}
		}
		if count[first] != n/2 || count[second] != n/2 {
			t.Errorf("%s: rewritten %d on %s and %d on %s, want %d each", step, count[first], first, count[second], second, n/2)
		}
		writes = nil
	}
	mu.Lock()
	writes = nil
	mu.Unlock()
	if err := r.dev.MoveHost(ctx, 1); err != nil {
		t.Fatal(err)
	}
	check("to the target", "s2", "s1")
	checkSplit(t, r, c, model, map[byte]bool{1: true})
	if err := r.dev.MoveBack(ctx, 1); err != nil {
		t.Fatal(err)
	}
	check("back", "s1", "s2")
	checkSplit(t, r, c, model, nil)
}
