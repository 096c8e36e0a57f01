//lint:file-ignore SA1019 P4Runtime 1.3 targets (bmv2, ONOS) use egress_port and controller_metadata; lime carries them

package entity

import (
	"cmp"
	"slices"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/canon"
)

// Normalize returns a copy of e in one canonical form, for comparison:
// canonical bytestrings; match fields, action params and group members
// sorted by id; replicas and value-set members sorted; a replica's
// deprecated egress_port rewritten as the port bytestring. It is meant for
// comparing and displaying entities, not for sending them: P4Runtime 1.3
// targets such as bmv2 know only egress_port. e is not modified.
func Normalize(e *p4v1.Entity) *p4v1.Entity {
	c := proto.Clone(e).(*p4v1.Entity)
	switch x := c.GetEntity().(type) {
	case *p4v1.Entity_TableEntry:
		normTable(x.TableEntry)
	case *p4v1.Entity_ActionProfileMember:
		normAction(x.ActionProfileMember.GetAction())
	case *p4v1.Entity_ActionProfileGroup:
		ms := x.ActionProfileGroup.GetMembers()
		for _, m := range ms {
			if w, ok := m.GetWatchKind().(*p4v1.ActionProfileGroup_Member_WatchPort); ok {
				w.WatchPort = canon.Canonical(w.WatchPort)
			}
		}
		slices.SortStableFunc(ms, func(a, b *p4v1.ActionProfileGroup_Member) int {
			return cmp.Compare(a.GetMemberId(), b.GetMemberId())
		})
	case *p4v1.Entity_DirectCounterEntry:
		normTable(x.DirectCounterEntry.GetTableEntry())
	case *p4v1.Entity_DirectMeterEntry:
		normTable(x.DirectMeterEntry.GetTableEntry())
	case *p4v1.Entity_RegisterEntry:
		normData(x.RegisterEntry.GetData())
	case *p4v1.Entity_PacketReplicationEngineEntry:
		switch p := x.PacketReplicationEngineEntry.GetType().(type) {
		case *p4v1.PacketReplicationEngineEntry_MulticastGroupEntry:
			normReplicas(p.MulticastGroupEntry.GetReplicas())
		case *p4v1.PacketReplicationEngineEntry_CloneSessionEntry:
			normReplicas(p.CloneSessionEntry.GetReplicas())
		}
	case *p4v1.Entity_ValueSetEntry:
		ms := x.ValueSetEntry.GetMembers()
		keys := make(map[*p4v1.ValueSetMember]string, len(ms))
		for _, m := range ms {
			normMatch(m.GetMatch())
			k, _ := matchKey(nil, m.GetMatch())
			keys[m] = string(k)
		}
		slices.SortStableFunc(ms, func(a, b *p4v1.ValueSetMember) int { return cmp.Compare(keys[a], keys[b]) })
	}
	return c
}

// cmpValue orders bytestrings by value.
func cmpValue(a, b []byte) int { return canon.Compare(a, b) }

func normTable(te *p4v1.TableEntry) {
	if te == nil {
		return
	}
	normMatch(te.GetMatch())
	switch a := te.GetAction().GetType().(type) {
	case *p4v1.TableAction_Action:
		normAction(a.Action)
	case *p4v1.TableAction_ActionProfileActionSet:
		for _, pa := range a.ActionProfileActionSet.GetActionProfileActions() {
			normAction(pa.GetAction())
			if w, ok := pa.GetWatchKind().(*p4v1.ActionProfileAction_WatchPort); ok {
				w.WatchPort = canon.Canonical(w.WatchPort)
			}
		}
	}
}

func normMatch(ms []*p4v1.FieldMatch) {
	for _, m := range ms {
		switch x := m.GetFieldMatchType().(type) {
		case *p4v1.FieldMatch_Exact_:
			x.Exact.Value = canon.Canonical(x.Exact.Value)
		case *p4v1.FieldMatch_Lpm:
			x.Lpm.Value = canon.Canonical(x.Lpm.Value)
		case *p4v1.FieldMatch_Ternary_:
			x.Ternary.Value = canon.Canonical(x.Ternary.Value)
			x.Ternary.Mask = canon.Canonical(x.Ternary.Mask)
		case *p4v1.FieldMatch_Range_:
			x.Range.Low = canon.Canonical(x.Range.Low)
			x.Range.High = canon.Canonical(x.Range.High)
		case *p4v1.FieldMatch_Optional_:
			x.Optional.Value = canon.Canonical(x.Optional.Value)
		}
	}
	slices.SortStableFunc(ms, func(a, b *p4v1.FieldMatch) int { return cmp.Compare(a.GetFieldId(), b.GetFieldId()) })
}

func normAction(a *p4v1.Action) {
	if a == nil {
		return
	}
	for _, p := range a.GetParams() {
		p.Value = canon.Canonical(p.Value)
	}
	slices.SortStableFunc(a.Params, func(x, y *p4v1.Action_Param) int { return cmp.Compare(x.GetParamId(), y.GetParamId()) })
}

// normData canonicalises every bitstring inside a P4Data.
func normData(d *p4v1.P4Data) {
	switch x := d.GetData().(type) {
	case *p4v1.P4Data_Bitstring:
		x.Bitstring = canon.Canonical(x.Bitstring)
	case *p4v1.P4Data_Tuple:
		for _, m := range x.Tuple.GetMembers() {
			normData(m)
		}
	case *p4v1.P4Data_Struct:
		for _, m := range x.Struct.GetMembers() {
			normData(m)
		}
	case *p4v1.P4Data_Header:
		for i, b := range x.Header.GetBitstrings() {
			x.Header.Bitstrings[i] = canon.Canonical(b)
		}
	case *p4v1.P4Data_HeaderStack:
		for _, h := range x.HeaderStack.GetEntries() {
			for i, b := range h.GetBitstrings() {
				h.Bitstrings[i] = canon.Canonical(b)
			}
		}
	}
}

func normReplicas(rs []*p4v1.Replica) {
	for _, r := range rs {
		normReplica(r)
		for _, b := range r.GetBackupReplicas() {
			b.Port = canon.Canonical(b.Port)
		}
	}
	slices.SortStableFunc(rs, func(a, b *p4v1.Replica) int {
		if c := cmpValue(a.GetPort(), b.GetPort()); c != 0 {
			return c
		}
		return cmp.Compare(a.GetInstance(), b.GetInstance())
	})
}

// normReplica rewrites a replica's port as a canonical port bytestring.
func normReplica(r *p4v1.Replica) {
	switch p := r.GetPortKind().(type) {
	case *p4v1.Replica_EgressPort:
		r.PortKind = &p4v1.Replica_Port{Port: canon.FromUint64(uint64(p.EgressPort))}
	case *p4v1.Replica_Port:
		p.Port = canon.Canonical(p.Port)
	}
}
