//lint:file-ignore SA1019 P4Runtime 1.3 targets (bmv2, ONOS) use egress_port and controller_metadata; lime carries them

package translate

import (
	"bytes"
	"fmt"
	"slices"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
)

// Entity returns e translated; e is not modified. The error names the
// entity (as given) and the value at fault.
func (t *Translator) Entity(e *p4v1.Entity) (*p4v1.Entity, error) {
	return (&tx{Translator: t}).copyOf(e)
}

// copyOf translates a copy of e.
func (t *tx) copyOf(e *p4v1.Entity) (*p4v1.Entity, error) {
	c := cloneEntity(e)
	if err := t.entity(c); err != nil {
		return nil, fmt.Errorf("%s: %w", entity.Describe(e, t.From), err)
	}
	return c, nil
}

// Filter translates a read filter (spec section 11.1 "Wildcard Reads"): as
// Entity, except that a filter whose object id is 0 (every table, profile,
// array, digest or value set) is a wildcard over every object and stays
// as it is.
func (t *Translator) Filter(e *p4v1.Entity) (*p4v1.Entity, error) {
	var id uint32 = 1
	switch x := e.GetEntity().(type) {
	case *p4v1.Entity_TableEntry:
		id = x.TableEntry.GetTableId()
	case *p4v1.Entity_DirectCounterEntry:
		id = x.DirectCounterEntry.GetTableEntry().GetTableId()
	case *p4v1.Entity_DirectMeterEntry:
		id = x.DirectMeterEntry.GetTableEntry().GetTableId()
	case *p4v1.Entity_ActionProfileMember:
		id = x.ActionProfileMember.GetActionProfileId()
	case *p4v1.Entity_ActionProfileGroup:
		id = x.ActionProfileGroup.GetActionProfileId()
	case *p4v1.Entity_CounterEntry:
		id = x.CounterEntry.GetCounterId()
	case *p4v1.Entity_MeterEntry:
		id = x.MeterEntry.GetMeterId()
	case *p4v1.Entity_RegisterEntry:
		id = x.RegisterEntry.GetRegisterId()
	case *p4v1.Entity_DigestEntry:
		id = x.DigestEntry.GetDigestId()
	case *p4v1.Entity_ValueSetEntry:
		id = x.ValueSetEntry.GetValueSetId()
	case *p4v1.Entity_ExternEntry:
		id = x.ExternEntry.GetExternTypeId()
	}
	if id == 0 {
		return proto.Clone(e).(*p4v1.Entity), nil
	}
	return t.Entity(e)
}

// EntityInPlace translates e by modifying it, without the cost of a copy.
// On error e may be partly translated, so the error names only the value at
// fault; describe the entity from an untouched copy if needed.
func (t *Translator) EntityInPlace(e *p4v1.Entity) error {
	return (&tx{Translator: t}).entity(e)
}

// tx is one translation: the translator, and whether it changed anything
// (an id, a value, a replica left out as a duplicate). A dry one notes
// the changes without making them: the entity is left as it is.
type tx struct {
	*Translator
	dry, changed bool
}

// setID sets *id to v, noting a change.
func (t *tx) setID(id *uint32, v uint32) {
	if *id != v {
		t.changed = true
		if !t.dry {
			*id = v
		}
	}
}

// setBytes sets *b to v, noting a change.
func (t *tx) setBytes(b *[]byte, v []byte) {
	if !bytes.Equal(*b, v) {
		t.changed = true
	}
	if !t.dry {
		*b = v
	}
}

func (t *tx) entity(e *p4v1.Entity) error {
	switch x := e.GetEntity().(type) {
	case *p4v1.Entity_TableEntry:
		return t.tableEntry(x.TableEntry)
	case *p4v1.Entity_ActionProfileMember:
		m := x.ActionProfileMember
		if err := t.topID(&m.ActionProfileId, "action profile"); err != nil {
			return err
		}
		return t.action(m.Action)
	case *p4v1.Entity_ActionProfileGroup:
		g := x.ActionProfileGroup
		if err := t.topID(&g.ActionProfileId, "action profile"); err != nil {
			return err
		}
		for _, m := range g.Members {
			if w, ok := m.WatchKind.(*p4v1.ActionProfileGroup_Member_WatchPort); ok {
				p, err := t.OutputPorts().Bytes(w.WatchPort, t.stringPorts, 0)
				if err != nil {
					return fmt.Errorf("member %d watch port: %w", m.MemberId, err)
				}
				t.setBytes(&w.WatchPort, p)
			}
		}
		return nil
	case *p4v1.Entity_CounterEntry:
		return t.cell(&x.CounterEntry.CounterId, x.CounterEntry.Index, info.KindCounter)
	case *p4v1.Entity_MeterEntry:
		return t.cell(&x.MeterEntry.MeterId, x.MeterEntry.Index, info.KindMeter)
	case *p4v1.Entity_RegisterEntry:
		return t.cell(&x.RegisterEntry.RegisterId, x.RegisterEntry.Index, info.KindRegister)
	case *p4v1.Entity_DirectCounterEntry:
		return t.tableEntry(x.DirectCounterEntry.TableEntry)
	case *p4v1.Entity_DirectMeterEntry:
		return t.tableEntry(x.DirectMeterEntry.TableEntry)
	case *p4v1.Entity_PacketReplicationEngineEntry:
		switch p := x.PacketReplicationEngineEntry.Type.(type) {
		case *p4v1.PacketReplicationEngineEntry_MulticastGroupEntry:
			return t.replicas(&p.MulticastGroupEntry.Replicas)
		case *p4v1.PacketReplicationEngineEntry_CloneSessionEntry:
			return t.replicas(&p.CloneSessionEntry.Replicas)
		}
		return fmt.Errorf("%w: empty PRE entry", entity.ErrMalformed)
	case *p4v1.Entity_DigestEntry:
		return t.topID(&x.DigestEntry.DigestId, "digest")
	case *p4v1.Entity_ValueSetEntry:
		v := x.ValueSetEntry
		vp := t.valueSets[v.ValueSetId]
		if vp == nil {
			return unknown("value set", v.ValueSetId)
		}
		t.setID(&v.ValueSetId, vp.to.ID)
		for _, m := range v.Members {
			if err := t.match(m.Match, vp.fields); err != nil {
				return err
			}
		}
		return nil
	case *p4v1.Entity_ExternEntry:
		return t.topID(&x.ExternEntry.ExternId, "extern")
	}
	return fmt.Errorf("%w: no entity set", entity.ErrMalformed)
}

// topID translates a top-level id in place.
func (t *tx) topID(id *uint32, what string) error {
	x, ok := t.ids[*id]
	if !ok {
		return unknown(what, *id)
	}
	t.setID(id, x)
	return nil
}

// Cell translates the array id and index of a counter, meter or register
// cell (the index is a port in arrays indexed by port), without an entity.
func (t *Translator) Cell(c entity.Cell) (entity.Cell, error) {
	k := info.KindCounter
	if c.Kind == entity.KindRegister {
		k = info.KindRegister
	}
	i := &p4v1.Index{Index: c.Index}
	if err := (&tx{Translator: t}).cell(&c.ID, i, k); err != nil {
		return c, err
	}
	c.Index = i.Index
	return c, nil
}

// cell translates the array id and, for arrays indexed by port, the index
// of a counter, meter or register cell.
func (t *tx) cell(id *uint32, i *p4v1.Index, k info.Kind) error {
	o, ok := t.From.Lookup(*id)
	if !ok || o.Kind() != k {
		return unknown(k.String(), *id)
	}
	t.setID(id, t.ids[*id])
	var isPort bool
	switch a := o.(type) {
	case *info.Counter:
		isPort = a.IndexIsPort
	case *info.Meter:
		isPort = a.IndexIsPort
	case *info.Register:
		isPort = a.IndexIsPort
	}
	return t.index(i, isPort)
}

func (t *tx) index(i *p4v1.Index, isPort bool) error {
	if i == nil || !isPort {
		return nil
	}
	p, err := t.ports.Number(uint64(i.Index))
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	if i.Index != int64(p) {
		t.changed = true
		if !t.dry {
			i.Index = int64(p)
		}
	}
	return nil
}

func (t *tx) tableEntry(te *p4v1.TableEntry) error {
	if te == nil {
		return fmt.Errorf("%w: no table entry", entity.ErrMalformed)
	}
	tp := t.tables[te.TableId]
	if tp == nil {
		return unknown("table", te.TableId)
	}
	t.setID(&te.TableId, tp.to.ID)
	if err := t.match(te.Match, tp.fields); err != nil {
		return err
	}
	switch a := te.GetAction().GetType().(type) {
	case *p4v1.TableAction_Action:
		return t.action(a.Action)
	case *p4v1.TableAction_ActionProfileActionSet:
		for _, pa := range a.ActionProfileActionSet.ActionProfileActions {
			if err := t.action(pa.Action); err != nil {
				return err
			}
			if w, ok := pa.WatchKind.(*p4v1.ActionProfileAction_WatchPort); ok {
				p, err := t.OutputPorts().Bytes(w.WatchPort, t.stringPorts, 0)
				if err != nil {
					return fmt.Errorf("watch port: %w", err)
				}
				t.setBytes(&w.WatchPort, p)
			}
		}
	}
	return nil
}

func (t *tx) match(ms []*p4v1.FieldMatch, fields map[uint32]fieldPair) error {
	for _, m := range ms {
		fp, ok := fields[m.FieldId]
		if !ok {
			return fmt.Errorf("%w: match field %d", ErrUnknownID, m.FieldId)
		}
		t.setID(&m.FieldId, fp.to.ID)
		if !fp.from.IsPort {
			continue
		}
		if err := t.portMatch(m, fp); err != nil {
			return fmt.Errorf("match field %s: %w", fp.from.Name, err)
		}
	}
	return nil
}

// portMatch translates the value of a match on a port field: a match that
// names one port maps it (it must be in the map); one that covers several
// values is translated when the map carries it exactly (partialPortMatch).
func (t *tx) portMatch(m *p4v1.FieldMatch, fp fieldPair) error {
	port := func(v []byte) ([]byte, error) { return t.ports.Bytes(v, fp.from.IsString, fp.to.Width) }
	if !fp.from.IsString {
		if done, err := t.partialPortMatch(m, fp); done || err != nil {
			return err
		}
	}
	var err error
	var v []byte
	switch x := m.FieldMatchType.(type) {
	case *p4v1.FieldMatch_Exact_:
		if v, err = port(x.Exact.Value); err == nil {
			t.setBytes(&x.Exact.Value, v)
		}
	case *p4v1.FieldMatch_Optional_:
		if v, err = port(x.Optional.Value); err == nil {
			t.setBytes(&x.Optional.Value, v)
		}
	case *p4v1.FieldMatch_Ternary_:
		if fp.from.IsString {
			return fmt.Errorf("%w: ternary match on a string port", ErrPortMatch)
		}
		if v, err = port(x.Ternary.Value); err == nil {
			t.setBytes(&x.Ternary.Value, v)
			t.setBytes(&x.Ternary.Mask, ones(fp.to.Width))
		}
	case *p4v1.FieldMatch_Lpm:
		if fp.from.IsString {
			return fmt.Errorf("%w: LPM match on a string port", ErrPortMatch)
		}
		if v, err = port(x.Lpm.Value); err == nil {
			t.setBytes(&x.Lpm.Value, v)
			if x.Lpm.PrefixLen != int32(fp.to.Width) {
				t.changed = true
				if !t.dry {
					x.Lpm.PrefixLen = int32(fp.to.Width)
				}
			}
		}
	case *p4v1.FieldMatch_Range_:
		if !canon.Equal(x.Range.Low, x.Range.High) {
			return fmt.Errorf("%w: range 0x%x..0x%x of string ports", ErrPortMatch, x.Range.Low, x.Range.High)
		}
		if v, err = port(x.Range.Low); err == nil {
			t.setBytes(&x.Range.Low, v)
			t.setBytes(&x.Range.High, v)
		}
	}
	return err
}

func fullMask(m []byte) bool {
	n := 0
	for _, b := range m {
		for ; b != 0; b &= b - 1 {
			n++
		}
	}
	return n == canon.BitLen(m)
}

// ones returns the canonical all-ones value of a width.
func ones(width int) []byte {
	b := make([]byte, canon.ByteLen(width))
	for i := range b {
		b[i] = 0xff
	}
	if r := width % 8; r != 0 {
		b[0] = byte(1<<r - 1)
	}
	return b
}

func (t *tx) action(a *p4v1.Action) error {
	if a == nil {
		return nil
	}
	ap := t.actions[a.ActionId]
	if ap == nil {
		return unknown("action", a.ActionId)
	}
	t.setID(&a.ActionId, ap.to.ID)
	for _, p := range a.Params {
		to, ok := ap.params[p.ParamId]
		if !ok {
			return fmt.Errorf("%w: param %d of action %s", ErrUnknownID, p.ParamId, ap.from.Name)
		}
		if from := ap.from.Param(p.ParamId); from.IsPort {
			v, err := t.OutputPorts().Bytes(p.Value, from.IsString, to.Width)
			if err != nil {
				return fmt.Errorf("param %s of action %s: %w", from.Name, ap.from.Name, err)
			}
			t.setBytes(&p.Value, v)
		}
		t.setID(&p.ParamId, to.ID)
	}
	return nil
}

// replicas translates the replicas' ports; replicas that become the same
// (several ports sent to one output, as hosts not moved yet to a trunk)
// are kept once: a switch refuses a group with a replica twice.
func (t *tx) replicas(list *[]*p4v1.Replica) error {
	rs := *list
	for _, r := range rs {
		switch p := r.PortKind.(type) {
		case *p4v1.Replica_EgressPort:
			q, err := t.OutputPorts().Number(uint64(p.EgressPort))
			if err != nil {
				return fmt.Errorf("replica: %w", err)
			}
			t.setID(&p.EgressPort, uint32(q))
		case *p4v1.Replica_Port:
			q, err := t.OutputPorts().Bytes(p.Port, t.stringPorts, 0)
			if err != nil {
				return fmt.Errorf("replica: %w", err)
			}
			t.setBytes(&p.Port, q)
		}
		for _, b := range r.BackupReplicas {
			q, err := t.OutputPorts().Bytes(b.Port, t.stringPorts, 0)
			if err != nil {
				return fmt.Errorf("backup replica: %w", err)
			}
			t.setBytes(&b.Port, q)
		}
	}
	for i := 1; i < len(rs); i++ {
		if slices.ContainsFunc(rs[:i], func(r *p4v1.Replica) bool { return proto.Equal(r, rs[i]) }) {
			t.changed = true
			if t.dry { // untranslated: the same replicas, unless a port changed
				return nil
			}
			rs = slices.Delete(rs, i, i+1)
			i--
		}
	}
	if t.dry {
		return nil
	}
	*list = rs
	return nil
}
