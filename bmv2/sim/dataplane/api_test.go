package dataplane

// Tests of the runtime API's checks and error kinds, tied to what a
// P4Runtime server must answer (P4Runtime spec §9 / §12 and bmv2's
// answers as DESIGN.md records them).

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"strings"
	"testing"
)

// TestUnknownNames: every API refuses unknown objects with ErrNotFound.
func TestUnknownNames(t *testing.T) {
	sw := New(loadFixture(t, "onos-basic"), Options{})
	for name, err := range map[string]error{
		"AddEntry":      sw.AddEntry("nope", Entry{}),
		"DeleteEntry":   sw.DeleteEntry("nope", nil, 0),
		"SetDefault":    sw.SetDefaultAction("nope", Call("x")),
		"AddMember":     sw.AddMember("nope", 1, ActionCall{}),
		"AddGroup":      sw.AddGroup("nope", 1, nil),
		"WriteCounter":  sw.WriteCounter("nope", 0, CounterValue{}),
		"SetMeter":      sw.SetMeter("nope", 0, nil),
		"WriteRegister": sw.WriteRegister("nope", 0, nil),
		"SetValueSet":   sw.SetValueSet("nope", nil),
		"DeleteGroup":   sw.DeleteMulticastGroup(99),
		"DeleteSession": sw.DeleteCloneSession(99),
	} {
		if !strings.Contains(err.Error(), "not found") {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
		mustErr(t, err, ErrNotFound)
	}
	_, err := sw.Entries("nope")
	mustErr(t, err, ErrNotFound)
	_, err = sw.ReadCounter(basicInCtr, 511)
	mustErr(t, err, ErrNotFound)
}

// TestEntryChecks: the shapes of entries a table refuses (P4Runtime
// §9.1: INVALID_ARGUMENT for the wrong number of fields, values too wide,
// a wildcard exact field, unknown actions, parameters of the wrong
// count or width).
func TestEntryChecks(t *testing.T) {
	sw := New(loadFixture(t, "bmv2-simple_router"), Options{})
	good := Entry{Match: []FieldMatch{Exact(hx("0a000001"))}, Action: Call("set_dmac", hx("000000000001"))}
	for name, e := range map[string]Entry{
		"two fields":     {Match: []FieldMatch{Exact(hx("01")), Exact(hx("02"))}, Action: good.Action},
		"too wide":       {Match: []FieldMatch{Exact(hx("010a000001"))}, Action: good.Action},
		"wildcard exact": {Match: []FieldMatch{Wildcard()}, Action: good.Action},
		"unknown action": {Match: good.Match, Action: Call("set_nhop", hx("0a000001"), hx("0001"))},
		"param count":    {Match: good.Match, Action: Call("set_dmac")},
		"param width":    {Match: good.Match, Action: Call("set_dmac", hx("01000000000001"))},
		"member":         {Match: good.Match, Action: Member(1)},
	} {
		if err := sw.AddEntry("forward", e); err == nil || !strings.Contains(err.Error(), "invalid") {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	// Canonical (short) and padded forms are the same entry.
	must(t, sw.AddEntry("forward", Entry{Match: []FieldMatch{Exact(hx("01"))}, Action: Call("set_dmac", hx("01"))}))
	mustErr(t, sw.AddEntry("forward", Entry{Match: []FieldMatch{Exact(hx("00000001"))}, Action: Call("set_dmac", hx("01"))}), ErrExists)
	es, err := sw.GetEntry("forward", []FieldMatch{Exact(hx("0000000001"))}, 0)
	must(t, err)
	if !bytes.Equal(es.Match[0].Value, hx("00000001")) || !bytes.Equal(es.Action.Call.Params[0], hx("000000000001")) {
		t.Fatalf("read back %x %x, want padded values", es.Match[0].Value, es.Action.Call.Params[0])
	}
	mustErr(t, sw.ModifyEntry("forward", Entry{Match: []FieldMatch{Exact(hx("02"))}, Action: Call("_drop")}), ErrNotFound)
	mustErr(t, sw.DeleteEntry("forward", []FieldMatch{Exact(hx("02"))}, 0), ErrNotFound)
	must(t, sw.ModifyEntry("forward", Entry{Match: []FieldMatch{Exact(hx("01"))}, Action: Call("_drop")}))
	es, _ = sw.GetEntry("forward", []FieldMatch{Exact(hx("01"))}, 0)
	if es.Action.Call.Name != "_drop" {
		t.Fatalf("after modify: %+v", es.Action)
	}
	must(t, sw.ClearTable("forward"))
	if l, _ := sw.Entries("forward"); len(l) != 0 {
		t.Fatalf("%d entries after clear", len(l))
	}
}

// TestTableFull: bmv2 refuses an entry beyond max_size (P4Runtime
// RESOURCE_EXHAUSTED).
func TestTableFull(t *testing.T) {
	p := loadFixture(t, "bmv2-counter")
	sw := New(p, Options{})
	n := p.Table("t_redirect").MaxSize
	for i := 0; i < n; i++ {
		must(t, sw.AddEntry("t_redirect", Entry{Match: []FieldMatch{Exact(be32(uint32(i)))}, Action: Call("port_redirect")}))
	}
	mustErr(t, sw.AddEntry("t_redirect", Entry{Match: []FieldMatch{Exact(be32(uint32(n)))}, Action: Call("port_redirect")}), ErrFull)
}

// TestConstEntries: a table with const entries is immutable and its
// entries read back with P4Runtime priorities (bmv2's inverted, as PI
// does: 2^31-1 minus the JSON priority).
func TestConstEntries(t *testing.T) {
	p := loadFixture(t, "onos-fabric-full")
	const name = "FabricEgress.process_int_main.process_int_transit.tb_int_inst_0003"
	ti := p.Table(name)
	if ti == nil || !ti.Const || len(ti.ConstEntries) != 16 {
		t.Fatalf("table %+v", ti)
	}
	sw := New(p, Options{})
	es, err := sw.Entries(name)
	must(t, err)
	if len(es) != 16 || es[0].Cookie != 1 || es[15].Cookie != 16 {
		t.Fatalf("%d const entries (cookies %d..%d)", len(es), es[0].Cookie, es[len(es)-1].Cookie)
	}
	if ti.NeedsPriority && es[0].Priority != math.MaxInt32-1 {
		t.Fatalf("first const entry priority %d", es[0].Priority)
	}
	mustErr(t, sw.AddEntry(name, es[0].Entry), ErrConst)
	mustErr(t, sw.DeleteEntry(name, es[0].Match, es[0].Priority), ErrConst)
	mustErr(t, sw.ClearTable(name), ErrConst)
}

// TestUpserts: the Put* calls create or replace, as the P4Runtime layer's
// target interface wants.
func TestUpserts(t *testing.T) {
	sw := New(loadFixture(t, "bmv2-action_profile"), Options{})
	call := func(port uint16) ActionCall { return ActionCall{Name: "send", Params: [][]byte{be16(port)}} }
	must(t, sw.PutMember("ActProfWS", 1, call(1)))
	must(t, sw.PutMember("ActProfWS", 1, call(2)))
	ms, _ := sw.Members("ActProfWS")
	if len(ms) != 1 || !bytes.Equal(ms[0].Call.Params[0], hx("0002")) {
		t.Fatalf("members %+v", ms)
	}
	mustErr(t, sw.ModifyMember("ActProfWS", 9, call(1)), ErrNotFound)
	mustErr(t, sw.AddMember("ActProfWS", 1, call(1)), ErrExists)
	mustErr(t, sw.AddMember("ActProfWS", 2, ActionCall{Name: "nope"}), ErrInvalid)
	must(t, sw.PutGroup("ActProfWS", 5, []GroupMember{{ID: 1, Weight: 2}}))
	must(t, sw.PutGroup("ActProfWS", 5, []GroupMember{{ID: 1, Weight: 3}}))
	gs, _ := sw.Groups("ActProfWS")
	if len(gs) != 1 || gs[0].Members[0].Weight != 3 {
		t.Fatalf("groups %+v", gs)
	}
	mustErr(t, sw.PutGroup("ActProfWS", 6, []GroupMember{{ID: 1, Weight: 0}}), ErrInvalid)
	mustErr(t, sw.PutGroup("ActProfWS", 6, []GroupMember{{ID: 7, Weight: 1}}), ErrNotFound)
	mustErr(t, sw.PutGroup("ActProfWS", 6, []GroupMember{{ID: 1, Weight: 1}, {ID: 1, Weight: 1}}), ErrInvalid)
	must(t, sw.PutMulticastGroup(3, []Replica{{Port: 2, Instance: 1}}))
	must(t, sw.PutMulticastGroup(3, []Replica{{Port: 4, Instance: 1}, {Port: 3, Instance: 1}}))
	if g := sw.MulticastGroups()[3]; len(g) != 2 || g[0].Port != 3 {
		t.Fatalf("group 3 %+v (replicas sorted by instance then port)", g)
	}
	must(t, sw.PutCloneSession(4, CloneSession{Replicas: []Replica{{Port: 1}}, ClassOfService: 2}))
	must(t, sw.PutCloneSession(4, CloneSession{Replicas: []Replica{{Port: 9}}}))
	if cs := sw.CloneSessions()[4]; len(cs.Replicas) != 1 || cs.Replicas[0].Port != 9 {
		t.Fatalf("session 4 %+v", cs)
	}
	mustErr(t, sw.PutCloneSession(40000, CloneSession{}), ErrInvalid)
}

// TestDropLogging: drops are logged at debug level with their reason.
func TestDropLogging(t *testing.T) {
	var buf bytes.Buffer
	lg := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sw := New(loadFixture(t, "onos-basic"), Options{Logger: lg})
	sw.Process(1, basicFrame("000000000001", "0a000002", 1, 2))
	if !strings.Contains(buf.String(), "end of ingress") {
		t.Fatalf("log %q", buf.String())
	}
	if lg.Enabled(context.Background(), slog.LevelDebug) != true {
		t.Fatal("debug disabled")
	}
}
