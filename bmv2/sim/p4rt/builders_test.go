package p4rt_test

//lint:file-ignore SA1019 tests write replicas the way P4Runtime 1.3 clients do

import (
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/info"
)

func exact(id uint32, v ...byte) *p4v1.FieldMatch {
	return &p4v1.FieldMatch{FieldId: id, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: v}}}
}

func lpm(id uint32, plen int32, v ...byte) *p4v1.FieldMatch {
	return &p4v1.FieldMatch{FieldId: id, FieldMatchType: &p4v1.FieldMatch_Lpm{Lpm: &p4v1.FieldMatch_LPM{Value: v, PrefixLen: plen}}}
}

func ternary(id uint32, v, m []byte) *p4v1.FieldMatch {
	return &p4v1.FieldMatch{FieldId: id, FieldMatchType: &p4v1.FieldMatch_Ternary_{Ternary: &p4v1.FieldMatch_Ternary{Value: v, Mask: m}}}
}

func rangeMatch(id uint32, lo, hi []byte) *p4v1.FieldMatch {
	return &p4v1.FieldMatch{FieldId: id, FieldMatchType: &p4v1.FieldMatch_Range_{Range: &p4v1.FieldMatch_Range{Low: lo, High: hi}}}
}

func optional(id uint32, v ...byte) *p4v1.FieldMatch {
	return &p4v1.FieldMatch{FieldId: id, FieldMatchType: &p4v1.FieldMatch_Optional_{Optional: &p4v1.FieldMatch_Optional{Value: v}}}
}

func param(id uint32, v ...byte) *p4v1.Action_Param { return &p4v1.Action_Param{ParamId: id, Value: v} }

func act(a *info.Action, ps ...*p4v1.Action_Param) *p4v1.TableAction {
	return &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: a.ID, Params: ps}}}
}

func memberAction(id uint32) *p4v1.TableAction {
	return &p4v1.TableAction{Type: &p4v1.TableAction_ActionProfileMemberId{ActionProfileMemberId: id}}
}

func groupAction(id uint32) *p4v1.TableAction {
	return &p4v1.TableAction{Type: &p4v1.TableAction_ActionProfileGroupId{ActionProfileGroupId: id}}
}

func memberEntity(ap, id uint32, a *p4v1.Action) *p4v1.Entity {
	return &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{ActionProfileId: ap, MemberId: id, Action: a}}}
}

func groupEntity(ap, id uint32, maxSize int32, members ...*p4v1.ActionProfileGroup_Member) *p4v1.Entity {
	return &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: &p4v1.ActionProfileGroup{ActionProfileId: ap, GroupId: id, MaxSize: maxSize, Members: members}}}
}

func gm(id uint32, w int32) *p4v1.ActionProfileGroup_Member {
	return &p4v1.ActionProfileGroup_Member{MemberId: id, Weight: w}
}

func counterEntity(id uint32, index *p4v1.Index, d *p4v1.CounterData) *p4v1.Entity {
	return &p4v1.Entity{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: id, Index: index, Data: d}}}
}

func meterEntity(id uint32, index *p4v1.Index, c *p4v1.MeterConfig) *p4v1.Entity {
	return &p4v1.Entity{Entity: &p4v1.Entity_MeterEntry{MeterEntry: &p4v1.MeterEntry{MeterId: id, Index: index, Config: c}}}
}

func registerEntity(id uint32, index *p4v1.Index, v []byte) *p4v1.Entity {
	e := &p4v1.RegisterEntry{RegisterId: id, Index: index}
	if v != nil {
		e.Data = &p4v1.P4Data{Data: &p4v1.P4Data_Bitstring{Bitstring: v}}
	}
	return &p4v1.Entity{Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: e}}
}

func directCounterEntity(te *p4v1.TableEntry, d *p4v1.CounterData) *p4v1.Entity {
	return &p4v1.Entity{Entity: &p4v1.Entity_DirectCounterEntry{DirectCounterEntry: &p4v1.DirectCounterEntry{TableEntry: te, Data: d}}}
}

func directMeterEntity(te *p4v1.TableEntry, c *p4v1.MeterConfig) *p4v1.Entity {
	return &p4v1.Entity{Entity: &p4v1.Entity_DirectMeterEntry{DirectMeterEntry: &p4v1.DirectMeterEntry{TableEntry: te, Config: c}}}
}

func mcastEntity(id uint32, rs ...*p4v1.Replica) *p4v1.Entity {
	return preQuery(&p4v1.PacketReplicationEngineEntry{Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{MulticastGroupId: id, Replicas: rs}}})
}

func cloneEntity(id uint32, cos uint32, rs ...*p4v1.Replica) *p4v1.Entity {
	return preQuery(&p4v1.PacketReplicationEngineEntry{Type: &p4v1.PacketReplicationEngineEntry_CloneSessionEntry{CloneSessionEntry: &p4v1.CloneSessionEntry{SessionId: id, ClassOfService: cos, Replicas: rs}}})
}

func replica(port uint32, instance uint32) *p4v1.Replica {
	return &p4v1.Replica{PortKind: &p4v1.Replica_EgressPort{EgressPort: port}, Instance: instance}
}

func replicaBytes(port []byte, instance uint32) *p4v1.Replica {
	return &p4v1.Replica{PortKind: &p4v1.Replica_Port{Port: port}, Instance: instance}
}

func digestEntity(id uint32, c *p4v1.DigestEntry_Config) *p4v1.Entity {
	return &p4v1.Entity{Entity: &p4v1.Entity_DigestEntry{DigestEntry: &p4v1.DigestEntry{DigestId: id, Config: c}}}
}
