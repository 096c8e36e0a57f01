//lint:file-ignore SA1019 controller_metadata must read back as written (ONOS uses it)

package proxy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/bmv2/sim/port"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/clone"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/p4/translate"
)

// basicRules make onos-basic's set_egress_port parameter a port.
var basicRules = info.DefaultPortRules.Merge(info.PortRules{Names: []string{"*.set_egress_port/port"}})

// l2 is a controller's forwarding entry of onos-basic: frames to MAC
// 00:00:00:00:00:mac leave on port.
func l2(in *info.Info, mac, port byte) *p4v1.Entity {
	t0 := in.TableByName(table0)
	return tableEntity(&p4v1.TableEntry{TableId: t0.ID, Priority: 10,
		Match: []*p4v1.FieldMatch{{FieldId: t0.FieldByName("hdr.ethernet.dst_addr").ID, FieldMatchType: &p4v1.FieldMatch_Ternary_{
			Ternary: &p4v1.FieldMatch_Ternary{Value: []byte{mac}, Mask: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}}}},
		Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: in.ActionByName("ingress.table0_control.set_egress_port").ID,
			Params: []*p4v1.Action_Param{{ParamId: 1, Value: []byte{port}}}}}}})
}

// DESIGN.md steps 5 and 6: hosts move one at a time, make before break,
// with a trunk between the devices; traffic between a moved host and one
// not moved yet crosses the trunk both ways; the controller reads back
// what it wrote (not the trunk), writes keep reaching both devices in
// their own terms, and after the cut over the target alone is the device
// (reads translated back, counters that never go back, the controller's
// pipeline and cookie).
func TestHostMovesThroughTrunkAndCutOver(t *testing.T) {
	m := liveTrunkRig(t, proxy.Options{})
	r, c, a, b := m.rig, m.c, m.a, m.b
	ctx := testCtx(t)
	in := r.src.Info
	a1, b1, a2, b2 := m.a1, m.b1, m.a2, m.b2
	simtest.Pass(t, a1, b1, 0xb, 0xa)
	tr, err := translate.New(in, r.dst.Info, translate.WithPorts(trunkRigPorts))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.dev.MoveHost(ctx, 1); err != nil {
		t.Fatal(err)
	}
	simtest.Pass(t, a2, b1, 0xb, 0xa) // target -> trunk -> source
	simtest.Pass(t, b1, a2, 0xa, 0xb) // source -> trunk -> target
	if got := readOne(t, c, a); !proto.Equal(entity.Config(got), entity.Config(a)) {
		t.Fatalf("after the move the controller reads %v, wrote %v", got, a)
	}
	// Counters sum both devices', the target's entry sending to the trunk.
	if got := readOne(t, c, withCounter(b)); got.GetTableEntry().GetCounterData().GetPacketCount() < 2 {
		t.Fatalf("counter of an entry the target sends to the trunk: %v", got.GetTableEntry().GetCounterData())
	}
	// A write after the move reaches both devices in their own terms.
	a3 := proto.Clone(a).(*p4v1.Entity)
	a3.GetTableEntry().ControllerMetadata = 7
	if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_MODIFY, Entity: a3}}); err != nil {
		t.Fatal(err)
	}
	if got := readOne(t, c, a3); got.GetTableEntry().ControllerMetadata != 7 || !bytes.Equal(got.GetTableEntry().GetAction().GetAction().Params[0].Value, []byte{1}) {
		t.Fatalf("read after a write: %v", got)
	}
	simtest.Pass(t, b1, a2, 0xa, 0xb)

	if _, err := r.dev.CutOver(ctx, nil); err == nil {
		t.Fatal("cut over with a host still on the source")
	}
	if err := r.dev.MoveHost(ctx, 2); err != nil {
		t.Fatal(err)
	}
	simtest.Pass(t, a2, b2, 0xb, 0xa) // both on the target
	before := readOne(t, c, withCounter(a3)).GetTableEntry().GetCounterData()
	old, err := r.dev.CutOver(ctx, nil)
	if err != nil || old != r.srcB {
		t.Fatalf("cut over: %v, %v", old, err)
	}
	after := readOne(t, c, withCounter(a3)).GetTableEntry().GetCounterData()
	if after.GetPacketCount() < before.GetPacketCount() || before.GetPacketCount() == 0 {
		t.Fatalf("counter before cut over %v, after %v: it must not go back", before, after)
	}
	if got := readOne(t, c, a3); !proto.Equal(entity.Config(got), entity.Config(a3)) {
		t.Fatalf("after the cut over the controller reads %v, wrote %v", got, a3)
	}
	cfg, err := c.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_P4INFO_AND_COOKIE)
	if err != nil || cfg.GetCookie().GetCookie() != 0xc0ffee || !proto.Equal(cfg.GetP4Info(), in.Proto) {
		t.Fatalf("pipeline after the cut over: cookie %v, %v", cfg.GetCookie(), err)
	}
	simtest.Pass(t, b2, a2, 0xa, 0xb)
	after2 := readOne(t, c, withCounter(a3)).GetTableEntry().GetCounterData()
	if after2.GetPacketCount() != after.GetPacketCount()+1 {
		t.Fatalf("counter %v after one more frame, was %v", after2, after)
	}
	// The controller goes on writing, to the target alone now.
	if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_DELETE, Entity: entity.Query(b)}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.dst.Client.ReadAll(ctx, entity.Query(mustTranslateWith(t, tr, b))); len(got) != 0 {
		t.Fatalf("target still holds %v", got)
	}
	if got, _ := r.src.Client.ReadAll(ctx, entity.Query(b)); len(got) != 1 {
		t.Fatalf("the released source changed: %v", got)
	}
}

// trunkRigPorts map the trunk rig's host ports (1, 2 on the source; 11,
// 12 on the target).
var trunkRigPorts = translate.NewPortMap(map[uint64]uint64{1: 11, 2: 12, 255: 255})

// trunkRig is two onos-basic switches joined by a trunk (9=19), with hosts
// a and b on either (a1, b1 on the source; a2, b2 on the target), the
// controller's entries a and b sending to them, and a live mirror: ready
// for host moves.
type trunkRig struct {
	rig            *rig
	c              *client.Client
	a, b           *p4v1.Entity
	a1, b1, a2, b2 *port.Host
}

func liveTrunkRig(t *testing.T, opts proxy.Options) trunkRig {
	t.Helper()
	r := newRig(t, "onos-basic", rigOptions{profile: p4rt.ProfileBMv2, rules: &basicRules, opts: opts,
		srcPorts: []sim.PortSpec{{Name: "eth1", ID: 1}, {Name: "eth2", ID: 2}, {Name: "trunk", ID: 9}},
		dstPorts: []sim.PortSpec{{Name: "eth11", ID: 11}, {Name: "eth12", ID: 12}, {Name: "trunk", ID: 19}}})
	if _, err := port.Connect(r.src.Sim.Port("trunk"), r.dst.Sim.Port("trunk")); err != nil {
		t.Fatal(err)
	}
	c, _ := r.controller(1)
	ctx := testCtx(t)
	m := trunkRig{rig: r, c: c, a: l2(r.src.Info, 0xa, 1), b: l2(r.src.Info, 0xb, 2)}
	if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: m.a}, {Type: p4v1.Update_INSERT, Entity: m.b}}); err != nil {
		t.Fatal(err)
	}
	// Each host has a link to either device; the target's is used once it moved.
	m.a1, m.b1 = simtest.Host(t, r.src, "eth1"), simtest.Host(t, r.src, "eth2")
	m.a2, m.b2 = simtest.Host(t, r.dst, "eth11"), simtest.Host(t, r.dst, "eth12")
	if err := r.dev.AttachMirror(r.dstB, proxy.Ports{Map: trunkRigPorts, Hosts: []uint64{1, 2}, Trunk: &proxy.Trunk{Source: 9, Target: 19}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cloneTo(ctx, r, r.dev.MirrorTranslator()); err != nil {
		t.Fatal(err)
	}
	if _, err := r.dev.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	return m
}

func withCounter(e *p4v1.Entity) *p4v1.Entity {
	q := entity.Query(e)
	q.GetTableEntry().CounterData = &p4v1.CounterData{}
	return q
}

func readOne(t *testing.T, c *client.Client, e *p4v1.Entity) *p4v1.Entity {
	t.Helper()
	q := e
	if e.GetTableEntry().GetCounterData() == nil {
		q = entity.Query(e)
	}
	got, err := c.ReadAll(testCtx(t), q)
	if err != nil || len(got) != 1 {
		t.Fatalf("read %v: %v %v", q, got, err)
	}
	return got[0]
}

func mustTranslateWith(t *testing.T, tr *translate.Translator, e *p4v1.Entity) *p4v1.Entity {
	t.Helper()
	x, err := tr.Entity(e)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// cloneTo clones the source onto the target as a migration does (counters
// are summed, not copied).
func cloneTo(ctx context.Context, r *rig, tr *translate.Translator) (*clone.Result, error) {
	return clone.Run(ctx, r.src.Client, r.dstB.Client(), clone.Options{Translator: tr, SkipCounters: true})
}

// An abort (DESIGN.md, "abort") moves the hosts back and detaches the
// mirror: what the target counted while it carried them stays in the
// counters the controller reads, which never go back (P4Runtime spec
// section 9.2 "Counters": counts only grow until the controller sets them)
// — read afresh from the target, or, when it no longer answers, as the
// controller last saw them.
func TestAbortKeepsTheMirrorsCounts(t *testing.T) {
	for _, tc := range []struct {
		name     string
		deadDest bool
	}{{"target answers", false}, {"target gone", true}} {
		t.Run(tc.name, func(t *testing.T) {
			m := liveTrunkRig(t, proxy.Options{})
			r, c, b := m.rig, m.c, m.b
			a1, b1, a2 := m.a1, m.b1, m.a2
			ctx := testCtx(t)
			if err := r.dev.MoveHost(ctx, 1); err != nil {
				t.Fatal(err)
			}
			for range 3 { // the target counts b's entry (to the trunk), the source a's
				simtest.Pass(t, a2, b1, 0xb, 0xa)
			}
			seen := readOne(t, c, withCounter(b)).GetTableEntry().GetCounterData().GetPacketCount()
			if seen < 6 { // three frames, counted on either device
				t.Fatalf("b's counter reads %d with both devices counting", seen)
			}
			if err := r.dev.MoveBack(ctx, 1); err != nil {
				t.Fatal(err)
			}
			if tc.deadDest {
				r.dstB.Close()
			}
			if _, err := r.dev.DetachMirror(ctx); err != nil {
				t.Fatal(err)
			}
			got := readOne(t, c, withCounter(b)).GetTableEntry().GetCounterData().GetPacketCount()
			if got < seen {
				t.Fatalf("b's counter went back from %d to %d when the mirror was detached", seen, got)
			}
			simtest.Pass(t, a1, b1, 0xb, 0xa)
			if now := readOne(t, c, withCounter(b)).GetTableEntry().GetCounterData().GetPacketCount(); now != got+1 {
				t.Fatalf("b's counter reads %d after one more frame, was %d", now, got)
			}
			if len(r.dev.Offsets()) == 0 {
				t.Fatal("the device keeps no offsets for a journal")
			}
			// A controller that deletes the entry and writes it again
			// starts its count from zero.
			if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_DELETE, Entity: entity.Query(b)}, {Type: p4v1.Update_INSERT, Entity: b}}); err != nil {
				t.Fatal(err)
			}
			if now := readOne(t, c, withCounter(b)).GetTableEntry().GetCounterData().GetPacketCount(); now != 0 {
				t.Fatalf("a written-again entry's counter reads %d", now)
			}
		})
	}
}

// DESIGN.md step 6 and "The proxy" (reads answer what the controller
// wrote): a read that began on the source before the cut over, and
// streams from it as the cut over happens, still answers the
// controller's form of what the source sends to the trunk, never the
// trunk, nor an error (the cut over drops the device's shadow; the read
// keeps the one it began with).
func TestReadsRacingCutOver(t *testing.T) {
	m := liveTrunkRig(t, proxy.Options{})
	r, c := m.rig, m.c
	ctx := testCtx(t)
	in := r.src.Info
	want := map[byte]byte{0xa: 1, 0xb: 2}
	var ups []*p4v1.Update
	for mac := 0x10; mac <= 0xff; mac++ {
		want[byte(mac)] = byte(1 + mac%2)
		ups = append(ups, &p4v1.Update{Type: p4v1.Update_INSERT, Entity: l2(in, byte(mac), byte(1+mac%2))})
	}
	if err := c.Write(ctx, ups); err != nil {
		t.Fatal(err)
	}
	for _, h := range []uint64{1, 2} { // every entry on the source sends to the trunk now
		if err := r.dev.MoveHost(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	all := tableEntity(&p4v1.TableEntry{TableId: in.TableByName(table0).ID})
	check := func(when string) error {
		got, err := c.ReadAll(ctx, all)
		if err != nil {
			return fmt.Errorf("%s: %w", when, err)
		}
		if len(got) != len(want) {
			return fmt.Errorf("%s: %d entries read, %d written", when, len(got), len(want))
		}
		for _, e := range got {
			te := e.GetTableEntry()
			mac := te.GetMatch()[0].GetTernary().GetValue()
			if p := te.GetAction().GetAction().GetParams()[0].GetValue(); !bytes.Equal(p, []byte{want[mac[len(mac)-1]]}) {
				return fmt.Errorf("%s: entry for MAC %x reads port %x, written %d", when, mac, p, want[mac[len(mac)-1]])
			}
		}
		return nil
	}
	done := make(chan struct{})
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			for i := 0; i < 10_000; i++ { // until the cut over is done
				select {
				case <-done:
					errs <- check("after the cut over")
					return
				default:
				}
				if err := check(fmt.Sprintf("read %d", i)); err != nil {
					errs <- err
					return
				}
			}
			errs <- errors.New("10,000 reads and the cut over is not done")
		}()
	}
	time.Sleep(20 * time.Millisecond) // reads under way
	_, err := r.dev.CutOver(ctx, nil)
	close(done)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
