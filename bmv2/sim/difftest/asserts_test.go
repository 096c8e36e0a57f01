//go:build linux

package difftest

import (
	"context"
	"encoding/hex"
	"log/slog"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim/dataplane"
	"github.com/lime-p4/lime/bmv2/sim/dataplane/bmjson"
)

// Real bmv2 aborts the whole process when a P4 assert or assume fails
// (pins-middleblock's tunnel decap asserts that exactly one inner IP
// header is valid; README, "real bmv2 bugs"): such an input would end the
// comparison. The simulator drops the packet instead and logs why
// (dataplane.DropAssert), so for a program with asserts the packet test
// sends each input to the simulator first and sends it on to real bmv2
// only when no assert failed.

// assertWatch is a slog handler that passes on the simulator data plane's
// drops by a failed assert or assume (their detail: where).
type assertWatch struct{ failed chan string }

func newAssertWatch() *assertWatch { return &assertWatch{failed: make(chan string, 16)} }

func (w *assertWatch) Enabled(context.Context, slog.Level) bool { return true }

func (w *assertWatch) Handle(_ context.Context, r slog.Record) error {
	if r.Message != dropMessage {
		return nil
	}
	var reason, detail string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "reason":
			reason = a.Value.String()
		case "detail":
			detail = a.Value.String()
		}
		return true
	})
	if reason == string(dataplane.DropAssert) {
		select {
		case w.failed <- detail:
		default: // one is enough to know
		}
	}
	return nil
}

func (w *assertWatch) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *assertWatch) WithGroup(string) slog.Handler      { return w }

// dropMessage is the data plane's log message for a dropped packet.
const dropMessage = "dataplane: packet dropped"

// drain forgets the failures seen so far.
func (w *assertWatch) drain() {
	for len(w.failed) > 0 {
		<-w.failed
	}
}

// hasAsserts reports whether a program's actions assert or assume.
func hasAsserts(doc *bmjson.Document) bool {
	for _, a := range doc.Actions {
		for _, p := range a.Primitives {
			if p.Op == "assert" || p.Op == "assume" {
				return true
			}
		}
	}
	return false
}

// pinsAssertFrame is the smallest frame that kills real bmv2 running
// pins-middleblock with a tunnel termination entry that matches it: an
// IPv6 header (next header 4, IPv4 in IPv6) and nothing after it, so that
// the inner IPv4 header fails to parse (PacketTooShort) and the decap's
// assert that exactly one inner IP header is valid fails
// (pins_middleblock.p4 line 1008).
const pinsAssertFrame = "00000000000100000000000286dd" + // Ethernet, IPv6
	"60000000" + "0000" + "04" + "40" + // version..., payload length 0, next header 4, hop limit
	"00000000000000000000000000000001" + "00000000000000000000000000000002" // source, destination

// Issue 16, the packet test's guard: the reduced reproduction of the
// abort seen at seed 3 on pins-middleblock (README, "real bmv2 bugs"). The
// simulator reports the failed assert, so the frame is not sent to real
// bmv2; the same frame with a whole inner IPv4 header passes the assert
// and both switches do the same with it.
func TestPacketAssertGuard(t *testing.T) {
	p := startPacketPair(t)
	var pt *packetTarget
	targets := packetTargets(t)
	for i := range targets {
		if targets[i].name == "pins-middleblock" {
			pt = &targets[i]
		}
	}
	if pt == nil {
		t.Skip("pins-middleblock is not among the shared programs")
	}
	if !hasAsserts(pt.pp.Doc) {
		t.Fatal("pins-middleblock: no assert found in its actions")
	}
	p.connect(t, pt.prog)
	if err := p.reset(pt.prog); err != nil {
		t.Fatal(err)
	}
	tbl := pt.pp.Info.TableByName("ingress.tunnel_termination_lookup.ipv6_tunnel_termination_table")
	act := pt.pp.Info.ActionByName("ingress.tunnel_termination_lookup.mark_for_tunnel_decap_and_set_vrf")
	if tbl == nil || act == nil {
		t.Fatal("pins-middleblock: the tunnel termination table or its decap action is missing")
	}
	decap := &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: tbl.ID, Priority: 1,
		Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: act.ID,
			Params: []*p4v1.Action_Param{{ParamId: 1, Value: []byte{1}}}}}}}}}
	if text, err := p.write(pt.pp.Info, []*p4v1.Entity{decap}); err != nil || text != "" {
		t.Fatalf("writing the decap entry: %v %s", err, text)
	}
	short, err := hex.DecodeString(pinsAssertFrame)
	if err != nil {
		t.Fatal(err)
	}
	_, _, asserted, err := p.send(Input{Port: 1, Frame: short}, true)
	if err != nil || asserted == "" {
		t.Fatalf("IPv6 with next header 4 and no inner header: asserted %q, %v; want the simulator's failed assert, real bmv2 spared", asserted, err)
	}
	t.Logf("not sent to real bmv2: %s", asserted)
	inner := append(append([]byte{}, short...), 0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2)
	inner[18], inner[19] = 0, 20 // the IPv6 payload length
	sim, real, asserted, err := p.send(Input{Port: 1, Frame: inner}, true)
	if err != nil || asserted != "" || !sim.Equal(real) {
		t.Fatalf("with a whole inner IPv4 header: asserted %q, %v\n  simulator: %s\n  real bmv2: %s", asserted, err, sim, real)
	}
}
