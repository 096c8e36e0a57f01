package translate

import (
	"errors"
	"fmt"
	"sync"

	"github.com/lime-p4/lime/p4/info"
)

// ErrUnknownID reports an entity that names an id its P4Info does not have.
var ErrUnknownID = errors.New("id not in the source P4Info")

// ErrPortMatch reports a match on a port field that covers several values
// (ternary, LPM or range) and that the port map does not carry exactly:
// some port it covers maps outside the translated match, or some port it
// does not cover maps inside (see partialPortMatch).
var ErrPortMatch = errors.New("match on a port field that the port map cannot carry exactly")

// ErrNoProgram is Compare's error when a side runs no pipeline (its P4Info
// is nil): a switch before a pipeline is set, or after it restarted.
var ErrNoProgram = errors.New("a device runs no pipeline (restarted?): there is no program to compare")

// Translator rewrites entities of its From P4Info into its To P4Info, with
// ports mapped by its port map. It is immutable and safe for concurrent use.
type Translator struct {
	From, To *info.Info
	// Warnings are differences that New accepted (smaller target tables or
	// arrays).
	Warnings []string

	ports       *PortMap
	outputs     *PortMap // for ports a packet is sent to; nil: ports
	stringPorts bool     // PRE replica ports are SDN strings
	ids         map[uint32]uint32
	tables      map[uint32]*tablePair
	actions     map[uint32]*actionPair
	meta        map[uint32]*metaPair
	digests     map[uint32]*digestPair
	valueSets   map[uint32]*valueSetPair

	reverseOnce sync.Once
	reverse     *Translator
	reverseErr  error
}

type fieldPair struct{ from, to *info.MatchField }

type tablePair struct {
	from, to *info.Table
	fields   map[uint32]fieldPair
}

type actionPair struct {
	from, to *info.Action
	params   map[uint32]*info.Param // from param id -> to param
}

type metaPair struct {
	from, to *info.PacketMetadata
	fields   map[uint32]*info.MetadataField // from id -> to field
}

type digestPair struct{ from, to *info.Digest }

type valueSetPair struct {
	from, to *info.ValueSet
	fields   map[uint32]fieldPair
}

// Option configures New.
type Option func(*Translator)

// WithPorts sets the port map; without it ports are kept as they are.
func WithPorts(pm *PortMap) Option { return func(t *Translator) { t.ports = pm } }

// WithOutputPorts sets another map for the ports a packet is sent to:
// port-typed action parameters, PRE replicas and group watch ports. Match
// fields, array indexes, packet metadata and digests keep the port map. A
// migration sends to the trunk what is bound for a host not moved yet,
// while keys keep naming the host's own port.
func WithOutputPorts(pm *PortMap) Option { return func(t *Translator) { t.outputs = pm } }

// New compares from and to (see Compare) and, when they are the same
// program, returns a Translator between them.
func New(from, to *info.Info, opts ...Option) (*Translator, error) {
	warnings, err := Compare(from, to)
	if err != nil {
		return nil, err
	}
	t := &Translator{From: from, To: to, Warnings: warnings, ids: map[uint32]uint32{},
		tables: map[uint32]*tablePair{}, actions: map[uint32]*actionPair{}, meta: map[uint32]*metaPair{},
		digests: map[uint32]*digestPair{}, valueSets: map[uint32]*valueSetPair{}}
	for _, o := range opts {
		o(t)
	}
	for _, o := range from.Objects() {
		x, _ := to.LookupName(o.Kind(), o.Pre().Name)
		t.ids[o.Pre().ID] = x.Pre().ID
		switch a := o.(type) {
		case *info.Table:
			b := x.(*info.Table)
			t.tables[a.ID] = &tablePair{from: a, to: b, fields: pairFields(a.Fields, b.FieldByName)}
		case *info.Action:
			b := x.(*info.Action)
			p := &actionPair{from: a, to: b, params: map[uint32]*info.Param{}}
			for _, pa := range a.Params {
				p.params[pa.ID] = b.ParamByName(pa.Name)
				t.stringPorts = t.stringPorts || (pa.IsPort && pa.IsString)
			}
			t.actions[a.ID] = p
		case *info.PacketMetadata:
			b := x.(*info.PacketMetadata)
			p := &metaPair{from: a, to: b, fields: map[uint32]*info.MetadataField{}}
			for _, f := range a.Fields {
				for _, g := range b.Fields {
					if g.Name == f.Name {
						p.fields[f.ID] = g
					}
				}
			}
			t.meta[a.ID] = p
		case *info.Digest:
			t.digests[a.ID] = &digestPair{from: a, to: x.(*info.Digest)}
		case *info.ValueSet:
			b := x.(*info.ValueSet)
			byName := map[string]*info.MatchField{}
			for _, f := range b.Fields {
				byName[f.Name] = f
			}
			t.valueSets[a.ID] = &valueSetPair{from: a, to: b, fields: pairFields(a.Fields, func(n string) *info.MatchField { return byName[n] })}
		}
	}
	for _, tp := range t.tables {
		for _, f := range tp.fields {
			t.stringPorts = t.stringPorts || (f.from.IsPort && f.from.IsString)
		}
	}
	return t, nil
}

func pairFields(fs []*info.MatchField, byName func(string) *info.MatchField) map[uint32]fieldPair {
	m := make(map[uint32]fieldPair, len(fs))
	for _, f := range fs {
		m[f.ID] = fieldPair{from: f, to: byName(f.Name)}
	}
	return m
}

// ID translates a top-level object id.
func (t *Translator) ID(id uint32) (uint32, bool) {
	x, ok := t.ids[id]
	return x, ok
}

// Ports returns the port map (nil: identity).
func (t *Translator) Ports() *PortMap { return t.ports }

// OutputPorts returns the map of the ports a packet is sent to.
func (t *Translator) OutputPorts() *PortMap {
	if t.outputs != nil {
		return t.outputs
	}
	return t.ports
}

// Reverse returns the translator from To back to From, with the inverse
// port map (for outputs too: an output map is not reversed). It fails when
// the port map is not one-to-one.
func (t *Translator) Reverse() (*Translator, error) {
	t.reverseOnce.Do(func() {
		inv, err := t.ports.Inverse()
		if err != nil {
			t.reverseErr = err
			return
		}
		t.reverse, t.reverseErr = New(t.To, t.From, WithPorts(inv))
	})
	return t.reverse, t.reverseErr
}

func unknown(what string, id uint32) error {
	return fmt.Errorf("%w: %s 0x%08x", ErrUnknownID, what, id)
}
