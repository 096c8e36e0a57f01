package proxy

import (
	"context"
	"fmt"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/gnmi"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/translate"
)

// CutOverState is what a device keeps from the switch it was migrated
// from, and a proxy that starts again needs to stand for it on the
// target: the pipeline the controllers know, the port map, the counters'
// offsets and the interfaces' names. It travels as JSON (the journal).
type CutOverState struct {
	// Pipeline is the controllers' pipeline (P4Info, cookie, device
	// config), as the source ran it: a marshalled ForwardingPipelineConfig.
	Pipeline []byte `json:"pipeline"`
	// PortMap takes virtual ports to the target's (FROM=TO pairs).
	PortMap string `json:"port_map"`
	// Offsets are the source's final counter values, by entity key.
	Offsets []Offset `json:"offsets,omitempty"`
	// Interfaces are the virtual device's interfaces (the source's names
	// and ids).
	Interfaces []Interface `json:"interfaces,omitempty"`
}

// Offset is one counter of the released source.
type Offset struct {
	Key     []byte `json:"key"` // entity.Key
	Bytes   int64  `json:"bytes"`
	Packets int64  `json:"packets"`
}

// Interface names one virtual interface.
type Interface struct {
	Name string `json:"name"`
	ID   uint32 `json:"id"`
}

// CutOverState returns what the device keeps since its cut over (nil
// before one).
func (d *Device) CutOverState() *CutOverState {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.auth == d.origin || d.virtual == nil {
		return nil
	}
	st, err := cutOverState(d.virtual, d.cutMap, d.offsets, d.vports.get())
	if err != nil { // a config read from a switch always marshals
		return nil
	}
	return st
}

func cutOverState(pipeline *p4v1.ForwardingPipelineConfig, pm *translate.PortMap, offsets map[entity.Key]*p4v1.CounterData, ifs []gnmi.PortState) (*CutOverState, error) {
	pipe, err := proto.Marshal(pipeline)
	if err != nil {
		return nil, err
	}
	st := &CutOverState{Pipeline: pipe, PortMap: pm.String(), Offsets: offsetList(offsets)}
	for _, p := range ifs {
		st.Interfaces = append(st.Interfaces, Interface{Name: p.Name, ID: p.ID})
	}
	return st, nil
}

// AddMigratedDevice makes virtual device id stand, after a restart, for a
// device that was migrated onto target: target is its switch, translated
// from the controllers' pipeline and ports as st says. It refuses a target
// that runs another program than st's pipeline.
func (p *Proxy) AddMigratedDevice(ctx context.Context, id uint64, target *Backend, st CutOverState) (*Device, error) {
	pipe := &p4v1.ForwardingPipelineConfig{}
	if err := proto.Unmarshal(st.Pipeline, pipe); err != nil || pipe.GetP4Info() == nil {
		return nil, fmt.Errorf("proxy: device %d: the journalled cut over has no pipeline (%v)", id, err)
	}
	if target.Info() == nil {
		return nil, fmt.Errorf("proxy: device %d: %s runs no pipeline", id, target.Name)
	}
	vinfo, err := target.Index(pipe.GetP4Info())
	if err != nil {
		return nil, fmt.Errorf("proxy: device %d: the journalled pipeline: %w", id, err)
	}
	pm, err := translate.ParsePortMap(st.PortMap)
	if err != nil {
		return nil, fmt.Errorf("proxy: device %d: %w", id, err)
	}
	tr, err := translate.New(vinfo, target.Info(), translate.WithPorts(pm))
	if err != nil {
		return nil, fmt.Errorf("proxy: device %d: %s: %w", id, target.Name, err)
	}
	if err := target.setTranslators(tr); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.devices[id]; ok {
		return nil, fmt.Errorf("proxy: device %d already exists", id)
	}
	d := newDevice(id, target, &p.opts)
	d.mu.Lock()
	d.origin, d.vinfo, d.virtual, d.cutMap = nil, vinfo, pipe, pm
	d.offsets = offsetMap(st.Offsets)
	d.mu.Unlock()
	var ifs []gnmi.PortState
	for _, i := range st.Interfaces {
		ifs = append(ifs, gnmi.PortState{Name: i.Name, ID: i.ID})
	}
	d.vports.set(ifs)
	p.devices[id] = d
	return d, nil
}

// Offsets are the counts the device keeps from switches that no longer
// count for it (a source released at cut over, a mirror an abort
// detached), which reads add: for a journal, so that a restarted proxy
// keeps them (KeepOffsets).
func (d *Device) Offsets() []Offset {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.offsetsLocked()
}

func (d *Device) offsetsLocked() []Offset { return offsetList(d.offsets) }

func offsetList(offsets map[entity.Key]*p4v1.CounterData) []Offset {
	out := make([]Offset, 0, len(offsets))
	for k, c := range offsets {
		out = append(out, Offset{Key: []byte(k), Bytes: c.GetByteCount(), Packets: c.GetPacketCount()})
	}
	return out
}

// KeepOffsets adds offs to the device's offsets (see Offsets).
func (d *Device) KeepOffsets(offs []Offset) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.offsets = sumCounters(d.offsets, offsetMap(offs))
}

func offsetMap(offs []Offset) map[entity.Key]*p4v1.CounterData {
	m := make(map[entity.Key]*p4v1.CounterData, len(offs))
	for _, o := range offs {
		c := m[entity.Key(o.Key)]
		if c == nil {
			c = &p4v1.CounterData{}
			m[entity.Key(o.Key)] = c
		}
		c.ByteCount += o.Bytes
		c.PacketCount += o.Packets
	}
	return m
}
