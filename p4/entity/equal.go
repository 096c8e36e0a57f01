package entity

import (
	"fmt"
	"strings"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Config returns the normalised configuration of e: Normalize without the
// volatile values that packets change (counter data, meter colour counts,
// register data, time since last hit). A counter or register cell keeps
// only its identity.
func Config(e *p4v1.Entity) *p4v1.Entity {
	c := Normalize(e)
	clearVolatile(c)
	return c
}

// Volatile returns the normalised volatile values of e alone (nil fields
// elsewhere but the identity), or nil when e has none.
func Volatile(e *p4v1.Entity) *p4v1.Entity {
	n := Normalize(e)
	switch x := n.GetEntity().(type) {
	case *p4v1.Entity_TableEntry:
		te := x.TableEntry
		if te.CounterData == nil && te.MeterCounterData == nil {
			return nil
		}
		return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{
			TableId: te.TableId, Match: te.Match, Priority: te.Priority, IsDefaultAction: te.IsDefaultAction,
			CounterData: te.CounterData, MeterCounterData: te.MeterCounterData}}}
	case *p4v1.Entity_CounterEntry, *p4v1.Entity_DirectCounterEntry, *p4v1.Entity_RegisterEntry:
		return n
	case *p4v1.Entity_MeterEntry:
		x.MeterEntry.Config = nil
		return n
	case *p4v1.Entity_DirectMeterEntry:
		x.DirectMeterEntry.Config = nil
		return n
	}
	return nil
}

func clearVolatile(e *p4v1.Entity) {
	switch x := e.GetEntity().(type) {
	case *p4v1.Entity_TableEntry:
		x.TableEntry.CounterData = nil
		x.TableEntry.MeterCounterData = nil
		x.TableEntry.TimeSinceLastHit = nil
	case *p4v1.Entity_CounterEntry:
		x.CounterEntry.Data = nil
	case *p4v1.Entity_DirectCounterEntry:
		x.DirectCounterEntry.Data = nil
	case *p4v1.Entity_MeterEntry:
		x.MeterEntry.CounterData = nil
	case *p4v1.Entity_DirectMeterEntry:
		x.DirectMeterEntry.CounterData = nil
	case *p4v1.Entity_RegisterEntry:
		x.RegisterEntry.Data = nil
	}
}

// Equal reports whether a and b have the same configuration: equal after
// normalisation, volatile values left out. It does not check that they are
// the same entity (compare keys for that).
func Equal(a, b *p4v1.Entity) bool { return proto.Equal(Config(a), Config(b)) }

// VolatileEqual reports whether the volatile values of a and b are equal.
func VolatileEqual(a, b *p4v1.Entity) bool { return proto.Equal(Volatile(a), Volatile(b)) }

// FieldDiff is one field that differs between two entities.
type FieldDiff struct {
	Path string // e.g. "table_entry.action.action.params[0].value"
	A, B string // the two values, "<unset>" when absent
}

func (d FieldDiff) String() string { return fmt.Sprintf("%s: %s != %s", d.Path, d.A, d.B) }

// Diff lists the fields whose values differ between the configurations of
// a and b (see Config), in field order.
func Diff(a, b *p4v1.Entity) []FieldDiff {
	var out []FieldDiff
	diffMsg("", Config(a).ProtoReflect(), Config(b).ProtoReflect(), &out)
	return out
}

// DiffVolatile lists the differing volatile fields of a and b.
func DiffVolatile(a, b *p4v1.Entity) []FieldDiff {
	va, vb := Volatile(a), Volatile(b)
	var out []FieldDiff
	diffMsg("", va.ProtoReflect(), vb.ProtoReflect(), &out)
	return out
}

const unset = "<unset>"

func diffMsg(prefix string, a, b protoreflect.Message, out *[]FieldDiff) {
	fields := a.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		path := prefix + string(fd.Name())
		ha, hb := a.Has(fd), b.Has(fd) // false on an unset (invalid) message
		if !ha && !hb {
			continue
		}
		switch {
		case fd.IsList():
			la, lb := a.Get(fd).List(), b.Get(fd).List()
			for j := 0; j < max(la.Len(), lb.Len()); j++ {
				p := fmt.Sprintf("%s[%d]", path, j)
				switch {
				case j >= la.Len():
					*out = append(*out, FieldDiff{p, unset, show(fd, lb.Get(j))})
				case j >= lb.Len():
					*out = append(*out, FieldDiff{p, show(fd, la.Get(j)), unset})
				case fd.Message() != nil:
					diffMsg(p+".", la.Get(j).Message(), lb.Get(j).Message(), out)
				case !la.Get(j).Equal(lb.Get(j)):
					*out = append(*out, FieldDiff{p, show(fd, la.Get(j)), show(fd, lb.Get(j))})
				}
			}
		case fd.Message() != nil && !fd.IsMap() && ha == hb:
			diffMsg(path+".", a.Get(fd).Message(), b.Get(fd).Message(), out)
		case ha != hb || !a.Get(fd).Equal(b.Get(fd)):
			sa, sb := unset, unset
			if ha {
				sa = show(fd, a.Get(fd))
			}
			if hb {
				sb = show(fd, b.Get(fd))
			}
			*out = append(*out, FieldDiff{path, sa, sb})
		}
	}
}

func show(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	if fd.IsMap() {
		return fmt.Sprintf("map of %d", v.Map().Len())
	}
	switch fd.Kind() {
	case protoreflect.BytesKind:
		return fmt.Sprintf("0x%x", v.Bytes())
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return compact(v.Message())
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
	}
	return v.String()
}

func compact(m protoreflect.Message) string {
	return strings.Join(strings.Fields(fmt.Sprint(m.Interface())), " ")
}
