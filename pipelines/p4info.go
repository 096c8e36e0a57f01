package pipelines

import (
	"fmt"
	"strings"

	"github.com/lime-p4/lime/p4/info"
	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	"google.golang.org/protobuf/encoding/protojson"
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

// parseP4Info decodes b in encoding f and checks it as [info.New] does.
func parseP4Info(b []byte, f p4infoFormat) (*p4configv1.P4Info, error) {
	var p *p4configv1.P4Info
	var err error
	switch f {
	case formatText:
		p, err = info.ParseText(b)
	case formatBinary:
		p, err = info.ParseBinary(b)
	case formatJSON:
		p = &p4configv1.P4Info{}
		err = protojson.Unmarshal(b, p)
	default:
		return nil, fmt.Errorf("unknown P4Info encoding %d", f)
	}
	if err != nil {
		return nil, fmt.Errorf("not a p4.config.v1.P4Info: %w", err)
	}
	if _, err := info.New(p); err != nil {
		return nil, err
	}
	return p, nil
}
