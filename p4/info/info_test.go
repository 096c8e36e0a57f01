package info

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/internal/fixtures"
)

// Every shared pipeline indexes, and every object is found by id, by full
// name and (when unique) by alias, with the kind its id prefix announces
// (P4Runtime spec section 6.2 "P4 Entity IDs" — p4c allocates ids so).
func TestIndexEveryPipeline(t *testing.T) {
	for _, fx := range fixtures.All(t) {
		t.Run(fx.Name, func(t *testing.T) {
			in, err := Load(fx.P4Info)
			if err != nil {
				t.Fatal(err)
			}
			p := in.Proto
			var want int
			for _, e := range p.GetExterns() {
				want += len(e.GetInstances())
			}
			want += len(p.GetTables()) + len(p.GetActions()) + len(p.GetActionProfiles()) + len(p.GetCounters()) +
				len(p.GetDirectCounters()) + len(p.GetMeters()) + len(p.GetDirectMeters()) + len(p.GetRegisters()) +
				len(p.GetDigests()) + len(p.GetValueSets()) + len(p.GetControllerPacketMetadata())
			if got := len(in.Objects()); got != want {
				t.Fatalf("Objects() = %d, P4Info has %d", got, want)
			}
			for _, o := range in.Objects() {
				pr := o.Pre()
				if got, ok := in.Lookup(pr.ID); !ok || got != o {
					t.Errorf("Lookup(0x%08x) = %v", pr.ID, got)
				}
				if got, ok := in.LookupName(o.Kind(), pr.Name); !ok || got != o {
					t.Errorf("LookupName(%s, %q) failed", o.Kind(), pr.Name)
				}
				if got, ok := in.LookupName(o.Kind(), pr.Alias); ok && got.Pre().Name != pr.Alias && got != o {
					t.Errorf("alias %q of %q leads to %q", pr.Alias, pr.Name, got.Pre().Name)
				}
				if k := KindOfID(pr.ID); k != o.Kind() && fx.Name != "onos-p4runtime-translation" {
					t.Errorf("%s %q: id 0x%08x has prefix of %s", o.Kind(), pr.Name, pr.ID, k)
				}
			}
			for _, tb := range in.Tables {
				if in.Table(tb.ID) != tb || in.TableByName(tb.Name) != tb {
					t.Errorf("table %q lookup", tb.Name)
				}
				for _, f := range tb.Fields {
					if tb.Field(f.ID) != f || tb.FieldByName(f.Name) != f {
						t.Errorf("%s/%s lookup", tb.Name, f.Name)
					}
					if f.Width <= 0 && !f.IsString {
						t.Errorf("%s/%s: width %d", tb.Name, f.Name, f.Width)
					}
				}
				for _, a := range tb.Actions {
					if _, ok := tb.ActionScope(a.ID); !ok {
						t.Errorf("%s: action %s not in scope map", tb.Name, a.Name)
					}
				}
				if tb.DirectCounter != nil && tb.DirectCounter.Table != tb {
					t.Errorf("%s: direct counter points elsewhere", tb.Name)
				}
				if tb.Profile != nil && !containsTable(tb.Profile.Tables, tb) {
					t.Errorf("%s: profile %s does not list it", tb.Name, tb.Profile.Name)
				}
			}
			for _, a := range in.Actions {
				for _, pa := range a.Params {
					if a.Param(pa.ID) != pa || a.ParamByName(pa.Name) != pa {
						t.Errorf("%s/%s lookup", a.Name, pa.Name)
					}
				}
			}
		})
	}
}

func containsTable(ts []*Table, t *Table) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// Ports: translated types (@p4runtime_translation) carry ports, whether the
// SDN type is a bitstring or a string; v1model standard-metadata fields and
// the ONOS packet_in/packet_out fields are ports by the default rules.
func TestPorts(t *testing.T) {
	tr, err := Load(fixtures.Get(t, "onos-p4runtime-translation").P4Info)
	if err != nil {
		t.Fatal(err)
	}
	t0 := tr.TableByName("table0")
	in := t0.FieldByName("local_metadata.ingress_port")
	if !in.IsPort || in.Width != 32 || in.IsString {
		t.Errorf("ingress_port: %+v", in.Value)
	}
	if mac := t0.FieldByName("hdr.ethernet.srcAddr"); !mac.IsString || mac.IsPort {
		t.Errorf("srcAddr: %+v", mac.Value)
	}
	if p := tr.ActionByName("set_egress_port").ParamByName("port"); !p.IsPort || !p.IsString {
		t.Errorf("set_egress_port/port: %+v", p.Value)
	}
	if p := tr.ActionByName("set_egress_port2").ParamByName("port"); !p.IsPort || p.Width != 32 {
		t.Errorf("set_egress_port2/port: %+v", p.Value)
	}

	basic, err := Load(fixtures.Get(t, "onos-basic").P4Info)
	if err != nil {
		t.Fatal(err)
	}
	t0 = basic.TableByName("ingress.table0_control.table0")
	if !t0.FieldByName("standard_metadata.ingress_port").IsPort || t0.FieldByName("hdr.ethernet.src_addr").IsPort {
		t.Error("onos-basic table0 port fields wrong")
	}
	if !t0.NeedsPriority || t0.DirectCounter == nil || t0.ConstDefault == nil {
		t.Errorf("table0: priority=%v direct=%v constdefault=%v", t0.NeedsPriority, t0.DirectCounter, t0.ConstDefault)
	}
	pin := basic.PacketMetadataByName("packet_in")
	if pin == nil || !pin.Fields[0].IsPort {
		t.Fatalf("packet_in ingress_port not a port: %+v", pin)
	}
	// Without rules for it, a plain bit<9> action param is no port; a rule by
	// alias makes it one, and so does a rule for an array index.
	if basic.ActionByName("ingress.table0_control.set_egress_port").ParamByName("port").IsPort {
		t.Error("set_egress_port/port is a port without a rule")
	}
	ruled, err := Load(fixtures.Get(t, "onos-basic").P4Info, WithPortRules(DefaultPortRules.Merge(PortRules{
		Names: []string{"table0_control.set_egress_port/port", "ingress.port_counters_ingress.ingress_port_counter/index"},
	})))
	if err != nil {
		t.Fatal(err)
	}
	if !ruled.ActionByName("ingress.table0_control.set_egress_port").ParamByName("port").IsPort {
		t.Error("rule by alias did not make set_egress_port/port a port")
	}
	if !ruled.CounterByName("ingress.port_counters_ingress.ingress_port_counter").IndexIsPort {
		t.Error("rule did not make the counter index a port")
	}
	if _, err := New(nil, WithPortRules(PortRules{Names: []string{"[bad"}})); err == nil {
		t.Error("malformed port rule accepted")
	}

	pins, err := Load(fixtures.Get(t, "pins-middleblock").P4Info)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tb := range pins.Tables {
		for _, f := range tb.Fields {
			if f.TypeName == "port_id_t" {
				n++
				if !f.IsPort {
					t.Errorf("%s/%s of port_id_t is not a port", tb.Name, f.Name)
				}
			}
		}
	}
	if n == 0 {
		t.Error("no port_id_t fields found in pins-middleblock")
	}
}

func TestRegistersAndDigests(t *testing.T) {
	lm, err := Load(fixtures.Get(t, "registers-link_monitor").P4Info)
	if err != nil {
		t.Fatal(err)
	}
	if len(lm.Registers) == 0 {
		t.Fatal("no registers")
	}
	for _, r := range lm.Registers {
		if r.Width <= 0 || r.Size <= 0 {
			t.Errorf("register %s: width %d size %d", r.Name, r.Width, r.Size)
		}
	}
	dg, err := Load(fixtures.Get(t, "bmv2-digest").P4Info)
	if err != nil {
		t.Fatal(err)
	}
	if len(dg.Digests) != 1 || len(dg.Digests[0].Members) == 0 {
		t.Fatalf("digest members: %+v", dg.Digests)
	}
	for _, m := range dg.Digests[0].Members {
		if m.Width <= 0 {
			t.Errorf("digest member %s width %d", m.Name, m.Width)
		}
	}
}

// Bad P4Infos are refused with an error that names the object.
func TestRejects(t *testing.T) {
	base := func() *p4configv1.P4Info {
		in, err := Load(fixtures.Get(t, "onos-basic").P4Info)
		if err != nil {
			t.Fatal(err)
		}
		return proto.Clone(in.Proto).(*p4configv1.P4Info)
	}
	cases := []struct {
		name  string
		edit  func(p *p4configv1.P4Info)
		words string
	}{
		{"duplicate id", func(p *p4configv1.P4Info) { p.Actions[1].Preamble.Id = p.Actions[0].Preamble.Id }, "used by"},
		{"duplicate name", func(p *p4configv1.P4Info) { p.Actions[1].Preamble.Name = p.Actions[0].Preamble.Name }, "name used twice"},
		{"dangling action ref", func(p *p4configv1.P4Info) { p.Tables[0].ActionRefs[0].Id = 0x01ffffff }, "is no action"},
		{"dangling direct resource", func(p *p4configv1.P4Info) { p.Tables[0].DirectResourceIds = []uint32{0x13ffffff} }, "direct resource"},
		{"no width", func(p *p4configv1.P4Info) { p.Tables[0].MatchFields[0].Bitwidth = 0 }, "no bit width"},
		{"unknown type", func(p *p4configv1.P4Info) {
			p.Tables[0].MatchFields[0].TypeName = &p4configv1.P4NamedType{Name: "Nope_t"}
		}, `type "Nope_t"`},
		{"duplicate field", func(p *p4configv1.P4Info) { p.Tables[0].MatchFields[1].Id = p.Tables[0].MatchFields[0].Id }, "used twice"},
		{"zero id", func(p *p4configv1.P4Info) { p.Counters[0].Preamble.Id = 0 }, "id 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := base()
			c.edit(p)
			_, err := New(p)
			var ie *Error
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.words) {
				t.Fatalf("New = %v, want an *Error containing %q", err, c.words)
			}
		})
	}
}

func TestLoadFormats(t *testing.T) {
	in, err := Load(fixtures.Get(t, "onos-fabric").P4Info)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := proto.Marshal(in.Proto)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"p.pb", "p.unknown"} {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, bin, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := Load(f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !proto.Equal(got.Proto, in.Proto) {
			t.Fatalf("%s: binary round trip differs", name)
		}
	}
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("tables { nonsense: 1 }"), 0o644)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "bad.txt") {
		t.Fatalf("garbage: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.txt")); err == nil {
		t.Fatal("missing file accepted")
	}
	empty, err := Load(fixtures.Get(t, "bmv2-clone").P4Info)
	if err != nil || len(empty.Objects()) != 0 {
		t.Fatalf("empty P4Info: %v %v", empty, err)
	}
}

// Issue 16: a table annotated @oneshot (SONiC PINS's wcmp_group_table) is
// OneShot, and so is its action profile; ONOS's selector is not.
func TestOneShot(t *testing.T) {
	for _, c := range []struct {
		fixture, table, profile string
		want                    bool
	}{
		{"pins-middleblock", "ingress.routing_resolution.wcmp_group_table", "ingress.routing_resolution.wcmp_group_selector", true},
		{"onos-basic", "ingress.wcmp_control.wcmp_table", "ingress.wcmp_control.wcmp_selector", false},
	} {
		in, err := Load(fixtures.Get(t, c.fixture).P4Info)
		if err != nil {
			t.Fatal(err)
		}
		tb, ap := in.TableByName(c.table), in.ActionProfileByName(c.profile)
		if tb == nil || ap == nil {
			t.Fatalf("%s: no %s or %s", c.fixture, c.table, c.profile)
		}
		if tb.OneShot != c.want || ap.OneShot != c.want {
			t.Errorf("%s: table OneShot %v, profile OneShot %v; want %v", c.fixture, tb.OneShot, ap.OneShot, c.want)
		}
	}
	if !isOneShot(" @oneshot() ") || isOneShot("@oneshots") {
		t.Error("isOneShot")
	}
}
