package difftest

import (
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// mutate gives a valid entity one bad field (P4Runtime spec section 9:
// unknown ids, values of the wrong width, missing or extra parts, ids 0,
// indices out of range), chosen among those its kind has.
func (g *generator) mutate(e *p4v1.Entity) {
	switch x := e.GetEntity().(type) {
	case *p4v1.Entity_TableEntry:
		g.mutateTable(x.TableEntry)
	case *p4v1.Entity_ActionProfileMember:
		m := x.ActionProfileMember
		switch g.r.IntN(4) {
		case 0:
			m.ActionProfileId = g.badID()
		case 1:
			m.MemberId = 0
		case 2:
			m.Action = nil
		default:
			g.mutateAction(m.Action)
		}
	case *p4v1.Entity_ActionProfileGroup:
		gr := x.ActionProfileGroup
		switch g.r.IntN(6) {
		case 0:
			gr.ActionProfileId = g.badID()
		case 1:
			gr.GroupId = 0
		case 2:
			gr.MaxSize = -1 + int32(g.r.IntN(2))*(1<<20)
		case 3:
			gr.Members = append(gr.Members, &p4v1.ActionProfileGroup_Member{MemberId: 1000 + uint32(g.r.IntN(3)), Weight: 1})
		case 4:
			if len(gr.Members) > 0 {
				gr.Members[0].Weight = int32(g.r.IntN(2)) - 1
			}
		default:
			if len(gr.Members) > 0 {
				gr.Members = append(gr.Members, gr.Members[0])
			}
		}
	case *p4v1.Entity_CounterEntry:
		c := x.CounterEntry
		switch g.r.IntN(3) {
		case 0:
			c.CounterId = g.badID()
		case 1:
			c.Index = nil
		default:
			c.Index = &p4v1.Index{Index: -1 - int64(g.r.IntN(2))*(-1<<40)}
		}
	case *p4v1.Entity_MeterEntry:
		m := x.MeterEntry
		switch g.r.IntN(4) {
		case 0:
			m.MeterId = g.badID()
		case 1:
			m.Index = nil
		case 2:
			m.Index = &p4v1.Index{Index: 1 << 40}
		default:
			if m.Config != nil {
				m.Config.Cir, m.Config.Pir = m.Config.Pir+1, m.Config.Cir
			}
		}
	case *p4v1.Entity_DirectCounterEntry:
		if te := x.DirectCounterEntry.TableEntry; te != nil && g.r.IntN(2) == 0 {
			g.mutateMatch(te)
		} else {
			x.DirectCounterEntry.TableEntry = nil
		}
	case *p4v1.Entity_DirectMeterEntry:
		te, c := x.DirectMeterEntry.TableEntry, x.DirectMeterEntry.Config
		switch n := g.r.IntN(3); {
		case te != nil && n == 0:
			g.mutateMatch(te)
		case c != nil && n == 1:
			c.Cburst = -1
		case c != nil: // a peak rate below the committed one
			c.Cir, c.Pir = c.Pir+1, c.Cir
		}
	case *p4v1.Entity_PacketReplicationEngineEntry:
		if mg := x.PacketReplicationEngineEntry.GetMulticastGroupEntry(); mg != nil {
			switch g.r.IntN(3) {
			case 0:
				mg.MulticastGroupId = 0
			case 1:
				mg.MulticastGroupId = 1 << 16
			default:
				if len(mg.Replicas) > 0 {
					mg.Replicas = append(mg.Replicas, mg.Replicas[0])
				}
			}
		} else if cs := x.PacketReplicationEngineEntry.GetCloneSessionEntry(); cs != nil {
			switch g.r.IntN(3) {
			case 0:
				cs.SessionId = 0
			case 1:
				cs.PacketLengthBytes = -1 + int32(g.r.IntN(2))*(1<<20)
			default:
				cs.ClassOfService = 8
			}
		}
	case *p4v1.Entity_DigestEntry:
		d := x.DigestEntry
		switch g.r.IntN(2) {
		case 0:
			d.DigestId = g.badID()
		default:
			d.Config = nil
		}
	case *p4v1.Entity_RegisterEntry:
		x.RegisterEntry.RegisterId = g.badID()
	case *p4v1.Entity_ValueSetEntry:
		x.ValueSetEntry.ValueSetId = g.badID()
	}
}

// badID is an id no object has.
func (g *generator) badID() uint32 {
	if g.r.IntN(3) == 0 {
		return 0
	}
	return 0x7e000000 | uint32(g.r.IntN(1000))
}

func (g *generator) mutateTable(te *p4v1.TableEntry) {
	switch g.r.IntN(9) {
	case 0:
		te.TableId = g.badID()
	case 1, 2:
		g.mutateMatch(te)
	case 3:
		if te.Priority == 0 {
			te.Priority = 1 + int32(g.r.IntN(5))
		} else {
			te.Priority = 0
		}
	case 4:
		te.Action = nil
	case 5:
		if a := te.GetAction().GetAction(); a != nil {
			g.mutateAction(a)
		} else if set := te.GetAction().GetActionProfileActionSet(); set != nil && len(set.ActionProfileActions) > 0 {
			set.ActionProfileActions[0].Weight = int32(g.r.IntN(2)) - 1
		} else if te.GetAction() != nil {
			te.Action = &p4v1.TableAction{Type: &p4v1.TableAction_ActionProfileMemberId{ActionProfileMemberId: 1000}}
		}
	case 6:
		te.IsDefaultAction = !te.IsDefaultAction
	case 7:
		te.IdleTimeoutNs = int64(g.r.IntN(3)-1) * 1e9
	default:
		te.TimeSinceLastHit = &p4v1.TableEntry_IdleTimeout{}
	}
}

// mutateMatch breaks one match field: its width, its id, a duplicate, or
// a prefix or mask that the match kind forbids.
func (g *generator) mutateMatch(te *p4v1.TableEntry) {
	if len(te.Match) == 0 {
		te.Match = append(te.Match, &p4v1.FieldMatch{FieldId: 1, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: []byte{1}}}})
		return
	}
	m := te.Match[g.r.IntN(len(te.Match))]
	switch g.r.IntN(4) {
	case 0:
		m.FieldId += 100
		return
	case 1:
		te.Match = append(te.Match, m)
		return
	}
	switch x := m.FieldMatchType.(type) {
	case *p4v1.FieldMatch_Exact_:
		x.Exact.Value = append([]byte{0xff}, x.Exact.Value...)
	case *p4v1.FieldMatch_Lpm:
		x.Lpm.PrefixLen = int32(len(x.Lpm.Value)*8 + 1 - g.r.IntN(2)*(len(x.Lpm.Value)*8+1))
	case *p4v1.FieldMatch_Ternary_:
		x.Ternary.Mask = make([]byte, len(x.Ternary.Mask))
	case *p4v1.FieldMatch_Range_:
		x.Range.Low, x.Range.High = x.Range.High, append([]byte{0}, x.Range.Low...)
	case *p4v1.FieldMatch_Optional_:
		x.Optional.Value = append([]byte{0xff}, x.Optional.Value...)
	}
}

// mutateAction breaks an action call: an unknown action, a missing, extra
// or too wide parameter.
func (g *generator) mutateAction(a *p4v1.Action) {
	if a == nil {
		return
	}
	switch g.r.IntN(4) {
	case 0:
		a.ActionId = g.badID()
	case 1:
		if len(a.Params) > 0 {
			a.Params = a.Params[1:]
			return
		}
		fallthrough
	case 2:
		a.Params = append(a.Params, &p4v1.Action_Param{ParamId: 99, Value: []byte{1}})
	default:
		if len(a.Params) > 0 {
			a.Params[0].Value = append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, a.Params[0].Value...)
		}
	}
}
