//lint:file-ignore SA1019 P4Runtime 1.3 targets (bmv2, ONOS) use egress_port and controller_metadata; lime carries them

package translate

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
)

func load(t testing.TB, name string) *info.Info {
	t.Helper()
	in, err := info.Load(fixtures.Get(t, name).P4Info)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// portMap maps the generator's ports 1..8 to 11..18.
func portMap() *PortMap {
	m := map[uint64]uint64{}
	for p := uint64(1); p <= 8; p++ {
		m[p] = p + 10
	}
	pm := NewPortMap(m)
	for p := 1; p <= 8; p++ {
		pm.Add("Ethernet"+string(rune('0'+p)), "Ethernet1"+string(rune('0'+p)))
	}
	return pm
}

// Every shared pipeline translates to itself and to a renumbered copy of
// itself; a whole generated state goes there and back unchanged, and lands
// on the target's ids.
func TestRoundTripEveryPipeline(t *testing.T) {
	for _, fx := range fixtures.All(t) {
		t.Run(fx.Name, func(t *testing.T) {
			in := load(t, fx.Name)
			re, err := info.New(p4test.Renumber(in.Proto, 0x00abcdef))
			if err != nil {
				t.Fatal(err)
			}
			self, err := New(in, in)
			if err != nil {
				t.Fatalf("to itself: %v", err)
			}
			tr, err := New(in, re, WithPorts(portMap()))
			if err != nil {
				t.Fatalf("to renumbered: %v", err)
			}
			back, err := tr.Reverse()
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p4test.NewGen(in, 7).State(10) {
				same, err := self.Entity(e)
				if err != nil {
					t.Fatalf("self: %v", err)
				}
				if !proto.Equal(same, e) {
					t.Fatalf("self translation changed %s", entity.Describe(e, in))
				}
				there, err := tr.Entity(e)
				if err != nil {
					t.Fatalf("there: %v", err)
				}
				if err := onTarget(there, re); err != nil {
					t.Fatalf("%s: %v", entity.Describe(e, in), err)
				}
				again, err := back.Entity(there)
				if err != nil {
					t.Fatalf("back: %v", err)
				}
				if !entity.Equal(again, e) || !entity.VolatileEqual(again, e) || entity.MustOf(again) != entity.MustOf(e) {
					t.Fatalf("round trip of %s differs: %v", entity.Describe(e, in), entity.Diff(e, again))
				}
			}
		})
	}
}

// onTarget checks that the ids of a translated entity exist in to.
func onTarget(e *p4v1.Entity, to *info.Info) error {
	check := func(id uint32) error {
		if _, ok := to.Lookup(id); !ok {
			return errors.New("id not on target")
		}
		return nil
	}
	te := e.GetTableEntry()
	if te == nil {
		te = e.GetDirectCounterEntry().GetTableEntry()
	}
	if te == nil {
		te = e.GetDirectMeterEntry().GetTableEntry()
	}
	if te != nil {
		tb := to.Table(te.TableId)
		if tb == nil {
			return errors.New("table id not on target")
		}
		for _, m := range te.Match {
			if tb.Field(m.FieldId) == nil {
				return errors.New("field id not on target")
			}
		}
		if a := te.GetAction().GetAction(); a != nil {
			act := to.Action(a.ActionId)
			if act == nil {
				return errors.New("action id not on target")
			}
			for _, p := range a.Params {
				if act.Param(p.ParamId) == nil {
					return errors.New("param id not on target")
				}
			}
		}
		return nil
	}
	switch x := e.Entity.(type) {
	case *p4v1.Entity_ActionProfileMember:
		if err := check(x.ActionProfileMember.ActionProfileId); err != nil {
			return err
		}
		return check(x.ActionProfileMember.Action.ActionId)
	case *p4v1.Entity_ActionProfileGroup:
		return check(x.ActionProfileGroup.ActionProfileId)
	case *p4v1.Entity_CounterEntry:
		return check(x.CounterEntry.CounterId)
	case *p4v1.Entity_MeterEntry:
		return check(x.MeterEntry.MeterId)
	case *p4v1.Entity_RegisterEntry:
		return check(x.RegisterEntry.RegisterId)
	case *p4v1.Entity_DigestEntry:
		return check(x.DigestEntry.DigestId)
	case *p4v1.Entity_ValueSetEntry:
		return check(x.ValueSetEntry.ValueSetId)
	}
	return nil
}

// Two real compilations of ONOS basic.p4 number their objects differently.
func TestRecompiledONOSBasic(t *testing.T) {
	a, b := load(t, "onos-basic"), load(t, "onos-basic-recompiled")
	tr, err := New(a, b)
	if err != nil {
		t.Fatal(err)
	}
	differ := 0
	for _, o := range a.Objects() {
		if to, _ := tr.ID(o.Pre().ID); to != o.Pre().ID {
			differ++
		}
	}
	if differ == 0 {
		t.Fatal("no id differs between the two compilations")
	}
}

// Read filters (spec section 11.1 "Wildcard Reads"): an object id of 0 is a
// wildcard over every object and stays 0; a named object gets its id in the
// other compilation.
func TestFilter(t *testing.T) {
	a, b := load(t, "onos-basic"), load(t, "onos-basic-recompiled")
	tr, err := New(a, b)
	if err != nil {
		t.Fatal(err)
	}
	wild := []*p4v1.Entity{
		{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{}}},
		{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{}}},
		{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{}}},
		{Entity: &p4v1.Entity_DirectCounterEntry{DirectCounterEntry: &p4v1.DirectCounterEntry{TableEntry: &p4v1.TableEntry{}}}},
	}
	for _, f := range wild {
		got, err := tr.Filter(f)
		if err != nil || !proto.Equal(got, f) {
			t.Errorf("wildcard %v: %v %v", f, got, err)
		}
	}
	tb := a.Tables[0]
	got, err := tr.Filter(&p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: tb.ID}}})
	if err != nil || got.GetTableEntry().GetTableId() != b.TableByName(tb.Name).ID {
		t.Errorf("table filter: %v %v", got, err)
	}
}

// An output map (a migration's trunk) applies to the ports a packet is sent
// to (action parameters, replicas), not to keys: a match on port 3 still
// names port 13, while sending to port 3 sends to the trunk (99).
func TestOutputPorts(t *testing.T) {
	basic, err := info.New(load(t, "onos-basic").Proto, info.WithPortRules(info.DefaultPortRules.Merge(info.PortRules{Names: []string{"*.set_egress_port/port"}})))
	if err != nil {
		t.Fatal(err)
	}
	keys := NewPortMap(map[uint64]uint64{1: 11, 2: 12, 3: 13})
	outs := keys.With(3, 99)
	tr, err := New(basic, basic, WithPorts(keys), WithOutputPorts(outs))
	if err != nil {
		t.Fatal(err)
	}
	tb := basic.TableByName("ingress.table0_control.table0")
	in0 := tb.FieldByName("standard_metadata.ingress_port")
	e := &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: tb.ID, Priority: 5,
		Match: []*p4v1.FieldMatch{{FieldId: in0.ID, FieldMatchType: &p4v1.FieldMatch_Ternary_{Ternary: &p4v1.FieldMatch_Ternary{Value: []byte{3}, Mask: []byte{1, 0xff}}}}},
		Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: basic.ActionByName("ingress.table0_control.set_egress_port").ID,
			Params: []*p4v1.Action_Param{{ParamId: 1, Value: []byte{3}}}}}}}}}
	got, err := tr.Entity(e)
	if err != nil {
		t.Fatal(err)
	}
	if v := got.GetTableEntry().Match[0].GetTernary().Value; !bytes.Equal(v, []byte{13}) {
		t.Errorf("match on port 3 -> %x, want 13", v)
	}
	if v := got.GetTableEntry().GetAction().GetAction().Params[0].Value; !bytes.Equal(v, []byte{99}) {
		t.Errorf("output port 3 -> %x, want the trunk 99", v)
	}
	mg := &p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
		Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{MulticastGroupId: 1,
			Replicas: []*p4v1.Replica{{PortKind: &p4v1.Replica_Port{Port: []byte{3}}}, {PortKind: &p4v1.Replica_Port{Port: []byte{1}}}}}}}}}
	got, err = tr.Entity(mg)
	if err != nil {
		t.Fatal(err)
	}
	if rs := got.GetPacketReplicationEngineEntry().GetMulticastGroupEntry().Replicas; !bytes.Equal(rs[0].GetPort(), []byte{99}) || !bytes.Equal(rs[1].GetPort(), []byte{11}) {
		t.Errorf("replicas %v, want ports 99 and 11", rs)
	}
	back, err := tr.Reverse()
	if err != nil || back.OutputPorts() == nil {
		t.Fatalf("reverse: %v", err)
	}
	if q, _ := back.OutputPorts().Number(13); q != 3 {
		t.Errorf("reverse maps outputs by the inverse key map: 13 -> %d", q)
	}
	if got := keys.Numbers(); len(got) != 3 || got[2] != 3 {
		t.Errorf("Numbers %v", got)
	}
}

// A different program is refused before anything is translated, and the
// error names what differs.
func TestRefuseDifferentPrograms(t *testing.T) {
	base := load(t, "onos-basic")
	cases := []struct {
		name  string
		edit  func(p *p4configv1.P4Info)
		words []string
	}{
		{"width changed", func(p *p4configv1.P4Info) { p.Tables[0].MatchFields[1].Bitwidth = 47 },
			[]string{"ingress.table0_control.table0/hdr.ethernet.src_addr: width 48 vs 47"}},
		{"match kind changed", func(p *p4configv1.P4Info) {
			p.Tables[0].MatchFields[1].Match = &p4configv1.MatchField_MatchType_{MatchType: p4configv1.MatchField_EXACT}
		}, []string{"match kind TERNARY vs EXACT"}},
		{"table renamed", func(p *p4configv1.P4Info) { p.Tables[0].Preamble.Name = "ingress.other" },
			[]string{`table "ingress.table0_control.table0" missing on the target`, `table "ingress.other" missing on the source`}},
		{"param width", func(p *p4configv1.P4Info) {
			for _, a := range p.Actions {
				if a.Preamble.Name == "ingress.wcmp_control.set_egress_port" {
					a.Params[0].Bitwidth = 16
				}
			}
		}, []string{"ingress.wcmp_control.set_egress_port/port: width 9 vs 16"}},
		{"identical program", func(p *p4configv1.P4Info) {}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := proto.Clone(base.Proto).(*p4configv1.P4Info)
			c.edit(p)
			other, err := info.New(p)
			if err != nil {
				t.Fatal(err)
			}
			_, err = New(base, other)
			if c.words == nil {
				if err != nil {
					t.Fatalf("identical program refused: %v", err)
				}
				return
			}
			var me *MismatchError
			if !errors.As(err, &me) {
				t.Fatalf("New = %v, want *MismatchError", err)
			}
			for _, w := range c.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	// A smaller target table is accepted with a warning.
	p := proto.Clone(base.Proto).(*p4configv1.P4Info)
	p.Tables[0].Size = 10
	small, _ := info.New(p)
	tr, err := New(base, small)
	if err != nil || len(tr.Warnings) != 1 || !strings.Contains(tr.Warnings[0], "target size 10 < source size 1024") {
		t.Fatalf("smaller table: %v %v", err, tr)
	}
}

// Port translation (DESIGN: port map for every host-facing port): ports in
// exact/ternary matches, params, replicas, metadata and indices are mapped;
// an unmapped port or a match covering several ports is refused by name.
func TestPorts(t *testing.T) {
	in := load(t, "onos-p4runtime-translation")
	tr, err := New(in, in, WithPorts(portMap()))
	if err != nil {
		t.Fatal(err)
	}
	t0 := in.TableByName("table0")
	port := t0.FieldByName("local_metadata.ingress_port")
	e := &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: t0.ID, Priority: 1,
		Match: []*p4v1.FieldMatch{{FieldId: port.ID, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: []byte{0, 0, 0, 3}}}}},
		Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: in.ActionByName("set_egress_port").ID,
			Params: []*p4v1.Action_Param{{ParamId: 1, Value: []byte("Ethernet4")}}}}}}}}
	got, err := tr.Entity(e)
	if err != nil {
		t.Fatal(err)
	}
	if v := got.GetTableEntry().Match[0].GetExact().Value; string(v) != "\x0d" {
		t.Errorf("port 3 -> %x, want 0x0d", v)
	}
	if v := got.GetTableEntry().GetAction().GetAction().Params[0].Value; string(v) != "Ethernet14" {
		t.Errorf("string port -> %q", v)
	}
	e.GetTableEntry().Match[0].GetExact().Value = []byte{99}
	if _, err := tr.Entity(e); !errors.Is(err, ErrUnmappedPort) || !strings.Contains(err.Error(), "table0") {
		t.Errorf("unmapped port: %v", err)
	}

	basic := load(t, "onos-basic")
	tr, err = New(basic, basic, WithPorts(portMap()))
	if err != nil {
		t.Fatal(err)
	}
	tb := basic.TableByName("ingress.table0_control.table0")
	in0 := tb.FieldByName("standard_metadata.ingress_port")
	ternary := func(v, m []byte) *p4v1.Entity {
		return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: tb.ID, Priority: 5,
			Match: []*p4v1.FieldMatch{{FieldId: in0.ID, FieldMatchType: &p4v1.FieldMatch_Ternary_{Ternary: &p4v1.FieldMatch_Ternary{Value: v, Mask: m}}}}}}}
	}
	got, err = tr.Entity(ternary([]byte{2}, []byte{1, 0xff}))
	if err != nil || string(got.GetTableEntry().Match[0].GetTernary().Value) != "\x0c" {
		t.Fatalf("full-mask ternary port: %v %v", got, err)
	}
	// Ports 2 and 3 map to 12 and 13: the pair keeps its masked bits.
	if got, err := tr.Entity(ternary([]byte{2}, []byte{0xfe})); err != nil || string(got.GetTableEntry().Match[0].GetTernary().Value) != "\x0c" {
		t.Errorf("partial mask kept by the map: %v %v", got, err)
	}
	// Ports 0..3 map to 11..13 (0 is not a port): 11 leaves 12/0x1fc.
	if _, err := tr.Entity(ternary([]byte{0}, []byte{0xfc})); !errors.Is(err, ErrPortMatch) {
		t.Errorf("partial mask the map splits: %v", err)
	}
	pin := &p4v1.PacketIn{Metadata: []*p4v1.PacketMetadata{{MetadataId: 1, Value: []byte{0, 5}}}}
	if err := tr.PacketMetadata("packet_in", pin.Metadata); err != nil || string(pin.Metadata[0].Value) != "\x0f" {
		t.Errorf("packet_in: %v %x", err, pin.Metadata[0].Value)
	}
	mg := &p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
		Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{MulticastGroupId: 1,
			Replicas: []*p4v1.Replica{{PortKind: &p4v1.Replica_EgressPort{EgressPort: 1}}, {PortKind: &p4v1.Replica_Port{Port: []byte{0, 2}}}}}}}}}
	got, err = tr.Entity(mg)
	if err != nil {
		t.Fatal(err)
	}
	rs := got.GetPacketReplicationEngineEntry().GetMulticastGroupEntry().Replicas
	if rs[0].GetEgressPort() != 11 || string(rs[1].GetPort()) != "\x0c" {
		t.Errorf("replicas: %v", rs)
	}
}

func TestPortMapParse(t *testing.T) {
	pm, err := ParsePortMap("1=5, 2:6\n# comment\nEthernet0=Ethernet8\n")
	if err != nil {
		t.Fatal(err)
	}
	if pm.String() != "1=5,2=6,Ethernet0=Ethernet8" {
		t.Errorf("String = %s", pm.String())
	}
	for _, bad := range []string{"1", "1=x", "1=2,1=3", "=4"} {
		if _, err := ParsePortMap(bad); err == nil {
			t.Errorf("ParsePortMap(%q) accepted", bad)
		}
	}
	dup, _ := ParsePortMap("1=5,2=5")
	if _, err := dup.Inverse(); err == nil {
		t.Error("Inverse of a non-injective map accepted")
	}
}

// FuzzTranslate: any generated state of onos-basic (seeded by the fuzzer)
// survives a trip to a renumbered P4Info with ports mapped, and back.
func FuzzTranslate(f *testing.F) {
	in, err := info.Load(fixtures.Get(f, "onos-basic").P4Info)
	if err != nil {
		f.Fatal(err)
	}
	re, _ := info.New(p4test.Renumber(in.Proto, 0x1234))
	tr, err := New(in, re, WithPorts(portMap()))
	if err != nil {
		f.Fatal(err)
	}
	back, _ := tr.Reverse()
	f.Add(uint64(1), uint8(3))
	f.Add(uint64(99), uint8(20))
	f.Fuzz(func(t *testing.T, seed uint64, n uint8) {
		for _, e := range p4test.NewGen(in, seed).State(int(n%32) + 1) {
			there, err := tr.Entity(e)
			if err != nil {
				t.Fatal(err)
			}
			again, err := back.Entity(there)
			if err != nil {
				t.Fatal(err)
			}
			if !entity.Equal(again, e) || entity.MustOf(again) != entity.MustOf(e) {
				t.Fatalf("%s: %v", entity.Describe(e, in), entity.Diff(e, again))
			}
		}
	})
}
