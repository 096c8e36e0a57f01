package translate

import (
	"bytes"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"
)

// cloneEntity is proto.Clone for an entity to translate: a table entry
// with a direct action or none (what a controller writes most) is copied
// field by field, without reflection (proto.Clone was the proxy's main
// cost in a mirrored write, issue 14); anything else, or anything that
// carries fields this build does not know, goes through proto.Clone. The
// copy shares nothing with e. TestCloneEntityCopiesEveryField fails when
// a p4runtime upgrade adds a field this copy would drop.
func cloneEntity(e *p4v1.Entity) *p4v1.Entity {
	x, ok := e.GetEntity().(*p4v1.Entity_TableEntry)
	if !ok || hasUnknown(e) {
		return proto.Clone(e).(*p4v1.Entity)
	}
	te, ok := cloneTableEntry(x.TableEntry)
	if !ok {
		return proto.Clone(e).(*p4v1.Entity)
	}
	return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: te}}
}

// hasUnknown reports whether m carries fields this build does not know.
func hasUnknown(m proto.Message) bool { return len(m.ProtoReflect().GetUnknown()) > 0 }

// cloneTableEntry copies te; ok false when it holds what only
// proto.Clone copies (unknown fields, an action other than a direct one,
// a match of another kind).
func cloneTableEntry(te *p4v1.TableEntry) (*p4v1.TableEntry, bool) {
	if te == nil || hasUnknown(te) { // nil in its oneof: proto.Clone's empty entry
		return nil, false
	}
	n := &p4v1.TableEntry{
		TableId:         te.TableId,
		Priority:        te.Priority,
		IsDefaultAction: te.IsDefaultAction,
		IdleTimeoutNs:   te.IdleTimeoutNs,
		Metadata:        bytes.Clone(te.Metadata),
		IsConst:         te.IsConst,
	}
	//lint:ignore SA1019 deprecated, but a controller may still write it: carried as written
	n.ControllerMetadata = te.ControllerMetadata
	if te.MeterConfig != nil {
		n.MeterConfig = proto.Clone(te.MeterConfig).(*p4v1.MeterConfig)
	}
	if te.CounterData != nil {
		n.CounterData = proto.Clone(te.CounterData).(*p4v1.CounterData)
	}
	if te.MeterCounterData != nil {
		n.MeterCounterData = proto.Clone(te.MeterCounterData).(*p4v1.MeterCounterData)
	}
	if te.TimeSinceLastHit != nil {
		n.TimeSinceLastHit = proto.Clone(te.TimeSinceLastHit).(*p4v1.TableEntry_IdleTimeout)
	}
	if te.Match != nil {
		n.Match = make([]*p4v1.FieldMatch, len(te.Match))
		for i, m := range te.Match {
			c, ok := cloneFieldMatch(m)
			if !ok {
				return nil, false
			}
			n.Match[i] = c
		}
	}
	if te.Action != nil {
		if hasUnknown(te.Action) {
			return nil, false
		}
		n.Action = &p4v1.TableAction{}
		switch a := te.Action.Type.(type) {
		case nil:
		case *p4v1.TableAction_Action:
			c, ok := cloneAction(a.Action)
			if !ok {
				return nil, false
			}
			n.Action.Type = &p4v1.TableAction_Action{Action: c}
		case *p4v1.TableAction_ActionProfileMemberId:
			n.Action.Type = &p4v1.TableAction_ActionProfileMemberId{ActionProfileMemberId: a.ActionProfileMemberId}
		case *p4v1.TableAction_ActionProfileGroupId:
			n.Action.Type = &p4v1.TableAction_ActionProfileGroupId{ActionProfileGroupId: a.ActionProfileGroupId}
		default:
			return nil, false
		}
	}
	return n, true
}

func cloneAction(a *p4v1.Action) (*p4v1.Action, bool) {
	if a == nil || hasUnknown(a) { // nil in its oneof: proto.Clone's empty action
		return nil, false
	}
	n := &p4v1.Action{ActionId: a.ActionId}
	if a.Params != nil {
		n.Params = make([]*p4v1.Action_Param, len(a.Params))
		for i, p := range a.Params {
			if p == nil || hasUnknown(p) {
				return nil, false
			}
			n.Params[i] = &p4v1.Action_Param{ParamId: p.ParamId, Value: bytes.Clone(p.Value)}
		}
	}
	return n, true
}

func cloneFieldMatch(m *p4v1.FieldMatch) (*p4v1.FieldMatch, bool) {
	if m == nil || hasUnknown(m) {
		return nil, false
	}
	n := &p4v1.FieldMatch{FieldId: m.FieldId}
	switch x := m.FieldMatchType.(type) {
	case nil:
	case *p4v1.FieldMatch_Exact_:
		if x.Exact == nil || hasUnknown(x.Exact) {
			return nil, false
		}
		n.FieldMatchType = &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: bytes.Clone(x.Exact.Value)}}
	case *p4v1.FieldMatch_Ternary_:
		if x.Ternary == nil || hasUnknown(x.Ternary) {
			return nil, false
		}
		n.FieldMatchType = &p4v1.FieldMatch_Ternary_{Ternary: &p4v1.FieldMatch_Ternary{
			Value: bytes.Clone(x.Ternary.Value), Mask: bytes.Clone(x.Ternary.Mask)}}
	case *p4v1.FieldMatch_Lpm:
		if x.Lpm == nil || hasUnknown(x.Lpm) {
			return nil, false
		}
		n.FieldMatchType = &p4v1.FieldMatch_Lpm{Lpm: &p4v1.FieldMatch_LPM{
			Value: bytes.Clone(x.Lpm.Value), PrefixLen: x.Lpm.PrefixLen}}
	case *p4v1.FieldMatch_Range_:
		if x.Range == nil || hasUnknown(x.Range) {
			return nil, false
		}
		n.FieldMatchType = &p4v1.FieldMatch_Range_{Range: &p4v1.FieldMatch_Range{
			Low: bytes.Clone(x.Range.Low), High: bytes.Clone(x.Range.High)}}
	case *p4v1.FieldMatch_Optional_:
		if x.Optional == nil || hasUnknown(x.Optional) {
			return nil, false
		}
		n.FieldMatchType = &p4v1.FieldMatch_Optional_{Optional: &p4v1.FieldMatch_Optional{Value: bytes.Clone(x.Optional.Value)}}
	default:
		return nil, false
	}
	return n, true
}
