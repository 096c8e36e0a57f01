package pipelines

import (
	"errors"
	"fmt"
	"strings"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// p4infoFormat is how a P4Info file is encoded, told by its name.
type p4infoFormat int

const (
	formatText   p4infoFormat = iota + 1 // protobuf text format (p4c: .txt, .txtpb)
	formatBinary                         // protobuf wire format (p4c: .bin; also .pb)
	formatJSON                           // protobuf JSON mapping (p4c: .json)
)

// p4infoSuffixes maps the file name endings p4c's --p4runtime-files produces
// (and .pb, the usual binary ending) to their encoding.
var p4infoSuffixes = []struct {
	suffix string
	format p4infoFormat
}{
	{".p4info.txt", formatText},
	{".p4info.txtpb", formatText},
	{".p4info.pb", formatBinary},
	{".p4info.bin", formatBinary},
	{".p4info.json", formatJSON},
}

// p4infoFormatOf returns the encoding of a P4Info file by name, or 0 when the
// name is not a P4Info file's.
func p4infoFormatOf(name string) p4infoFormat {
	for _, s := range p4infoSuffixes {
		if strings.HasSuffix(name, s.suffix) && len(name) > len(s.suffix) {
			return s.format
		}
	}
	return 0
}

// ParseP4Info decodes a P4Info in protobuf text format and checks it (see
// [Program.P4Info]). An empty input is a valid P4Info with no objects.
func ParseP4Info(text []byte) (*p4configv1.P4Info, error) {
	return parseP4Info(text, formatText)
}

func parseP4Info(b []byte, f p4infoFormat) (*p4configv1.P4Info, error) {
	info := &p4configv1.P4Info{}
	var err error
	switch f {
	case formatText:
		err = prototext.Unmarshal(b, info)
	case formatBinary:
		err = proto.Unmarshal(b, info)
	case formatJSON:
		err = protojson.Unmarshal(b, info)
	default:
		return nil, fmt.Errorf("unknown P4Info encoding %d", f)
	}
	if err != nil {
		return nil, fmt.Errorf("not a p4.config.v1.P4Info: %w", err)
	}
	if err := checkP4Info(info); err != nil {
		return nil, err
	}
	return info, nil
}

var preambleName = (&p4configv1.Preamble{}).ProtoReflect().Descriptor().FullName()

// checkP4Info checks what every P4Runtime server relies on (P4Runtime spec,
// "P4Info" and "ID Allocation"): every object's preamble has a non-zero id
// and a name, no two objects share an id, and every action a table refers to
// is declared.
func checkP4Info(info *p4configv1.P4Info) error {
	var errs []error
	seen := map[uint32]string{}
	for _, p := range preambles(info.ProtoReflect()) {
		switch {
		case p.GetId() == 0:
			errs = append(errs, fmt.Errorf("object %q has id 0", p.GetName()))
		case p.GetName() == "":
			errs = append(errs, fmt.Errorf("object with id %#x has no name", p.GetId()))
		case seen[p.GetId()] != "":
			errs = append(errs, fmt.Errorf("objects %q and %q share id %#x", seen[p.GetId()], p.GetName(), p.GetId()))
		default:
			seen[p.GetId()] = p.GetName()
		}
	}
	actions := map[uint32]bool{}
	for _, a := range info.GetActions() {
		actions[a.GetPreamble().GetId()] = true
	}
	for _, t := range info.GetTables() {
		for _, ref := range t.GetActionRefs() {
			if !actions[ref.GetId()] {
				errs = append(errs, fmt.Errorf("table %q refers to undeclared action id %#x", t.GetPreamble().GetName(), ref.GetId()))
			}
		}
	}
	return errors.Join(errs...)
}

// preambles returns every p4.config.v1.Preamble inside m, however deeply
// nested (tables, actions, extern instances, ...).
func preambles(m protoreflect.Message) []*p4configv1.Preamble {
	var out []*p4configv1.Preamble
	var walk func(protoreflect.Message)
	walk = func(m protoreflect.Message) {
		if m.Descriptor().FullName() == preambleName {
			if p, ok := m.Interface().(*p4configv1.Preamble); ok {
				out = append(out, p)
			}
			return
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			if fd.Message() == nil || fd.IsMap() {
				return true
			}
			if fd.IsList() {
				l := v.List()
				for i := 0; i < l.Len(); i++ {
					walk(l.Get(i).Message())
				}
				return true
			}
			walk(v.Message())
			return true
		})
	}
	walk(m)
	return out
}
