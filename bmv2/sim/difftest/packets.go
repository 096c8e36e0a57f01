package difftest

import (
	"fmt"
	"slices"
	"strings"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim/dataplane/bmjson"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/info"
)

// PacketProgram is what a packet session is generated for: the program's
// P4Info and bmv2 JSON, and the switches' host ports.
type PacketProgram struct {
	Info  *info.Info
	Doc   *bmjson.Document
	Ports []uint32
}

// Input is one packet sent into both switches: a frame on a host port, or
// a packet-out on the controller's stream.
type Input struct {
	Port  uint32 // ingress port of a frame; 0 for a packet-out
	Frame []byte
	Out   *p4v1.PacketOut
}

func (in Input) String() string {
	if in.Out != nil {
		var meta []string
		for _, m := range in.Out.GetMetadata() {
			meta = append(meta, fmt.Sprintf("%d=%x", m.GetMetadataId(), m.GetValue()))
		}
		return fmt.Sprintf("packet-out [%s] %x", strings.Join(meta, " "), in.Out.GetPayload())
	}
	return fmt.Sprintf("frame in at port %d: %x", in.Port, in.Frame)
}

// Outcome is what one input made a switch do, each list sorted (replicas
// of a multicast group, and what different ports receive, have no order).
type Outcome struct {
	// Frames are "port N: bytes" for each frame sent out of a host port.
	Frames []string
	// PacketIns are "bytes [metadata id=value ...]" for each packet-in.
	PacketIns []string
	// Digests are the data of each digest list, in text format.
	Digests []string
}

// Equal reports whether two outcomes agree.
func (o Outcome) Equal(p Outcome) bool {
	return slices.Equal(o.Frames, p.Frames) && slices.Equal(o.PacketIns, p.PacketIns) && slices.Equal(o.Digests, p.Digests)
}

// Empty reports whether the input caused nothing.
func (o Outcome) Empty() bool { return len(o.Frames)+len(o.PacketIns)+len(o.Digests) == 0 }

// Sort puts each list in order.
func (o *Outcome) Sort() {
	slices.Sort(o.Frames)
	slices.Sort(o.PacketIns)
	slices.Sort(o.Digests)
}

func (o Outcome) String() string {
	if o.Empty() {
		return "nothing (dropped)"
	}
	var b strings.Builder
	for _, f := range o.Frames {
		b.WriteString("\n    out " + f)
	}
	for _, p := range o.PacketIns {
		b.WriteString("\n    packet-in " + p)
	}
	for _, d := range o.Digests {
		b.WriteString("\n    digest " + d)
	}
	return b.String()
}

// FrameOut renders a frame sent out of a port.
func FrameOut(port uint32, frame []byte) string { return fmt.Sprintf("port %d: %x", port, frame) }

// PacketIn renders a packet-in: its payload and metadata by id, as the
// switch sent them (bytes compared as they are).
func PacketIn(p *p4v1.PacketIn) string {
	meta := make([]string, 0, len(p.GetMetadata()))
	for _, m := range p.GetMetadata() {
		meta = append(meta, fmt.Sprintf("%d=%x", m.GetMetadataId(), m.GetValue()))
	}
	slices.Sort(meta)
	return fmt.Sprintf("%x [%s]", p.GetPayload(), strings.Join(meta, " "))
}

// DigestList renders a digest list's id and data (not its list id, which
// counts lists).
func DigestList(d *p4v1.DigestList) string {
	var data []string
	for _, x := range d.GetData() {
		data = append(data, strings.Join(strings.Fields(prototext.Format(x)), " "))
	}
	return fmt.Sprintf("%d: %s", d.GetDigestId(), strings.Join(data, " | "))
}

// Scenario is a packet session: the state written to both switches after
// a fresh pipeline push, then the inputs, one at a time.
type Scenario struct {
	State  []*p4v1.Entity
	Inputs []Input
}

// Reproduction renders a scenario for a report: the state, in text
// format, and the inputs.
func (s Scenario) Reproduction(program string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "program %s, after a pipeline push that starts from nothing, the controller primary:\n", program)
	fmt.Fprintf(&b, "  state written (%d entities, INSERT or MODIFY by kind as a controller does; registers over Thrift):\n", len(s.State))
	for _, e := range s.State {
		fmt.Fprintf(&b, "    %s\n", strings.Join(strings.Fields(prototext.Format(e)), " "))
	}
	fmt.Fprintf(&b, "  inputs (%d):\n", len(s.Inputs))
	for i, in := range s.Inputs {
		fmt.Fprintf(&b, "    %d. %s\n", i+1, in)
	}
	return b.String()
}

// GenerateScenario makes a packet session for a program from a seed: a
// random state (p4test.Gen, ports the host ports) with meters set so that
// their colour does not depend on time, then n inputs: frames from the
// program's parser (FrameGen) on random host ports, hinted with the
// state's table keys, and now and then a packet-out.
func GenerateScenario(prog PacketProgram, seed uint64, n int) (Scenario, error) {
	gen := p4test.NewGen(prog.Info, seed)
	gen.Ports = nil
	for _, p := range prog.Ports {
		gen.Ports = append(gen.Ports, uint64(p))
	}
	state := gen.State(3)
	for _, e := range state {
		steadyMeter(prog.Info, e)
	}
	fg, err := NewFrameGen(prog.Doc, seed)
	if err != nil {
		return Scenario{}, err
	}
	HintState(fg, prog.Doc, prog.Info, state)
	r := fg.Rand()
	sc := Scenario{State: state}
	out := prog.Info.PacketMetadataByName("packet_out")
	for range n {
		if r.IntN(8) == 0 {
			po := &p4v1.PacketOut{Payload: fg.Walk(prog.Ports[r.IntN(len(prog.Ports))])}
			if out != nil {
				for _, f := range out.Fields {
					po.Metadata = append(po.Metadata, &p4v1.PacketMetadata{MetadataId: f.ID, Value: metadataValue(fg, prog.Ports, f)})
				}
			}
			sc.Inputs = append(sc.Inputs, Input{Out: po})
			continue
		}
		p := prog.Ports[r.IntN(len(prog.Ports))]
		sc.Inputs = append(sc.Inputs, Input{Port: p, Frame: fg.Frame(p)})
	}
	return sc, nil
}

// metadataValue draws a packet-out metadata value: mostly a host port for
// a field that names a port, else random bits of its width.
func metadataValue(fg *FrameGen, ports []uint32, f *info.MetadataField) []byte {
	r := fg.Rand()
	if strings.Contains(f.Name, "port") && r.IntN(4) > 0 {
		return canon.FromUint64(uint64(ports[r.IntN(len(ports))]))
	}
	b := make([]byte, canon.ByteLen(max(f.Width, 1)))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	if w := f.Width % 8; w != 0 {
		b[0] &= byte(1<<w - 1)
	}
	return canon.Canonical(b)
}

// Meter configurations whose colour does not depend on when packets come
// (bmv2 caps a bucket at its burst: a packet larger than the burst never
// fits, one smaller always does at these rates).
var (
	meterGreen  = &p4v1.MeterConfig{Cir: 1e9, Cburst: 1e6, Pir: 1e9, Pburst: 1e6}
	meterYellow = &p4v1.MeterConfig{Cir: 1, Cburst: 1, Pir: 1e9, Pburst: 1e6}
	meterRed    = &p4v1.MeterConfig{Cir: 1, Cburst: 1, Pir: 1, Pburst: 1}
)

// steadyMeter replaces a meter entity's random rates: green for a meter
// of packets (a packet is one unit, which a burst of 1 holds once per
// second: time would decide), green, yellow or red for a meter of bytes.
func steadyMeter(in *info.Info, e *p4v1.Entity) {
	var cfg **p4v1.MeterConfig
	var unit p4configv1.MeterSpec_Unit
	var pick uint64
	switch {
	case e.GetMeterEntry() != nil:
		m := e.GetMeterEntry()
		cfg, pick = &m.Config, uint64(m.GetIndex().GetIndex())
		if x := in.Meter(m.MeterId); x != nil {
			unit = x.Unit
		}
	case e.GetDirectMeterEntry() != nil:
		m := e.GetDirectMeterEntry()
		cfg, pick = &m.Config, uint64(m.GetTableEntry().GetPriority())+uint64(len(m.GetTableEntry().GetMatch()))
		if t := in.Table(m.GetTableEntry().GetTableId()); t != nil && t.DirectMeter != nil {
			unit = t.DirectMeter.Unit
		}
	default:
		return
	}
	if *cfg == nil {
		return
	}
	c := meterGreen
	if unit == p4configv1.MeterSpec_BYTES {
		c = []*p4v1.MeterConfig{meterGreen, meterYellow, meterRed}[pick%3]
	}
	*cfg = proto.Clone(c).(*p4v1.MeterConfig)
}

// HintState gives fg the values the state's table entries match on, by
// the header fields the bmv2 JSON's table keys read.
func HintState(fg *FrameGen, doc *bmjson.Document, in *info.Info, state []*p4v1.Entity) {
	tables := map[string]*bmjson.Table{}
	for i := range doc.Pipelines {
		for j := range doc.Pipelines[i].Tables {
			t := &doc.Pipelines[i].Tables[j]
			tables[t.Name] = t
		}
	}
	for _, e := range state {
		te := e.GetTableEntry()
		if te == nil {
			continue
		}
		t := in.Table(te.GetTableId())
		if t == nil || tables[t.Name] == nil {
			continue
		}
		jt := tables[t.Name]
		for _, fm := range te.GetMatch() {
			var name string
			for _, f := range t.Fields {
				if f.ID == fm.GetFieldId() {
					name = f.Name
				}
			}
			for k := range jt.Key {
				key := &jt.Key[k]
				if key.Name != name || key.Mask != nil {
					continue
				}
				ref, err := key.TargetField()
				if err != nil {
					continue
				}
				if v := matchValue(fm); v != nil {
					fg.Hint(ref, v)
				}
			}
		}
	}
}

// matchValue is the value a field match selects (a range's low end).
func matchValue(fm *p4v1.FieldMatch) []byte {
	switch {
	case fm.GetExact() != nil:
		return fm.GetExact().GetValue()
	case fm.GetLpm() != nil:
		return fm.GetLpm().GetValue()
	case fm.GetTernary() != nil:
		return fm.GetTernary().GetValue()
	case fm.GetOptional() != nil:
		return fm.GetOptional().GetValue()
	case fm.GetRange() != nil:
		return fm.GetRange().GetLow()
	}
	return nil
}
