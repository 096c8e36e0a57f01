package difftest

import (
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/info"
)

// pick returns the id of one of n objects (by idOf), 0 (all), or one no
// object has.
func pick[T any](g *generator, objs []T, idOf func(T) uint32) uint32 {
	switch x := g.r.IntN(10); {
	case x < 6 && len(objs) > 0:
		return idOf(objs[g.r.IntN(len(objs))])
	case x < 9:
		return 0
	default:
		return 0x7f000000 | uint32(g.r.IntN(1000))
	}
}

// index returns a cell index: none (every cell), a small one, or one out
// of range.
func (g *generator) index(size int64) *p4v1.Index {
	switch g.r.IntN(6) {
	case 0, 1:
		return nil
	case 2:
		return &p4v1.Index{Index: size + int64(g.r.IntN(3))}
	case 3:
		return &p4v1.Index{Index: -1}
	}
	return &p4v1.Index{Index: int64(g.r.IntN(int(max(1, min(size, 8)))))}
}

// wildcard draws a wildcard read of one kind.
func (g *generator) wildcard() *p4v1.Entity {
	in := g.prog.Info
	switch g.r.IntN(13) {
	case 0, 1:
		te := &p4v1.TableEntry{TableId: pick(g, in.Tables, tableID)}
		if g.r.IntN(3) == 0 {
			te.CounterData = &p4v1.CounterData{}
		}
		if g.r.IntN(4) == 0 {
			te.MeterConfig = &p4v1.MeterConfig{}
		}
		if g.r.IntN(5) == 0 {
			te.IsDefaultAction = true
		}
		return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: te}}
	case 2:
		return &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{
			ActionProfileId: pick(g, in.ActionProfiles, profileID), MemberId: uint32(g.r.IntN(3))}}}
	case 3:
		return &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: &p4v1.ActionProfileGroup{
			ActionProfileId: pick(g, in.ActionProfiles, profileID), GroupId: uint32(g.r.IntN(3))}}}
	case 4:
		c := &p4v1.CounterEntry{CounterId: pick(g, in.Counters, func(c *info.Counter) uint32 { return c.ID })}
		if x := in.Counter(c.CounterId); x != nil {
			c.Index = g.index(x.Size)
		}
		return &p4v1.Entity{Entity: &p4v1.Entity_CounterEntry{CounterEntry: c}}
	case 5:
		m := &p4v1.MeterEntry{MeterId: pick(g, in.Meters, func(m *info.Meter) uint32 { return m.ID })}
		if x := in.Meter(m.MeterId); x != nil {
			m.Index = g.index(x.Size)
		}
		return &p4v1.Entity{Entity: &p4v1.Entity_MeterEntry{MeterEntry: m}}
	case 6:
		return &p4v1.Entity{Entity: &p4v1.Entity_DirectCounterEntry{DirectCounterEntry: &p4v1.DirectCounterEntry{
			TableEntry: &p4v1.TableEntry{TableId: pick(g, in.Tables, tableID)}}}}
	case 7:
		return &p4v1.Entity{Entity: &p4v1.Entity_DirectMeterEntry{DirectMeterEntry: &p4v1.DirectMeterEntry{
			TableEntry: &p4v1.TableEntry{TableId: pick(g, in.Tables, tableID)}}}}
	case 8:
		pre := &p4v1.PacketReplicationEngineEntry{}
		switch g.r.IntN(3) {
		case 0:
			pre.Type = &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{MulticastGroupId: uint32(g.r.IntN(4))}}
		case 1:
			pre.Type = &p4v1.PacketReplicationEngineEntry_CloneSessionEntry{CloneSessionEntry: &p4v1.CloneSessionEntry{SessionId: uint32(g.r.IntN(4))}}
		}
		return &p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: pre}}
	case 9:
		return &p4v1.Entity{Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: &p4v1.RegisterEntry{
			RegisterId: pick(g, in.Registers, func(r *info.Register) uint32 { return r.ID })}}}
	case 10:
		return &p4v1.Entity{Entity: &p4v1.Entity_DigestEntry{DigestEntry: &p4v1.DigestEntry{
			DigestId: pick(g, in.Digests, func(d *info.Digest) uint32 { return d.ID })}}}
	case 11:
		return &p4v1.Entity{Entity: &p4v1.Entity_ValueSetEntry{ValueSetEntry: &p4v1.ValueSetEntry{
			ValueSetId: pick(g, in.ValueSets, func(v *info.ValueSet) uint32 { return v.ID })}}}
	}
	return &p4v1.Entity{}
}

func tableID(t *info.Table) uint32           { return t.ID }
func profileID(p *info.ActionProfile) uint32 { return p.ID }
