package info

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

// Info is an indexed P4Info.
type Info struct {
	// Proto is the P4Info as given. Treat it as read-only.
	Proto *p4configv1.P4Info

	Tables         []*Table
	Actions        []*Action
	ActionProfiles []*ActionProfile
	Counters       []*Counter
	DirectCounters []*DirectCounter
	Meters         []*Meter
	DirectMeters   []*DirectMeter
	Registers      []*Register
	Digests        []*Digest
	ValueSets      []*ValueSet
	PacketMeta     []*PacketMetadata
	Externs        []*Extern

	Rules PortRules // the port rules the index was built with

	byID   map[uint32]Object
	byName map[Kind]map[string]Object
}

// Option configures New.
type Option func(*options)

type options struct{ rules PortRules }

// WithPortRules replaces DefaultPortRules (use DefaultPortRules.Merge to add).
func WithPortRules(r PortRules) Option { return func(o *options) { o.rules = r } }

// Load reads a P4Info file: text format (.txt, .pbtxt, .p4info), binary
// (.pb, .bin) or, for other names, whichever parses.
func Load(file string, opts ...Option) (*Info, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("p4info: %w", err)
	}
	var p *p4configv1.P4Info
	switch strings.ToLower(filepath.Ext(file)) {
	case ".txt", ".pbtxt", ".textproto":
		p, err = ParseText(data)
	case ".pb", ".bin", ".binpb":
		p, err = ParseBinary(data)
	default:
		p, err = Parse(data)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	i, err := New(p, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return i, nil
}

// ParseText parses a P4Info in protobuf text format.
func ParseText(data []byte) (*p4configv1.P4Info, error) {
	p := &p4configv1.P4Info{}
	if err := prototext.Unmarshal(data, p); err != nil {
		return nil, fmt.Errorf("p4info: text format: %w", err)
	}
	return p, nil
}

// ParseBinary parses a P4Info in protobuf binary format.
func ParseBinary(data []byte) (*p4configv1.P4Info, error) {
	p := &p4configv1.P4Info{}
	if err := proto.Unmarshal(data, p); err != nil {
		return nil, fmt.Errorf("p4info: binary format: %w", err)
	}
	return p, nil
}

// Parse accepts either format: text when the bytes are UTF-8 text that
// parses as text format, binary otherwise.
func Parse(data []byte) (*p4configv1.P4Info, error) {
	if utf8.Valid(data) {
		if p, err := ParseText(data); err == nil {
			return p, nil
		}
	}
	p, err := ParseBinary(data)
	if err != nil {
		return nil, errors.New("p4info: neither text nor binary protobuf format")
	}
	return p, nil
}

// Lookup returns the object with the given id.
func (i *Info) Lookup(id uint32) (Object, bool) {
	o, ok := i.byID[id]
	return o, ok
}

// LookupName returns the object of the given kind with the given fully
// qualified name or unique alias.
func (i *Info) LookupName(k Kind, name string) (Object, bool) {
	o, ok := i.byName[k][name]
	return o, ok
}

func byID[T Object](i *Info, id uint32) T {
	o, _ := i.byID[id].(T)
	return o
}

func byName[T Object](i *Info, k Kind, name string) T {
	o, _ := i.byName[k][name].(T)
	return o
}

// Table returns the table with the given id, or nil.
func (i *Info) Table(id uint32) *Table { return byID[*Table](i, id) }

// TableByName returns the table with the given name or alias, or nil.
func (i *Info) TableByName(name string) *Table { return byName[*Table](i, KindTable, name) }

// Action returns the action with the given id, or nil.
func (i *Info) Action(id uint32) *Action { return byID[*Action](i, id) }

// ActionByName returns the action with the given name or alias, or nil.
func (i *Info) ActionByName(name string) *Action { return byName[*Action](i, KindAction, name) }

// ActionProfile returns the action profile with the given id, or nil.
func (i *Info) ActionProfile(id uint32) *ActionProfile { return byID[*ActionProfile](i, id) }

// ActionProfileByName returns the action profile with the given name or alias, or nil.
func (i *Info) ActionProfileByName(name string) *ActionProfile {
	return byName[*ActionProfile](i, KindActionProfile, name)
}

// Counter returns the counter with the given id, or nil.
func (i *Info) Counter(id uint32) *Counter { return byID[*Counter](i, id) }

// CounterByName returns the counter with the given name or alias, or nil.
func (i *Info) CounterByName(name string) *Counter { return byName[*Counter](i, KindCounter, name) }

// DirectCounter returns the direct counter with the given id, or nil.
func (i *Info) DirectCounter(id uint32) *DirectCounter { return byID[*DirectCounter](i, id) }

// Meter returns the meter with the given id, or nil.
func (i *Info) Meter(id uint32) *Meter { return byID[*Meter](i, id) }

// MeterByName returns the meter with the given name or alias, or nil.
func (i *Info) MeterByName(name string) *Meter { return byName[*Meter](i, KindMeter, name) }

// DirectMeter returns the direct meter with the given id, or nil.
func (i *Info) DirectMeter(id uint32) *DirectMeter { return byID[*DirectMeter](i, id) }

// Register returns the register with the given id, or nil.
func (i *Info) Register(id uint32) *Register { return byID[*Register](i, id) }

// RegisterByName returns the register with the given name or alias, or nil.
func (i *Info) RegisterByName(name string) *Register {
	return byName[*Register](i, KindRegister, name)
}

// Digest returns the digest with the given id, or nil.
func (i *Info) Digest(id uint32) *Digest { return byID[*Digest](i, id) }

// DigestByName returns the digest with the given name or alias, or nil.
func (i *Info) DigestByName(name string) *Digest { return byName[*Digest](i, KindDigest, name) }

// ValueSet returns the value set with the given id, or nil.
func (i *Info) ValueSet(id uint32) *ValueSet { return byID[*ValueSet](i, id) }

// PacketMetadata returns the controller header with the given id, or nil.
func (i *Info) PacketMetadata(id uint32) *PacketMetadata { return byID[*PacketMetadata](i, id) }

// PacketMetadataByName returns "packet_in" or "packet_out" metadata, or nil.
func (i *Info) PacketMetadataByName(name string) *PacketMetadata {
	return byName[*PacketMetadata](i, KindPacketMetadata, name)
}

// Extern returns the extern instance with the given id, or nil.
func (i *Info) Extern(id uint32) *Extern { return byID[*Extern](i, id) }

// Objects returns every top-level object in a fixed order: by kind as in
// the P4Info message, then in P4Info order.
func (i *Info) Objects() []Object {
	out := make([]Object, 0, len(i.byID))
	out = appendAll(out, i.Tables)
	out = appendAll(out, i.Actions)
	out = appendAll(out, i.ActionProfiles)
	out = appendAll(out, i.Counters)
	out = appendAll(out, i.DirectCounters)
	out = appendAll(out, i.Meters)
	out = appendAll(out, i.DirectMeters)
	out = appendAll(out, i.PacketMeta)
	out = appendAll(out, i.ValueSets)
	out = appendAll(out, i.Registers)
	out = appendAll(out, i.Digests)
	out = appendAll(out, i.Externs)
	return out
}

func appendAll[T Object](out []Object, xs []T) []Object {
	for _, x := range xs {
		out = append(out, x)
	}
	return out
}
