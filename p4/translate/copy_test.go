package translate

import (
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// fill sets every field of m that is not in a oneof to a value that is not
// its default (messages filled in turn, down to a depth), so that a copy
// that drops a field, or one a p4runtime upgrade adds, differs.
func fill(m protoreflect.Message, depth int) {
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.ContainingOneof() != nil && !fd.ContainingOneof().IsSynthetic() || fd.IsMap() {
			continue
		}
		if fd.IsList() {
			l := m.Mutable(fd).List()
			for range 2 {
				if fd.Kind() == protoreflect.MessageKind {
					if depth > 0 {
						e := l.NewElement()
						fill(e.Message(), depth-1)
						l.Append(e)
					}
					continue
				}
				l.Append(scalar(fd))
			}
			continue
		}
		if fd.Kind() == protoreflect.MessageKind {
			if depth > 0 {
				fill(m.Mutable(fd).Message(), depth-1)
			}
			continue
		}
		m.Set(fd, scalar(fd))
	}
}

func scalar(fd protoreflect.FieldDescriptor) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(1)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(7)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(7)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(7)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(7)
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(7)
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(7)
	case protoreflect.StringKind:
		return protoreflect.ValueOfString("seven")
	}
	return protoreflect.ValueOfBytes([]byte{7, 7})
}

// scribble overwrites, in place, every byte of every bytes field of m:
// a copy that shares a value with its original shows it there.
func scribble(m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Kind() == protoreflect.MessageKind:
			for i := range v.List().Len() {
				scribble(v.List().Get(i).Message())
			}
		case fd.Kind() == protoreflect.MessageKind:
			scribble(v.Message())
		case fd.Kind() == protoreflect.BytesKind && !fd.IsList():
			for i := range v.Bytes() {
				v.Bytes()[i] = 0xee
			}
		}
		return true
	})
}

// cloneEntity (issue 14: the proxy's copy of a write it translates) gives
// what proto.Clone gives, for table entries with every field set and each
// kind of match and action, sharing nothing with its original; what it
// does not copy itself (unknown fields, an action set) it leaves to
// proto.Clone.
func TestCloneEntityCopiesEveryField(t *testing.T) {
	te := &p4v1.TableEntry{}
	fill(te.ProtoReflect(), 3)
	te.Match = nil
	for _, fm := range []*p4v1.FieldMatch{
		{FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{}}},
		{FieldMatchType: &p4v1.FieldMatch_Ternary_{Ternary: &p4v1.FieldMatch_Ternary{}}},
		{FieldMatchType: &p4v1.FieldMatch_Lpm{Lpm: &p4v1.FieldMatch_LPM{}}},
		{FieldMatchType: &p4v1.FieldMatch_Range_{Range: &p4v1.FieldMatch_Range{}}},
		{FieldMatchType: &p4v1.FieldMatch_Optional_{Optional: &p4v1.FieldMatch_Optional{}}},
		{},
	} {
		fill(fm.ProtoReflect(), 0)
		if x := fm.ProtoReflect().WhichOneof(fm.ProtoReflect().Descriptor().Oneofs().Get(0)); x != nil {
			fill(fm.ProtoReflect().Mutable(x).Message(), 0)
		}
		te.Match = append(te.Match, fm)
	}
	direct := &p4v1.Action{}
	fill(direct.ProtoReflect(), 2)
	set := &p4v1.ActionProfileActionSet{}
	fill(set.ProtoReflect(), 3)
	cases := map[string]struct {
		action *p4v1.TableAction
		own    bool // copied without proto.Clone
	}{
		"no action":      {nil, true},
		"empty action":   {&p4v1.TableAction{}, true},
		"direct action":  {&p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: direct}}, true},
		"member":         {&p4v1.TableAction{Type: &p4v1.TableAction_ActionProfileMemberId{ActionProfileMemberId: 3}}, true},
		"group":          {&p4v1.TableAction{Type: &p4v1.TableAction_ActionProfileGroupId{ActionProfileGroupId: 4}}, true},
		"action set":     {&p4v1.TableAction{Type: &p4v1.TableAction_ActionProfileActionSet{ActionProfileActionSet: set}}, false},
		"unknown fields": {&p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: withUnknown(direct)}}, false},
		"nil action":     {&p4v1.TableAction{Type: &p4v1.TableAction_Action{}}, false}, // proto.Clone makes it empty
	}
	for name, c := range cases {
		e := &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: proto.Clone(te).(*p4v1.TableEntry)}}
		e.GetTableEntry().Action = c.action
		was := proto.Clone(e)
		if _, own := cloneTableEntry(e.GetTableEntry()); own != c.own {
			t.Errorf("%s: copied by field: %v, want %v", name, own, c.own)
		}
		got := cloneEntity(e)
		if !proto.Equal(got, e) {
			t.Errorf("%s: copy\n%v\nwant\n%v", name, got, e)
		}
		scribble(got.ProtoReflect())
		if !proto.Equal(e, was) {
			t.Errorf("%s: the copy shares a value with its original", name)
		}
	}
	// Not a table entry: proto.Clone's.
	g := &p4v1.ActionProfileGroup{}
	fill(g.ProtoReflect(), 2)
	e := &p4v1.Entity{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: g}}
	if got := cloneEntity(e); !proto.Equal(got, e) || got.GetActionProfileGroup() == g {
		t.Errorf("group: copy %v", got)
	}
}

func withUnknown(a *p4v1.Action) *p4v1.Action {
	a = proto.Clone(a).(*p4v1.Action)
	a.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 99, protowire.VarintType), 1))
	return a
}
