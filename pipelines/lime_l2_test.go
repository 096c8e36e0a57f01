package pipelines

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
)

// l2Objects lists every lime_l2 name constant with the P4 declaration that
// must carry it in the source.
var l2Objects = []struct {
	name string // P4Info name
	decl string // regexp the source must match
}{
	{L2PortVLAN, `table port_vlan\b`},
	{L2ControlFrames, `table control_frames\b`},
	{L2SMAC, `table smac\b`},
	{L2ACL, `table acl\b`},
	{L2DMAC, `table dmac\b`},
	{L2Trunk, `table trunk\b`},
	{L2EgressVLAN, `table egress_vlan\b`},
	{L2AccessPort, `action access_port\(`},
	{L2TrunkPort, `action trunk_port\(`},
	{L2Punt, `action punt\(`},
	{L2Learn, `action learn\(`},
	{L2KnownHost, `action known_host\(`},
	{L2Permit, `action permit\(`},
	{L2Drop, `action drop\(`},
	{L2Mirror, `action mirror\(`},
	{L2Forward, `action forward\(`},
	{L2ForwardToTrunk, `action forward_to_trunk\(`},
	{L2Flood, `action flood\(`},
	{L2SetTrunkMember, `action set_trunk_member\(`},
	{L2Tagged, `action tagged\(`},
	{L2Untagged, `action untagged\(`},
	{L2TrunkSelector, `action_selector\(HashAlgorithm\.crc16, 32w1024, 32w14\) trunk_selector;`},
	{L2RxPortCounter, `counter\(PORT_SLOTS, CounterType\.packets_and_bytes\) rx_port_counter;`},
	{L2TxPortCounter, `counter\(PORT_SLOTS, CounterType\.packets_and_bytes\) tx_port_counter;`},
	{L2DMACCounter, `direct_counter\(CounterType\.packets_and_bytes\) dmac_counter;`},
	{L2HostMeter, `meter\(HOST_SLOTS, MeterType\.bytes\) host_meter;`},
	{L2PortLastSeen, `register<bit<48>>\(PORT_SLOTS\) port_last_seen;`},
	{L2PortRxPackets, `register<bit<32>>\(PORT_SLOTS\) port_rx_packets;`},
	{L2FlowPackets, `register<bit<32>>\(FLOW_SLOTS\) flow_packets;`},
	{L2LearnDigest, `digest<mac_learn_digest_t>\(1, `},
	{L2PacketIn, `@controller_header\("packet_in"\)`},
	{L2PacketOut, `@controller_header\("packet_out"\)`},
	{"PortId_t", `typedef bit<9> PortId_t;`},
	{fmt.Sprint(L2CPUPort), fmt.Sprintf(`const bit<9>\s+CPU_PORT\s+= %d;`, L2CPUPort)},
	{fmt.Sprint(L2MirrorSession), fmt.Sprintf(`const bit<32>\s+MIRROR_SESSION\s+= %d;`, L2MirrorSession)},
	{fmt.Sprint(L2DefaultVLAN), fmt.Sprintf(`const vlan_id_t DEFAULT_VLAN\s+= %d;`, L2DefaultVLAN)},
	{fmt.Sprint(L2PortSlots), fmt.Sprintf(`const bit<32> PORT_SLOTS = %d;`, L2PortSlots)},
	{fmt.Sprint(L2HostSlots), fmt.Sprintf(`const bit<32> HOST_SLOTS = %d;`, L2HostSlots)},
	{fmt.Sprint(L2FlowSlots), fmt.Sprintf(`const bit<32> FLOW_SLOTS = %d;`, L2FlowSlots)},
}

// TestLimeL2SourceAndReadme ties the L2* constants, the P4 source and the
// README together, so that none of them drifts: every constant names a
// declaration of the source, every P4Info name is listed in the README, and
// cpu_port.txt agrees with CPU_PORT.
func TestLimeL2SourceAndReadme(t *testing.T) {
	src, err := Source(LimeL2)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("lime_l2/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range l2Objects {
		if !regexp.MustCompile(o.decl).Match(src) {
			t.Errorf("%s: the source has no %s", o.name, o.decl)
		}
		if strings.ContainsAny(o.name, "._") && !strings.Contains(string(readme), "`"+o.name+"`") {
			t.Errorf("%s is not listed in lime_l2/README.md", o.name)
		}
	}
	cpu, err := os.ReadFile("lime_l2/" + CPUPortFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(cpu)); got != fmt.Sprint(L2CPUPort) {
		t.Errorf("cpu_port.txt says %s, CPU_PORT is %d", got, L2CPUPort)
	}
	// The README gives the compile command and the artifact names Get expects.
	for _, s := range []string{
		"../../../shared/tools/p4c/bin/p4c-bm2-ss --arch v1model --p4runtime-files lime_l2.p4info.txt -o lime_l2.json lime_l2.p4",
		"`lime_l2.json`", "`lime_l2.p4info.txt`",
	} {
		if !strings.Contains(string(readme), s) {
			t.Errorf("README does not give %s", s)
		}
	}
}

// field is an expected match field, action parameter or packet metadata:
// name, P4Info bitwidth, and the translated type name when port-typed.
type field struct {
	name     string
	bitwidth int32
	typeName string
}

// port is a PortId_t field: bmv2's 9-bit port, untranslated (PI translates
// no ports; issue 15).
func port(name string) field { return field{name, 9, ""} }

// checkLimeL2P4Info checks a compiled lime_l2 P4Info against the program as
// the README describes it.
func checkLimeL2P4Info(t *testing.T, info *p4configv1.P4Info) {
	t.Helper()
	actionNames := map[uint32]string{}
	actions := map[string]*p4configv1.Action{}
	for _, a := range info.GetActions() {
		actionNames[a.GetPreamble().GetId()] = a.GetPreamble().GetName()
		actions[a.GetPreamble().GetName()] = a
	}
	profiles := map[uint32]*p4configv1.ActionProfile{}
	for _, ap := range info.GetActionProfiles() {
		profiles[ap.GetPreamble().GetId()] = ap
	}
	tables := map[string]*p4configv1.Table{}
	tableIDs := map[uint32]string{}
	for _, tb := range info.GetTables() {
		tables[tb.GetPreamble().GetName()] = tb
		tableIDs[tb.GetPreamble().GetId()] = tb.GetPreamble().GetName()
	}

	type matchField struct {
		field
		kind p4configv1.MatchField_MatchType
	}
	exact := func(f field) matchField { return matchField{f, p4configv1.MatchField_EXACT} }
	ternary := func(f field) matchField { return matchField{f, p4configv1.MatchField_TERNARY} }
	mac := func(n string) field { return field{n, 48, ""} }
	vid := field{"vid", 12, ""}
	wantTables := []struct {
		name    string
		keys    []matchField
		actions []string
		size    int64
	}{
		{L2PortVLAN, []matchField{exact(port("ingress_port"))}, []string{L2AccessPort, L2TrunkPort}, 512},
		{L2ControlFrames, []matchField{exact(field{"ether_type", 16, ""})}, []string{L2Punt, L2NoAction}, 4},
		{L2SMAC, []matchField{exact(vid), exact(mac("src_mac"))}, []string{L2KnownHost, L2Learn}, 4096},
		{L2ACL, []matchField{
			ternary(port("ingress_port")), ternary(vid), ternary(mac("src_mac")), ternary(mac("dst_mac")),
			ternary(field{"ether_type", 16, ""}), ternary(field{"ipv4_src", 32, ""}),
			ternary(field{"ipv4_dst", 32, ""}), ternary(field{"ip_proto", 8, ""}),
		}, []string{L2Permit, L2Drop, L2Punt, L2Mirror}, 256},
		{L2DMAC, []matchField{exact(vid), exact(mac("dst_mac"))}, []string{L2Forward, L2ForwardToTrunk, L2Flood, L2Drop}, 4096},
		{L2Trunk, []matchField{exact(field{"trunk_id", 8, ""})}, []string{L2SetTrunkMember, L2NoAction}, 64},
		{L2EgressVLAN, []matchField{exact(port("egress_port"))}, []string{L2Tagged, L2Untagged}, 512},
	}
	if len(info.GetTables()) != len(wantTables) {
		t.Errorf("%d tables, want %d", len(info.GetTables()), len(wantTables))
	}
	for _, wt := range wantTables {
		tb := tables[wt.name]
		if tb == nil {
			t.Errorf("no table %s", wt.name)
			continue
		}
		if tb.GetSize() != wt.size {
			t.Errorf("%s: size %d, want %d", wt.name, tb.GetSize(), wt.size)
		}
		if len(tb.GetMatchFields()) != len(wt.keys) {
			t.Errorf("%s: %d match fields, want %d", wt.name, len(tb.GetMatchFields()), len(wt.keys))
		}
		for i, k := range wt.keys {
			if i >= len(tb.GetMatchFields()) {
				break
			}
			mf := tb.GetMatchFields()[i]
			got := matchField{field{mf.GetName(), mf.GetBitwidth(), mf.GetTypeName().GetName()}, mf.GetMatchType()}
			if got != k {
				t.Errorf("%s: match field %d = %+v, want %+v", wt.name, i, got, k)
			}
		}
		var refs []string
		for _, r := range tb.GetActionRefs() {
			refs = append(refs, actionNames[r.GetId()])
		}
		sort.Strings(refs)
		want := append([]string(nil), wt.actions...)
		sort.Strings(want)
		if strings.Join(refs, ",") != strings.Join(want, ",") {
			t.Errorf("%s: actions %v, want %v", wt.name, refs, want)
		}
	}
	if tb := tables[L2ControlFrames]; tb != nil && !tb.GetIsConstTable() {
		t.Errorf("%s is not const", L2ControlFrames)
	}
	if tb := tables[L2SMAC]; tb != nil && tb.GetIdleTimeoutBehavior() != p4configv1.Table_NOTIFY_CONTROL {
		t.Errorf("%s: idle timeout %v, want NOTIFY_CONTROL", L2SMAC, tb.GetIdleTimeoutBehavior())
	}
	if tb := tables[L2Trunk]; tb != nil {
		ap := profiles[tb.GetImplementationId()]
		if ap.GetPreamble().GetName() != L2TrunkSelector || !ap.GetWithSelector() || ap.GetSize() != 1024 {
			t.Errorf("%s: implementation %v, want selector %s of 1024 members", L2Trunk, ap, L2TrunkSelector)
		}
	}

	wantParams := map[string][]field{
		L2AccessPort:     {vid},
		L2TrunkPort:      {{"trunk_id", 8, ""}},
		L2KnownHost:      {{"host", 10, ""}, port("port")},
		L2Forward:        {port("port")},
		L2ForwardToTrunk: {{"trunk_id", 8, ""}},
		L2SetTrunkMember: {port("port")},
		L2Punt:           nil, L2Learn: nil, L2Permit: nil, L2Drop: nil, L2Mirror: nil,
		L2Flood: nil, L2Tagged: nil, L2Untagged: nil, L2NoAction: nil,
	}
	if len(info.GetActions()) != len(wantParams) {
		t.Errorf("%d actions, want %d (the @hidden helpers stay out)", len(info.GetActions()), len(wantParams))
	}
	for name, params := range wantParams {
		a := actions[name]
		if a == nil {
			t.Errorf("no action %s", name)
			continue
		}
		var got []field
		for _, p := range a.GetParams() {
			got = append(got, field{p.GetName(), p.GetBitwidth(), p.GetTypeName().GetName()})
		}
		if fmt.Sprint(got) != fmt.Sprint(params) {
			t.Errorf("%s: params %+v, want %+v", name, got, params)
		}
	}

	if nt := info.GetTypeInfo().GetNewTypes(); len(nt) != 0 {
		t.Errorf("type_info.new_types = %v, want none (no translated types: PI refuses them in digests)", nt)
	}

	counters := map[string]*p4configv1.Counter{}
	for _, c := range info.GetCounters() {
		counters[c.GetPreamble().GetName()] = c
	}
	for _, name := range []string{L2RxPortCounter, L2TxPortCounter} {
		if c := counters[name]; c.GetSize() != L2PortSlots || c.GetSpec().GetUnit() != p4configv1.CounterSpec_BOTH {
			t.Errorf("counter %s = %v, want %d cells of packets and bytes", name, c, L2PortSlots)
		}
	}
	if dc := info.GetDirectCounters(); len(dc) != 1 || dc[0].GetPreamble().GetName() != L2DMACCounter ||
		tableIDs[dc[0].GetDirectTableId()] != L2DMAC || dc[0].GetSpec().GetUnit() != p4configv1.CounterSpec_BOTH {
		t.Errorf("direct counters = %v, want %s on %s", dc, L2DMACCounter, L2DMAC)
	}
	if m := info.GetMeters(); len(m) != 1 || m[0].GetPreamble().GetName() != L2HostMeter ||
		m[0].GetSize() != L2HostSlots || m[0].GetSpec().GetUnit() != p4configv1.MeterSpec_BYTES {
		t.Errorf("meters = %v, want %s of %d byte meters", m, L2HostMeter, L2HostSlots)
	}
	regs := map[string]*p4configv1.Register{}
	for _, r := range info.GetRegisters() {
		regs[r.GetPreamble().GetName()] = r
	}
	for name, want := range map[string][2]int64{
		L2PortLastSeen:  {L2PortSlots, 48},
		L2PortRxPackets: {L2PortSlots, 32},
		L2FlowPackets:   {L2FlowSlots, 32},
	} {
		r := regs[name]
		if r.GetSize() != int32(want[0]) || int64(r.GetTypeSpec().GetBitstring().GetBit().GetBitwidth()) != want[1] {
			t.Errorf("register %s = %v, want %d cells of bit<%d>", name, r, want[0], want[1])
		}
	}
	if len(regs) != 3 {
		t.Errorf("%d registers, want 3", len(regs))
	}

	if d := info.GetDigests(); len(d) != 1 || d[0].GetPreamble().GetName() != L2LearnDigest ||
		d[0].GetTypeSpec().GetStruct().GetName() != L2LearnDigest {
		t.Errorf("digests = %v, want %s", d, L2LearnDigest)
	}
	var members []string
	for _, m := range info.GetTypeInfo().GetStructs()[L2LearnDigest].GetMembers() {
		ts := m.GetTypeSpec()
		members = append(members, fmt.Sprintf("%s:%d:%s", m.GetName(), ts.GetBitstring().GetBit().GetBitwidth(), ts.GetNewType().GetName()))
	}
	if got, want := strings.Join(members, " "), "src_mac:48: ingress_port:9: vid:12:"; got != want {
		t.Errorf("digest struct members %q, want %q", got, want)
	}

	cpm := map[string][]field{}
	for _, h := range info.GetControllerPacketMetadata() {
		for _, m := range h.GetMetadata() {
			cpm[h.GetPreamble().GetName()] = append(cpm[h.GetPreamble().GetName()], field{m.GetName(), m.GetBitwidth(), m.GetTypeName().GetName()})
		}
	}
	for name, want := range map[string][]field{
		L2PacketIn:  {port("ingress_port"), {"_pad", 7, ""}},
		L2PacketOut: {port("egress_port"), {"_pad", 7, ""}},
	} {
		if fmt.Sprint(cpm[name]) != fmt.Sprint(want) {
			t.Errorf("controller header %s = %+v, want %+v", name, cpm[name], want)
		}
	}
}
