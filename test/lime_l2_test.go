//go:build linux

package test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/pipelines"
	"github.com/lime-p4/lime/test/lab"
)

// Issue 15 (C), on real bmv2: lime's own program pipelines/lime_l2, as
// committed, loads on simple_switch_grpc and switches: an unknown source is
// flooded to its VLAN and reported in a learning digest; once the
// controller has learned both hosts, frames go to one port only and no
// digest follows; the per-port and per-entry counters count them.
func TestRealBMv2LimeL2(t *testing.T) { limeL2(t, lab.RealBMv2(t)) }

// The same on the simulator (bmv2 profile).
func TestSimLimeL2(t *testing.T) { limeL2(t, lab.Sim{Links: lab.Memory}) }

// quiet is how long a host must receive nothing to count as left out.
const quiet = 300 * time.Millisecond

func limeL2(t *testing.T, b lab.Backend) {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
	defer cancel()
	dir, err := filepath.Abs("../pipelines/" + pipelines.LimeL2)
	if err != nil {
		t.Fatal(err)
	}
	ports := []uint32{1, 2, 3}
	s1 := b.Start(t, lab.Spec{Name: "s1", DeviceID: 1, Ports: ports, CPUPort: pipelines.L2CPUPort})
	ctl := lab.NewController(t, s1, dir, 0x12, info.DefaultPortRules)
	c, in := ctl.Client, ctl.Info
	act := func(name string, params ...[]byte) *p4v1.TableAction {
		a := &p4v1.Action{ActionId: in.ActionByName(name).ID}
		for i, p := range params {
			a.Params = append(a.Params, &p4v1.Action_Param{ParamId: uint32(i + 1), Value: p})
		}
		return &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: a}}
	}
	exact := func(vs ...[]byte) []*p4v1.FieldMatch {
		var out []*p4v1.FieldMatch
		for i, v := range vs {
			out = append(out, &p4v1.FieldMatch{FieldId: uint32(i + 1), FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: v}}})
		}
		return out
	}
	entry := func(table string, match []*p4v1.FieldMatch, a *p4v1.TableAction) *p4v1.Update {
		return &p4v1.Update{Type: p4v1.Update_INSERT, Entity: &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{
			TableId: in.TableByName(table).ID, Match: match, Action: a}}}}
	}
	digest := in.DigestByName(pipelines.L2LearnDigest)
	flood := &p4v1.MulticastGroupEntry{MulticastGroupId: pipelines.L2DefaultVLAN}
	for _, p := range ports {
		flood.Replicas = append(flood.Replicas, &p4v1.Replica{PortKind: &p4v1.Replica_Port{Port: []byte{byte(p)}}})
	}
	if err := c.Write(ctx, []*p4v1.Update{
		{Type: p4v1.Update_INSERT, Entity: &p4v1.Entity{Entity: &p4v1.Entity_DigestEntry{DigestEntry: &p4v1.DigestEntry{
			DigestId: digest.ID, Config: &p4v1.DigestEntry_Config{MaxListSize: 1, AckTimeoutNs: int64(time.Second)}}}}},
		{Type: p4v1.Update_INSERT, Entity: &p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
			Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: flood}}}}},
	}); err != nil {
		t.Fatalf("digest config and the VLAN's flood group: %v", err)
	}

	macA, macB := []byte{2, 0, 0, 0, 0, 0xa}, []byte{2, 0, 0, 0, 0, 0xb}
	vlan := []byte{pipelines.L2DefaultVLAN}
	frame := func(src, dst []byte) []byte {
		f := make([]byte, 64)
		copy(f, dst)
		copy(f[6:], src)
		f[12], f[13] = 0x88, 0xb5
		return f
	}
	// send sends f in at port from and checks that exactly the ports to
	// get it, unchanged.
	send := func(step string, from uint32, f []byte, to ...uint32) {
		t.Helper()
		if err := s1.Host(from).Send(f); err != nil {
			t.Fatal(err)
		}
		for _, p := range to {
			rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
			got, err := s1.Host(p).Recv(rctx)
			rcancel()
			if err != nil || !bytes.Equal(got, f) {
				t.Fatalf("%s: port %d: %x %v, want the frame", step, p, got, err)
			}
		}
		time.Sleep(quiet)
		for _, p := range ports {
			if n := s1.Host(p).Pending(); n != 0 {
				t.Fatalf("%s: port %d got %d frames more", step, p, n)
			}
		}
	}
	// learned waits for the digest of src seen at port p, and acks it.
	learned := func(step string, src []byte, p uint32) {
		t.Helper()
		select {
		case dl := <-ctl.Session.Digests():
			want := fmt.Sprintf("%x %x %x", src, []byte{byte(p)}, vlan)
			var got []string
			for _, d := range dl.GetData() {
				m := d.GetStruct().GetMembers()
				if len(m) == 3 {
					got = append(got, fmt.Sprintf("%x %x %x", m[0].GetBitstring(), m[1].GetBitstring(), m[2].GetBitstring()))
				}
			}
			if dl.GetDigestId() != digest.ID || len(got) != 1 || got[0] != want {
				t.Fatalf("%s: digest %v, want one of %s", step, dl, want)
			}
			if err := ctl.Session.AckDigest(dl.GetDigestId(), dl.GetListId()); err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no learning digest", step)
		}
	}
	noDigest := func(step string) {
		t.Helper()
		select {
		case dl := <-ctl.Session.Digests():
			t.Fatalf("%s: digest %v, want none", step, dl)
		case <-time.After(quiet):
		}
	}

	send("A, unknown, to B, unknown", 1, frame(macA, macB), 2, 3)
	learned("A seen at port 1", macA, 1)
	if err := c.Write(ctx, []*p4v1.Update{
		entry(pipelines.L2SMAC, exact(vlan, macA), act(pipelines.L2KnownHost, []byte{1}, []byte{1})),
		entry(pipelines.L2DMAC, exact(vlan, macA), act(pipelines.L2Forward, []byte{1})),
	}); err != nil {
		t.Fatalf("learning A: %v", err)
	}
	send("B, unknown, to A, known", 2, frame(macB, macA), 1)
	learned("B seen at port 2", macB, 2)
	if err := c.Write(ctx, []*p4v1.Update{
		entry(pipelines.L2SMAC, exact(vlan, macB), act(pipelines.L2KnownHost, []byte{2}, []byte{2})),
		entry(pipelines.L2DMAC, exact(vlan, macB), act(pipelines.L2Forward, []byte{2})),
	}); err != nil {
		t.Fatalf("learning B: %v", err)
	}
	send("A to B, both known", 1, frame(macA, macB), 2)
	noDigest("A to B, both known")

	rx, err := c.ReadAll(ctx, &p4v1.Entity{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{
		CounterId: in.CounterByName(pipelines.L2RxPortCounter).ID, Index: &p4v1.Index{Index: 1}}}})
	if err != nil || len(rx) != 1 || rx[0].GetCounterEntry().GetData().GetPacketCount() != 2 {
		t.Errorf("%s[1]: %v %v, want 2 packets", pipelines.L2RxPortCounter, rx, err)
	}
	hits, err := c.ReadAll(ctx, &p4v1.Entity{Entity: &p4v1.Entity_DirectCounterEntry{DirectCounterEntry: &p4v1.DirectCounterEntry{
		TableEntry: &p4v1.TableEntry{TableId: in.TableByName(pipelines.L2DMAC).ID, Match: exact(vlan, macB)}}}})
	if err != nil || len(hits) != 1 || hits[0].GetDirectCounterEntry().GetData().GetPacketCount() != 1 {
		t.Errorf("%s of B: %v %v, want 1 packet", pipelines.L2DMACCounter, hits, err)
	}
}
