package entity

import (
	"fmt"
	"strings"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/info"
)

// Describe names e for people: its kind and identity, with P4Info names
// when infos are given (ids otherwise; each id is looked up in each info in
// turn, so an entity half-way through translation is still named), e.g.
//
//	table entry ingress.acl{hdr.ipv4.dst_addr=0xa000001&&&0xffffffff} prio 10
//	counter ingress.port_counter[3]
func Describe(e *p4v1.Entity, infos ...*info.Info) string {
	n := names{infos}
	switch k := KindOf(e); k {
	case KindTableEntry, KindDefaultEntry:
		return k.String() + " " + n.entry(e.GetTableEntry())
	case KindDirectCounter:
		return "direct counter of " + n.entry(e.GetDirectCounterEntry().GetTableEntry())
	case KindDirectMeter:
		return "direct meter of " + n.entry(e.GetDirectMeterEntry().GetTableEntry())
	case KindMember:
		m := e.GetActionProfileMember()
		return fmt.Sprintf("member %d of %s", m.GetMemberId(), n.of(m.GetActionProfileId()))
	case KindGroup:
		g := e.GetActionProfileGroup()
		return fmt.Sprintf("group %d of %s", g.GetGroupId(), n.of(g.GetActionProfileId()))
	case KindCounter:
		c := e.GetCounterEntry()
		return "counter " + n.of(c.GetCounterId()) + index(c.GetIndex())
	case KindMeter:
		m := e.GetMeterEntry()
		return "meter " + n.of(m.GetMeterId()) + index(m.GetIndex())
	case KindRegister:
		r := e.GetRegisterEntry()
		return "register " + n.of(r.GetRegisterId()) + index(r.GetIndex())
	case KindMulticastGroup:
		return fmt.Sprintf("multicast group %d", e.GetPacketReplicationEngineEntry().GetMulticastGroupEntry().GetMulticastGroupId())
	case KindCloneSession:
		return fmt.Sprintf("clone session %d", e.GetPacketReplicationEngineEntry().GetCloneSessionEntry().GetSessionId())
	case KindDigest:
		return "digest config " + n.of(e.GetDigestEntry().GetDigestId())
	case KindValueSet:
		return "value set " + n.of(e.GetValueSetEntry().GetValueSetId())
	case KindExtern:
		x := e.GetExternEntry()
		return fmt.Sprintf("extern entry of type %d instance %s", x.GetExternTypeId(), n.of(x.GetExternId()))
	}
	return "malformed entity"
}

func index(i *p4v1.Index) string {
	if i == nil {
		return "[*]"
	}
	return fmt.Sprintf("[%d]", i.GetIndex())
}

type names struct{ infos []*info.Info }

func (n names) of(id uint32) string {
	for _, in := range n.infos {
		if in == nil {
			continue
		}
		if o, ok := in.Lookup(id); ok {
			return o.Pre().Name
		}
	}
	return fmt.Sprintf("0x%08x", id)
}

func (n names) table(id uint32) *info.Table {
	for _, in := range n.infos {
		if in == nil {
			continue
		}
		if t := in.Table(id); t != nil {
			return t
		}
	}
	return nil
}

func (n names) entry(te *p4v1.TableEntry) string {
	var b strings.Builder
	b.WriteString(n.of(te.GetTableId()))
	if te.GetIsDefaultAction() {
		return b.String()
	}
	t := n.table(te.GetTableId())
	b.WriteByte('{')
	for i, m := range te.GetMatch() {
		if i > 0 {
			b.WriteByte(' ')
		}
		name := fmt.Sprint(m.GetFieldId())
		if t != nil && t.Field(m.GetFieldId()) != nil {
			name = t.Field(m.GetFieldId()).Name
		}
		b.WriteString(name)
		b.WriteByte('=')
		switch x := m.GetFieldMatchType().(type) {
		case *p4v1.FieldMatch_Exact_:
			b.WriteString(hex(x.Exact.GetValue()))
		case *p4v1.FieldMatch_Lpm:
			fmt.Fprintf(&b, "%s/%d", hex(x.Lpm.GetValue()), x.Lpm.GetPrefixLen())
		case *p4v1.FieldMatch_Ternary_:
			fmt.Fprintf(&b, "%s&&&%s", hex(x.Ternary.GetValue()), hex(x.Ternary.GetMask()))
		case *p4v1.FieldMatch_Range_:
			fmt.Fprintf(&b, "%s..%s", hex(x.Range.GetLow()), hex(x.Range.GetHigh()))
		case *p4v1.FieldMatch_Optional_:
			fmt.Fprintf(&b, "%s?", hex(x.Optional.GetValue()))
		default:
			b.WriteString("?")
		}
	}
	b.WriteByte('}')
	if p := te.GetPriority(); p != 0 {
		fmt.Fprintf(&b, " prio %d", p)
	}
	return b.String()
}

func hex(v []byte) string { return fmt.Sprintf("0x%x", canon.Canonical(v)) }
