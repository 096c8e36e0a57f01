package proxy

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// Options configure a Proxy. Zero values are defaults; hooks are optional
// (nil: none).
type Options struct {
	// Log receives the proxy's logs; nil discards them.
	Log *slog.Logger
	// MaxStreams bounds the controller streams per device and role
	// (default 16).
	MaxStreams int
	// PacketInQueue bounds the packet-ins, digests and idle notifications
	// waiting for a slow controller, per stream (default 1024); beyond it
	// they are dropped, as a switch drops them.
	PacketInQueue int
	// WriteTimeout bounds one write to a backend (default 30s).
	WriteTimeout time.Duration
	// MirrorRetries is how many times a mirror write that failed
	// transiently, or that the intent rules fix, is sent again before what
	// still fails is kept for repair (default 3).
	MirrorRetries int
	// RetryBackoff is the wait before the first retry, doubled each time
	// (default 20ms).
	RetryBackoff time.Duration
	// MirrorWindow bounds the updates a live mirror may trail the
	// authoritative device by before any host moved to it (default 512;
	// a write bigger than that trails alone): a write that would overfill
	// it waits.
	MirrorWindow int
	// OnRepair is told of each mirror update kept for repair.
	OnRepair func(device uint64, r Repair)
	// Shadows, when set, keeps the controller's form of what a source
	// holds in another (an entity sending to a moved host through the
	// trunk) before the write that makes it so: a restarted proxy takes
	// it from there where the target cannot tell (a write that reached
	// the source and not the target). nil: rebuilt from the switches
	// alone.
	Shadows ShadowStore
	// CutOvers, when set, keeps what a device cut over stands for
	// (CutOverState) when a controller's pipeline push changes it: a
	// restarted proxy stands for the target with the new pipeline. nil:
	// not kept.
	CutOvers CutOverStore
}

// CutOverStore keeps, by virtual device, its CutOverState (marshalled as
// JSON). A journal implements it.
type CutOverStore interface {
	SaveCutOver(device uint64, v any) error
}

// ShadowStore keeps, by virtual device, the controller's form of entities
// a source holds in another form (see Options.Shadows); a later entity of
// the same key replaces an earlier one. A journal implements it.
type ShadowStore interface {
	KeepShadows(device uint64, ents []*p4v1.Entity) error
	Shadows(device uint64) ([]*p4v1.Entity, error)
	ForgetShadows(device uint64) error
}

func (o *Options) defaults() {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = 16
	}
	if o.PacketInQueue <= 0 {
		o.PacketInQueue = 1024
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 30 * time.Second
	}
	if o.MirrorRetries <= 0 {
		o.MirrorRetries = 3
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = 20 * time.Millisecond
	}
	if o.MirrorWindow <= 0 {
		o.MirrorWindow = 512
	}
}

// Proxy stands in for virtual devices before their controllers.
type Proxy struct {
	opts Options

	mu      sync.RWMutex
	devices map[uint64]*Device
}

// New makes a proxy with no device.
func New(opts Options) *Proxy {
	opts.defaults()
	return &Proxy{opts: opts, devices: map[uint64]*Device{}}
}

// AddDevice makes virtual device id, standing for the physical device of
// auth (which becomes its authoritative device).
func (p *Proxy) AddDevice(id uint64, auth *Backend) (*Device, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.devices[id]; ok {
		return nil, fmt.Errorf("proxy: device %d already exists", id)
	}
	d := newDevice(id, auth, &p.opts)
	p.devices[id] = d
	return d, nil
}

// Device returns virtual device id, or nil.
func (p *Proxy) Device(id uint64) *Device {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.devices[id]
}

// Devices lists the virtual devices by id.
func (p *Proxy) Devices() []*Device {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]*Device, 0, len(p.devices))
	for _, d := range p.devices {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *Device) int { return cmp.Compare(a.id, b.id) })
	return out
}

// Close stops passing the backends' stream messages on. It closes no
// backend: they belong to the caller.
func (p *Proxy) Close() {
	for _, d := range p.Devices() {
		d.close()
	}
}

func (p *Proxy) lookup(id uint64) (*Device, error) {
	if d := p.Device(id); d != nil {
		return d, nil
	}
	return nil, fmt.Errorf("%w: device %d is not known to this proxy", ErrUnknownDevice, id)
}

// Write passes a Write on to its device.
func (p *Proxy) Write(ctx context.Context, req *p4v1.WriteRequest) error {
	d, err := p.lookup(req.GetDeviceId())
	if err != nil {
		return err
	}
	return d.Write(ctx, req)
}

// Read answers a Read from its device.
func (p *Proxy) Read(ctx context.Context, req *p4v1.ReadRequest, send func(*p4v1.ReadResponse) error) error {
	d, err := p.lookup(req.GetDeviceId())
	if err != nil {
		return err
	}
	return d.Read(ctx, req, send)
}

// GetPipeline answers GetForwardingPipelineConfig from its device.
func (p *Proxy) GetPipeline(ctx context.Context, req *p4v1.GetForwardingPipelineConfigRequest) (*p4v1.GetForwardingPipelineConfigResponse, error) {
	d, err := p.lookup(req.GetDeviceId())
	if err != nil {
		return nil, err
	}
	return d.GetPipeline(ctx, req)
}

// SetPipeline passes SetForwardingPipelineConfig on to its device.
func (p *Proxy) SetPipeline(ctx context.Context, req *p4v1.SetForwardingPipelineConfigRequest) error {
	d, err := p.lookup(req.GetDeviceId())
	if err != nil {
		return err
	}
	return d.SetPipeline(ctx, req)
}

// Capabilities is the answer of the authoritative device of the device the
// request names (P4Runtime 1.5), or of the first device when it names none.
func (p *Proxy) Capabilities(ctx context.Context, req *p4v1.CapabilitiesRequest) (*p4v1.CapabilitiesResponse, error) {
	if req.GetDeviceId() != 0 {
		d, err := p.lookup(req.GetDeviceId())
		if err != nil {
			return nil, err
		}
		return d.Capabilities(ctx, req)
	}
	ds := p.Devices()
	if len(ds) == 0 {
		return nil, fmt.Errorf("%w: the proxy stands for no device yet", ErrUnknownDevice)
	}
	return ds[0].Capabilities(ctx, req)
}
