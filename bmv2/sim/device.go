package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/bmv2/sim/port"
	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/gnmi"
	"github.com/lime-p4/lime/gnmi/simports"
)

// PortSpec names one port of a Device: its OpenConfig interface name and
// its P4Runtime port id (the data plane's port number).
type PortSpec struct {
	Name string
	ID   uint32
}

// Options configure a Device.
type Options struct {
	// Name identifies the device in logs and is the gNMI target name
	// (default "device<id>").
	Name string
	// DeviceID is the P4Runtime device id (non-zero).
	DeviceID uint64
	// Profile selects bmv2 (default) or spec behaviour.
	Profile p4rt.Profile
	// Ports are the device's ports; names and ids must be unique, and no
	// port may use the CPU port's id.
	Ports []PortSpec
	// CPUPort is the data-plane port whose output is packet-in and where
	// packet-outs enter (simple_switch_grpc's --cpu-port); 0 means none.
	CPUPort uint32
	// Logger receives the device's events; nil means slog.Default().
	Logger *slog.Logger
	// P4Runtime tunes the P4Runtime server; its DeviceID, Profile, Target
	// and Logger are set from the fields above.
	P4Runtime p4rt.Options
	// GNMI tunes the gNMI agent; its Target and Logger are set from the
	// fields above.
	GNMI gnmi.Options
	// Creds secure P4Runtime and gNMI (TLS); nil serves plaintext.
	Creds credentials.TransportCredentials
}

// Device is one simulated switch. Its methods are safe for concurrent use.
type Device struct {
	opts  Options
	log   *slog.Logger
	p4    *p4rt.Device
	ports *port.Set
	agent *gnmi.Server

	active      atomic.Pointer[program]
	cancelWatch func()

	mu        sync.Mutex
	servers   []*grpc.Server
	listeners []net.Listener
	closed    bool
}

// New creates a device without a pipeline: its ports exist (unattached) and
// its P4Runtime server answers, but nothing forwards until a pipeline is
// committed.
func New(opts Options) (*Device, error) {
	if opts.DeviceID == 0 {
		return nil, errors.New("sim: device id 0 is not valid")
	}
	if opts.Name == "" {
		opts.Name = fmt.Sprintf("device%d", opts.DeviceID)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	log := opts.Logger.With("device", opts.Name)
	d := &Device{opts: opts, log: log}
	set, err := port.NewSet()
	if err != nil {
		return nil, fmt.Errorf("sim: device %s: %w", opts.Name, err)
	}
	d.ports = set
	for _, ps := range opts.Ports {
		if err := d.addPort(ps.Name, ps.ID); err != nil {
			return nil, err
		}
	}
	d.cancelWatch = set.Watch(d.portEvent)

	po := opts.P4Runtime
	po.DeviceID, po.Profile, po.Target, po.Logger = opts.DeviceID, opts.Profile, target{d}, log
	if d.p4, err = p4rt.New(po); err != nil {
		return nil, fmt.Errorf("sim: device %s: %w", opts.Name, err)
	}
	go_ := opts.GNMI
	go_.Logger = log
	if go_.Target == "" {
		go_.Target = opts.Name
	}
	if d.agent, err = gnmi.NewServer(simports.New(set), go_); err != nil {
		d.p4.Close()
		return nil, fmt.Errorf("sim: device %s: gNMI agent: %w", opts.Name, err)
	}
	return d, nil
}

// addPort creates a port and feeds its frames to the data plane.
func (d *Device) addPort(name string, id uint32) error {
	if d.opts.CPUPort != 0 && id == d.opts.CPUPort {
		return fmt.Errorf("sim: device %s: port %q uses the CPU port's id %d", d.opts.Name, name, id)
	}
	p, err := port.New(name, id)
	if err != nil {
		return fmt.Errorf("sim: device %s: port %q: %w", d.opts.Name, name, err)
	}
	if err := d.ports.Add(p); err != nil {
		return fmt.Errorf("sim: device %s: %w", d.opts.Name, err)
	}
	p.SetHandler(d.receive)
	return nil
}

// Name returns the device's name.
func (d *Device) Name() string { return d.opts.Name }

// ID returns the P4Runtime device id.
func (d *Device) ID() uint64 { return d.opts.DeviceID }

// CPUPort returns the CPU port (0 for none).
func (d *Device) CPUPort() uint32 { return d.opts.CPUPort }

// P4Runtime returns the device's P4Runtime core.
func (d *Device) P4Runtime() *p4rt.Device { return d.p4 }

// Ports returns the device's ports.
func (d *Device) Ports() *port.Set { return d.ports }

// Port returns the named port, or nil.
func (d *Device) Port(name string) *port.Port { return d.ports.ByName(name) }

// GNMI returns the device's gNMI agent.
func (d *Device) GNMI() *gnmi.Server { return d.agent }

// LoadPipeline commits a pipeline (bmv2 JSON device config and P4Info)
// without a controller, as VERIFY_AND_COMMIT does.
func (d *Device) LoadPipeline(cfg *p4v1.ForwardingPipelineConfig) error {
	if err := d.p4.LoadPipeline(cfg); err != nil {
		return fmt.Errorf("sim: device %s: %w", d.opts.Name, err)
	}
	return nil
}

// Register adds the device's P4Runtime and gNMI services to g.
func (d *Device) Register(g *grpc.Server) {
	p4rt.Register(g, d.p4)
	d.agent.Register(g)
}

// Serve serves P4Runtime and gNMI on lis until Shutdown or Close. It
// returns nil after a shutdown.
func (d *Device) Serve(lis net.Listener) error {
	gopts := []grpc.ServerOption{grpc.MaxRecvMsgSize(256 << 20)} // PI's receive limit
	if d.opts.Creds != nil {
		gopts = append(gopts, grpc.Creds(d.opts.Creds))
	}
	g := grpc.NewServer(gopts...)
	d.Register(g)
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		lis.Close()
		return errors.New("sim: device closed")
	}
	d.servers = append(d.servers, g)
	d.mu.Unlock()
	if err := g.Serve(lis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("sim: device %s: serve: %w", d.opts.Name, err)
	}
	return nil
}

// ServeThrift serves bmv2's Thrift runtime API (registers, counters, ports)
// on lis until Shutdown or Close.
func (d *Device) ServeThrift(lis net.Listener) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		lis.Close()
		return errors.New("sim: device closed")
	}
	d.listeners = append(d.listeners, lis)
	d.mu.Unlock()
	srv := &thrift.Server{Backend: thriftBackend{d}, Logger: d.log}
	err := srv.Serve(lis)
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return nil
	}
	return err
}

// Shutdown stops serving: stream sessions end, then the gRPC servers stop
// gracefully, forcibly once ctx is done; the Thrift listeners close. The
// device itself stays usable until Close.
func (d *Device) Shutdown(ctx context.Context) {
	d.mu.Lock()
	d.closed = true
	servers, listeners := d.servers, d.listeners
	d.servers, d.listeners = nil, nil
	d.mu.Unlock()
	for _, l := range listeners {
		l.Close()
	}
	// Streams (StreamChannel, gNMI Subscribe) never end on their own.
	d.p4.CloseSessions()
	var wg sync.WaitGroup
	for _, g := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan struct{})
			go func() { g.GracefulStop(); close(done) }()
			select {
			case <-done:
			case <-ctx.Done():
				g.Stop()
				<-done
			}
		}()
	}
	wg.Wait()
}

// Restart makes the device a switch process started again (DESIGN.md,
// "Faults"): its pipeline and forwarding state are gone, its stream
// sessions end with UNAVAILABLE; it keeps serving on its addresses, and
// its ports keep their configuration (as bmv2's -i interfaces and lime's
// port agent do across a restart of simple_switch_grpc).
func (d *Device) Restart() error {
	d.log.Info("restarting")
	return d.p4.Restart()
}

// Close stops serving (immediately), closes the P4Runtime core and the gNMI
// agent, and detaches every port.
func (d *Device) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d.Shutdown(ctx)
	err := d.p4.Close()
	if e := d.agent.Close(); e != nil && err == nil {
		err = e
	}
	d.cancelWatch()
	for _, p := range d.ports.List() {
		p.Detach()
	}
	return err
}
