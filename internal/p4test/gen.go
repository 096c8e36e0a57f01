//lint:file-ignore SA1019 P4Runtime 1.3 targets (bmv2, ONOS) use egress_port and controller_metadata; lime carries them

package p4test

import (
	"fmt"
	"math/rand/v2"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
)

// Gen makes valid P4Runtime entities for a P4Info: values fit their widths
// and obey the match-format rules (P4Runtime spec 9.1.1), priorities are
// set exactly where needed, actions come from each table's action refs in
// their scope, port values come from Ports. Deterministic for a given
// Rand seed.
type Gen struct {
	Info *info.Info
	Rand *rand.Rand
	// Ports are the numeric port values port fields take (default 1..8).
	Ports []uint64
	// StringPorts are the values of string-typed port fields (default
	// "Ethernet1".."Ethernet8").
	StringPorts []string
	// ReplicaPortBytes writes PRE replica ports in the P4Runtime 1.4+ `port`
	// bytestring rather than the deprecated egress_port (which 1.3 servers
	// such as bmv2 expect).
	ReplicaPortBytes bool
}

// NewGen returns a generator with default ports and the given seed.
func NewGen(in *info.Info, seed uint64) *Gen {
	g := &Gen{Info: in, Rand: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for p := uint64(1); p <= 8; p++ {
		g.Ports = append(g.Ports, p)
		g.StringPorts = append(g.StringPorts, fmt.Sprintf("Ethernet%d", p))
	}
	return g
}

func (g *Gen) bits(width int) []byte {
	b := make([]byte, canon.ByteLen(width))
	for i := range b {
		b[i] = byte(g.Rand.Uint32())
	}
	if r := width % 8; r != 0 {
		b[0] &= byte(1<<r - 1)
	}
	return canon.Canonical(b)
}

func (g *Gen) value(v *info.Value) []byte {
	switch {
	case v.IsPort && v.IsString:
		return []byte(g.StringPorts[g.Rand.IntN(len(g.StringPorts))])
	case v.IsPort:
		return canon.FromUint64(g.Ports[g.Rand.IntN(len(g.Ports))])
	case v.IsString:
		return []byte(fmt.Sprintf("s%d", g.Rand.IntN(1000)))
	}
	return g.bits(v.Width)
}

// mask returns a random non-zero mask of a width.
func (g *Gen) mask(width int) []byte {
	for {
		m := g.bits(width)
		if canon.BitLen(m) > 0 {
			return m
		}
	}
}

func and(v, m []byte) []byte {
	n := max(len(v), len(m))
	out := make([]byte, n)
	for i := 0; i < n; i++ {
		var a, b byte
		if j := len(v) - n + i; j >= 0 {
			a = v[j]
		}
		if j := len(m) - n + i; j >= 0 {
			b = m[j]
		}
		out[i] = a & b
	}
	return canon.Canonical(out)
}

// prefixMask is the mask of the first plen bits of a width.
func prefixMask(plen, width int) []byte {
	b := make([]byte, canon.ByteLen(width))
	lead := len(b)*8 - width
	for i := 0; i < plen; i++ {
		bit := lead + i
		b[bit/8] |= 0x80 >> (bit % 8)
	}
	return b
}

// Match returns a field match for f; nil means "don't care" (omitted),
// which only ternary, range, optional and LPM fields may be.
func (g *Gen) Match(f *info.MatchField) *p4v1.FieldMatch {
	fm := &p4v1.FieldMatch{FieldId: f.ID}
	full := f.IsPort || f.IsString // ports match one port; strings have no bits
	switch f.MatchType {
	case p4configv1.MatchField_EXACT:
		fm.FieldMatchType = &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: g.value(&f.Value)}}
	case p4configv1.MatchField_OPTIONAL:
		if g.Rand.IntN(3) == 0 {
			return nil
		}
		fm.FieldMatchType = &p4v1.FieldMatch_Optional_{Optional: &p4v1.FieldMatch_Optional{Value: g.value(&f.Value)}}
	case p4configv1.MatchField_LPM:
		plen := f.Width
		if !full {
			plen = 1 + g.Rand.IntN(f.Width)
		}
		v := g.value(&f.Value)
		if !full {
			v = and(v, prefixMask(plen, f.Width))
		}
		fm.FieldMatchType = &p4v1.FieldMatch_Lpm{Lpm: &p4v1.FieldMatch_LPM{Value: v, PrefixLen: int32(plen)}}
	case p4configv1.MatchField_TERNARY:
		if g.Rand.IntN(4) == 0 {
			return nil
		}
		if f.IsString {
			return nil
		}
		m := g.mask(f.Width)
		if full {
			m = prefixMask(f.Width, f.Width)
		}
		fm.FieldMatchType = &p4v1.FieldMatch_Ternary_{Ternary: &p4v1.FieldMatch_Ternary{Value: and(g.value(&f.Value), m), Mask: canon.Canonical(m)}}
	case p4configv1.MatchField_RANGE:
		if g.Rand.IntN(4) == 0 || f.IsString {
			return nil
		}
		a, b := g.value(&f.Value), g.value(&f.Value)
		if full { // a port range can only be translated when it is one port
			b = a
		}
		if canon.ToBig(a).Cmp(canon.ToBig(b)) > 0 {
			a, b = b, a
		}
		if canon.BitLen(a) == 0 && canon.BitLen(b) == f.Width { // the full range is a don't-care
			b = canon.FromUint64(0)
		}
		fm.FieldMatchType = &p4v1.FieldMatch_Range_{Range: &p4v1.FieldMatch_Range{Low: a, High: b}}
	default:
		return nil
	}
	return fm
}

// Action returns an action call of a, with random parameter values.
func (g *Gen) Action(a *info.Action) *p4v1.Action {
	out := &p4v1.Action{ActionId: a.ID}
	for _, p := range a.Params {
		out.Params = append(out.Params, &p4v1.Action_Param{ParamId: p.ID, Value: g.value(&p.Value)})
	}
	return out
}

// actionFor picks an action of t usable in the given role.
func (g *Gen) actionFor(t *info.Table, forDefault bool) *info.Action {
	var ok []*info.Action
	for _, a := range t.Actions {
		s, _ := t.ActionScope(a.ID)
		if forDefault && s == p4configv1.ActionRef_TABLE_ONLY || !forDefault && s == p4configv1.ActionRef_DEFAULT_ONLY {
			continue
		}
		ok = append(ok, a)
	}
	if len(ok) == 0 {
		return nil
	}
	return ok[g.Rand.IntN(len(ok))]
}

// TableEntry returns a random entry of t, or nil when t takes no writes
// (const) or has no usable action. For tables with an action profile,
// members and groups are the ids given (one is chosen); a one-shot table
// (info.Table.OneShot's profile) takes a one-shot action set instead.
func (g *Gen) TableEntry(t *info.Table, members, groups []uint32) *p4v1.Entity {
	if t.IsConst || len(t.Fields) == 0 { // a keyless table has only its default entry
		return nil
	}
	te := &p4v1.TableEntry{TableId: t.ID}
	for _, f := range t.Fields {
		if m := g.Match(f); m != nil {
			te.Match = append(te.Match, m)
		}
	}
	if t.NeedsPriority {
		te.Priority = 1 + g.Rand.Int32N(1000)
	}
	if t.Profile != nil && t.Profile.OneShot {
		te.Action = g.ActionSet(t)
		if te.Action == nil {
			return nil
		}
	} else if t.Profile != nil {
		switch {
		case len(groups) > 0 && (len(members) == 0 || g.Rand.IntN(2) == 0):
			te.Action = &p4v1.TableAction{Type: &p4v1.TableAction_ActionProfileGroupId{ActionProfileGroupId: groups[g.Rand.IntN(len(groups))]}}
		case len(members) > 0:
			te.Action = &p4v1.TableAction{Type: &p4v1.TableAction_ActionProfileMemberId{ActionProfileMemberId: members[g.Rand.IntN(len(members))]}}
		default:
			return nil
		}
	} else {
		a := g.actionFor(t, false)
		if a == nil {
			return nil
		}
		te.Action = &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: g.Action(a)}}
	}
	if g.Rand.IntN(3) == 0 {
		te.ControllerMetadata = g.Rand.Uint64()
	}
	if g.Rand.IntN(3) == 0 {
		te.Metadata = []byte(fmt.Sprintf("meta-%d", g.Rand.IntN(1<<20)))
	}
	if t.IdleTimeout && g.Rand.IntN(2) == 0 {
		te.IdleTimeoutNs = int64(1+g.Rand.IntN(3600)) * 1e9
	}
	return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: te}}
}

// ActionSet returns a one-shot action set (P4Runtime spec section 9.2.3)
// for an entry of t, whose action profile is a selector: one to four
// actions of t with weights 1 to 3 (none where weights are disallowed);
// nil when t has no usable action.
func (g *Gen) ActionSet(t *info.Table) *p4v1.TableAction {
	set := &p4v1.ActionProfileActionSet{}
	for range 1 + g.Rand.IntN(4) {
		a := g.actionFor(t, false)
		if a == nil {
			return nil
		}
		w := int32(1 + g.Rand.IntN(3))
		if t.Profile.WeightsDisallowed {
			w = 0
		}
		set.ActionProfileActions = append(set.ActionProfileActions, &p4v1.ActionProfileAction{Action: g.Action(a), Weight: w})
	}
	return &p4v1.TableAction{Type: &p4v1.TableAction_ActionProfileActionSet{ActionProfileActionSet: set}}
}

// DefaultEntry returns a MODIFY-able default entry of t, or nil when its
// default action is const or t uses an action profile.
func (g *Gen) DefaultEntry(t *info.Table) *p4v1.Entity {
	if t.ConstDefault != nil || t.Profile != nil || t.IsConst {
		return nil
	}
	a := g.actionFor(t, true)
	if a == nil {
		return nil
	}
	return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: t.ID, IsDefaultAction: true,
		Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: g.Action(a)}}}}}
}

// Member returns member id of profile p with an action from its tables.
func (g *Gen) Member(p *info.ActionProfile, id uint32) *p4v1.Entity {
	if len(p.Tables) == 0 {
		return nil
	}
	a := g.actionFor(p.Tables[0], false)
	if a == nil {
		return nil
	}
	return &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{
		ActionProfileId: p.ID, MemberId: id, Action: g.Action(a)}}}
}

// Group returns group id of profile p over some of the given members.
func (g *Gen) Group(p *info.ActionProfile, id uint32, members []uint32) *p4v1.Entity {
	n := 1 + g.Rand.IntN(min(len(members), 4))
	if p.MaxGroupSize > 0 {
		n = min(n, int(p.MaxGroupSize))
	}
	// P4Runtime spec "Rules on Setting max_size": with a max_group_size,
	// max_size must be set, at most that.
	grp := &p4v1.ActionProfileGroup{ActionProfileId: p.ID, GroupId: id, MaxSize: p.MaxGroupSize}
	for _, k := range g.Rand.Perm(len(members))[:n] {
		w := int32(1 + g.Rand.IntN(3))
		if p.WeightsDisallowed {
			w = 0
		}
		grp.Members = append(grp.Members, &p4v1.ActionProfileGroup_Member{MemberId: members[k], Weight: w})
	}
	return &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: grp}}
}

func (g *Gen) counterData(unit p4configv1.CounterSpec_Unit) *p4v1.CounterData {
	d := &p4v1.CounterData{}
	if unit == p4configv1.CounterSpec_BYTES || unit == p4configv1.CounterSpec_BOTH {
		d.ByteCount = 1 + g.Rand.Int64N(1<<40)
	}
	if unit == p4configv1.CounterSpec_PACKETS || unit == p4configv1.CounterSpec_BOTH {
		d.PacketCount = 1 + g.Rand.Int64N(1<<30)
	}
	return d
}

// MeterConfig returns a valid trTCM config (cir <= pir).
func (g *Gen) MeterConfig() *p4v1.MeterConfig {
	cir := 1 + g.Rand.Int64N(1e6)
	return &p4v1.MeterConfig{Cir: cir, Cburst: 1 + g.Rand.Int64N(1e5), Pir: cir + g.Rand.Int64N(1e6), Pburst: 1 + g.Rand.Int64N(1e5)}
}

func (g *Gen) replicas(n int) []*p4v1.Replica {
	var rs []*p4v1.Replica
	for _, k := range g.Rand.Perm(len(g.Ports))[:min(n, len(g.Ports))] {
		r := &p4v1.Replica{Instance: uint32(g.Rand.IntN(4))}
		if g.ReplicaPortBytes {
			r.PortKind = &p4v1.Replica_Port{Port: canon.FromUint64(g.Ports[k])}
		} else {
			r.PortKind = &p4v1.Replica_EgressPort{EgressPort: uint32(g.Ports[k])}
		}
		rs = append(rs, r)
	}
	return rs
}

// MulticastGroup returns multicast group id with one to four replicas.
func (g *Gen) MulticastGroup(id uint32) *p4v1.Entity {
	return &p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
		Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{
			MulticastGroupId: id, Replicas: g.replicas(1 + g.Rand.IntN(4))}}}}}
}

// State returns a whole device state in dependency order (see
// entity.Kind): up to perTable entries per table (fewer when the table is
// small or random matches collide), members and groups for every action
// profile but one-shot selectors (whose entries carry one-shot sets), default entries, direct counter and meter values on some
// entries, cells of every counter, meter and register array, multicast
// groups, clone sessions, digest configs and value-set members. Entities
// are unique by key.
func (g *Gen) State(perTable int) []*p4v1.Entity {
	var out []*p4v1.Entity
	seen := map[entity.Key]bool{}
	add := func(e *p4v1.Entity) bool {
		if e == nil {
			return false
		}
		k := entity.MustOf(e)
		if seen[k] {
			return false
		}
		seen[k] = true
		out = append(out, e)
		return true
	}
	for _, d := range g.Info.Digests {
		add(&p4v1.Entity{Entity: &p4v1.Entity_DigestEntry{DigestEntry: &p4v1.DigestEntry{DigestId: d.ID,
			Config: &p4v1.DigestEntry_Config{MaxTimeoutNs: 0, MaxListSize: 1, AckTimeoutNs: 1e9}}}})
	}
	for _, vs := range g.Info.ValueSets {
		v := &p4v1.ValueSetEntry{ValueSetId: vs.ID}
		for i := 0; i < min(3, int(vs.Size)); i++ {
			m := &p4v1.ValueSetMember{}
			for _, f := range vs.Fields {
				if fm := g.Match(f); fm != nil {
					m.Match = append(m.Match, fm)
				}
			}
			v.Members = append(v.Members, m)
		}
		add(&p4v1.Entity{Entity: &p4v1.Entity_ValueSetEntry{ValueSetEntry: v}})
	}
	for id := uint32(1); id <= 3; id++ {
		add(g.MulticastGroup(id))
	}
	for id := uint32(1); id <= 2; id++ {
		add(&p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
			Type: &p4v1.PacketReplicationEngineEntry_CloneSessionEntry{CloneSessionEntry: &p4v1.CloneSessionEntry{
				SessionId: id, Replicas: g.replicas(1)}}}}})
	}
	members := map[uint32][]uint32{}
	groups := map[uint32][]uint32{}
	for _, p := range g.Info.ActionProfiles {
		if p.OneShot { // its tables' entries carry one-shot sets
			continue
		}
		for id := uint32(1); id <= uint32(min(int64(8), max(p.Size, 1))); id++ {
			if add(g.Member(p, id)) {
				members[p.ID] = append(members[p.ID], id)
			}
		}
	}
	for _, p := range g.Info.ActionProfiles {
		if !p.WithSelector || len(members[p.ID]) == 0 {
			continue
		}
		for id := uint32(1); id <= 3; id++ {
			if add(g.Group(p, id, members[p.ID])) {
				groups[p.ID] = append(groups[p.ID], id)
			}
		}
	}
	var entries []*p4v1.Entity
	for _, t := range g.Info.Tables {
		var ms, gs []uint32
		if t.Profile != nil {
			ms, gs = members[t.Profile.ID], groups[t.Profile.ID]
		}
		n := perTable
		if t.Size > 0 {
			n = min(n, int(t.Size))
		}
		for i := 0; i < n; i++ {
			if e := g.TableEntry(t, ms, gs); add(e) {
				entries = append(entries, e)
			}
		}
	}
	for _, t := range g.Info.Tables {
		add(g.DefaultEntry(t))
	}
	for _, e := range entries {
		te := e.GetTableEntry()
		t := g.Info.Table(te.TableId)
		if t.DirectMeter != nil && g.Rand.IntN(2) == 0 {
			add(&p4v1.Entity{Entity: &p4v1.Entity_DirectMeterEntry{DirectMeterEntry: &p4v1.DirectMeterEntry{
				TableEntry: keyOnly(te), Config: g.MeterConfig()}}})
		}
	}
	for _, m := range g.Info.Meters {
		for _, i := range g.indices(m.Size, m.IndexIsPort, 4) {
			add(&p4v1.Entity{Entity: &p4v1.Entity_MeterEntry{MeterEntry: &p4v1.MeterEntry{MeterId: m.ID, Index: &p4v1.Index{Index: i}, Config: g.MeterConfig()}}})
		}
	}
	for _, c := range g.Info.Counters {
		for _, i := range g.indices(c.Size, c.IndexIsPort, 4) {
			add(&p4v1.Entity{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: c.ID, Index: &p4v1.Index{Index: i}, Data: g.counterData(c.Unit)}}})
		}
	}
	for _, e := range entries {
		te := e.GetTableEntry()
		t := g.Info.Table(te.TableId)
		if t.DirectCounter != nil && g.Rand.IntN(2) == 0 {
			add(&p4v1.Entity{Entity: &p4v1.Entity_DirectCounterEntry{DirectCounterEntry: &p4v1.DirectCounterEntry{
				TableEntry: keyOnly(te), Data: g.counterData(t.DirectCounter.Unit)}}})
		}
	}
	for _, r := range g.Info.Registers {
		if r.Width == 0 {
			continue
		}
		for _, i := range g.indices(int64(r.Size), r.IndexIsPort, 4) {
			add(&p4v1.Entity{Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: &p4v1.RegisterEntry{RegisterId: r.ID, Index: &p4v1.Index{Index: i},
				Data: &p4v1.P4Data{Data: &p4v1.P4Data_Bitstring{Bitstring: g.bits(r.Width)}}}}})
		}
	}
	return out
}

// keyOnly is the identity of a table entry (table, match, priority).
func keyOnly(te *p4v1.TableEntry) *p4v1.TableEntry {
	k := &p4v1.TableEntry{TableId: te.TableId, Priority: te.Priority}
	for _, m := range te.Match {
		k.Match = append(k.Match, proto.Clone(m).(*p4v1.FieldMatch))
	}
	return k
}

// indices returns up to n cell indices of an array of the given size: the
// first ones, or port numbers when the array is indexed by port.
func (g *Gen) indices(size int64, isPort bool, n int) []int64 {
	var out []int64
	if isPort {
		for _, p := range g.Ports {
			if int64(p) < size && len(out) < n {
				out = append(out, int64(p))
			}
		}
		return out
	}
	for i := int64(0); i < min(size, int64(n)); i++ {
		out = append(out, i)
	}
	return out
}
