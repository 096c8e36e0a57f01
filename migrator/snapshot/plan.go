package snapshot

import (
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
)

// Request is one Read of a snapshot: the entities of one kind of one object
// (a table, an action profile, a counter array, ...; nil for PRE kinds).
type Request struct {
	Kind   entity.Kind
	Object info.Object
	Filter *p4v1.Entity
}

// Name says what the request reads, for progress and errors.
func (r Request) Name() string {
	if r.Object == nil {
		return r.Kind.String() + "s"
	}
	return r.Kind.String() + "s of " + r.Object.Pre().Name
}

// Plan lists the reads of a whole-device snapshot for a P4Info, in
// dependency order. Const tables are left out, and so are default entries
// of tables whose default action is const, and the members and groups of
// one-shot action selectors (info.ActionProfile.OneShot): their controller
// writes one-shot action sets, which the table entries carry, and bmv2
// refuses reads of such a selector's members and groups while it holds
// them (issue 16).
func Plan(in *info.Info) []Request {
	var out []Request
	add := func(k entity.Kind, o info.Object, f *p4v1.Entity) {
		out = append(out, Request{Kind: k, Object: o, Filter: f})
	}
	for _, d := range in.Digests {
		add(entity.KindDigest, d, &p4v1.Entity{Entity: &p4v1.Entity_DigestEntry{DigestEntry: &p4v1.DigestEntry{DigestId: d.ID}}})
	}
	for _, v := range in.ValueSets {
		add(entity.KindValueSet, v, &p4v1.Entity{Entity: &p4v1.Entity_ValueSetEntry{ValueSetEntry: &p4v1.ValueSetEntry{ValueSetId: v.ID}}})
	}
	add(entity.KindMulticastGroup, nil, &p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
		Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{}}}}})
	add(entity.KindCloneSession, nil, &p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
		Type: &p4v1.PacketReplicationEngineEntry_CloneSessionEntry{CloneSessionEntry: &p4v1.CloneSessionEntry{}}}}})
	for _, p := range in.ActionProfiles {
		if p.OneShot {
			continue
		}
		add(entity.KindMember, p, &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{ActionProfileId: p.ID}}})
	}
	for _, p := range in.ActionProfiles {
		if p.WithSelector && !p.OneShot {
			add(entity.KindGroup, p, &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: &p4v1.ActionProfileGroup{ActionProfileId: p.ID}}})
		}
	}
	for _, t := range in.Tables {
		if t.IsConst {
			continue
		}
		add(entity.KindTableEntry, t, &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: TableFilter(t)}})
	}
	for _, t := range in.Tables {
		if t.IsConst || t.ConstDefault != nil {
			continue
		}
		add(entity.KindDefaultEntry, t, &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: t.ID, IsDefaultAction: true}}})
	}
	for _, m := range in.Meters {
		add(entity.KindMeter, m, &p4v1.Entity{Entity: &p4v1.Entity_MeterEntry{MeterEntry: &p4v1.MeterEntry{MeterId: m.ID}}})
	}
	for _, c := range in.Counters {
		add(entity.KindCounter, c, &p4v1.Entity{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: c.ID}}})
	}
	for _, r := range in.Registers {
		add(entity.KindRegister, r, &p4v1.Entity{Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: &p4v1.RegisterEntry{RegisterId: r.ID}}})
	}
	return out
}

// TableFilter is the read filter for every entry of t, asking for direct
// counter data and direct meter config when t has them (P4Runtime spec
// 9.1 "TableEntry": the server fills them only when the request sets them).
func TableFilter(t *info.Table) *p4v1.TableEntry {
	f := &p4v1.TableEntry{TableId: t.ID}
	if t.DirectCounter != nil {
		f.CounterData = &p4v1.CounterData{}
	}
	if t.DirectMeter != nil {
		f.MeterConfig = &p4v1.MeterConfig{}
	}
	return f
}
