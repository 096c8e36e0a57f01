package topo

import (
	"context"
	"errors"
	"fmt"
	"google.golang.org/grpc/credentials"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/bmv2/sim/port"
	"github.com/lime-p4/lime/gnmi"
	"github.com/lime-p4/lime/pipelines"
)

// DefaultCPUPort is the CPU port of a device whose topology and pipeline
// name none: 255, the CPU port of ONOS's pipelines and of lime_l2.
const DefaultCPUPort = 255

// Options configure Start.
type Options struct {
	// Logger receives the network's and the devices' events; nil means
	// slog.Default().
	Logger *slog.Logger
	// P4Runtime and GNMI tune every device's servers (see sim.Options).
	P4Runtime p4rt.Options
	GNMI      gnmi.Options
	// Creds secure every device's P4Runtime and gNMI; nil: plaintext.
	Creds credentials.TransportCredentials
}

// Running is one started device.
type Running struct {
	Spec   Device
	Device *sim.Device
	// Addr is where P4Runtime and gNMI listen (the port resolved when the
	// topology asked for port 0); ThriftAddr likewise, "" without Thrift.
	Addr, ThriftAddr string
	// Pipeline names the preloaded pipeline ("" for none).
	Pipeline string
}

// Network is a running topology.
type Network struct {
	log     *slog.Logger
	devices []*Running
	wires   []*port.Wire
	ifaces  []*port.Iface
	errs    chan error
	wg      sync.WaitGroup
	once    sync.Once
}

// Start brings a topology up: for each device a sim.Device with its ports
// (attached to their interfaces), its pipeline preloaded, P4Runtime and gNMI
// served on its address (and Thrift when asked); then the links. On error
// everything started is stopped again.
func Start(t *Topology, opts Options) (*Network, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	n := &Network{log: log, errs: make(chan error, 2*len(t.Devices))}
	ok := false
	defer func() {
		if !ok {
			n.Close()
		}
	}()
	programs := map[string]*pipelines.Program{}
	for i := range t.Devices {
		if err := n.startDevice(t, &t.Devices[i], opts, programs); err != nil {
			return nil, err
		}
	}
	for _, l := range t.Links {
		a := n.Device(l.A.Device).Device.Port(l.A.Port)
		b := n.Device(l.B.Device).Device.Port(l.B.Port)
		w, err := port.Connect(a, b)
		if err != nil {
			return nil, fmt.Errorf("link %s-%s: %w", l.A, l.B, err)
		}
		n.wires = append(n.wires, w)
		log.Info("link up", "a", l.A.String(), "b", l.B.String())
	}
	ok = true
	return n, nil
}

// loadPipeline resolves a pipeline reference: a folder (relative to the
// topology file) or the name of one of lime's programs.
func loadPipeline(t *Topology, ref string, cache map[string]*pipelines.Program) (*pipelines.Program, error) {
	dir := ref
	if !filepath.IsAbs(dir) && t.dir != "" {
		dir = filepath.Join(t.dir, ref)
	}
	if p, ok := cache[dir]; ok {
		return p, nil
	}
	var p *pipelines.Program
	var err error
	if st, serr := os.Stat(dir); serr == nil && st.IsDir() {
		p, err = pipelines.LoadDir(dir)
	} else {
		p, err = pipelines.Get(ref)
		if errors.Is(err, pipelines.ErrNoProgram) {
			err = fmt.Errorf("pipeline %q is neither a folder nor one of lime's programs (%v)", ref, pipelines.Names())
		}
	}
	if err != nil {
		return nil, err
	}
	if len(p.JSON) == 0 {
		return nil, fmt.Errorf("pipeline %q has no bmv2 JSON", ref)
	}
	cache[dir] = p
	return p, nil
}

func (n *Network) startDevice(t *Topology, spec *Device, opts Options, cache map[string]*pipelines.Program) error {
	var prog *pipelines.Program
	ref := t.pipeline(spec)
	if ref != "" {
		var err error
		if prog, err = loadPipeline(t, ref, cache); err != nil {
			return fmt.Errorf("device %q: %w", spec.Name, err)
		}
	}
	cpu := spec.CPUPort
	if cpu == 0 {
		cpu = DefaultCPUPort
		if prog != nil && prog.HasCPUPort {
			cpu = prog.CPUPort
		}
	}
	var ports []sim.PortSpec
	for _, p := range spec.Ports {
		ports = append(ports, sim.PortSpec{Name: p.Name, ID: p.ID})
	}
	dev, err := sim.New(sim.Options{Name: spec.Name, DeviceID: spec.DeviceID, Profile: t.profile(spec), Ports: ports,
		CPUPort: cpu, Logger: n.log, P4Runtime: opts.P4Runtime, GNMI: opts.GNMI, Creds: opts.Creds})
	if err != nil {
		return err
	}
	r := &Running{Spec: *spec, Device: dev, Pipeline: ref}
	n.devices = append(n.devices, r)
	if prog != nil {
		cfg := &p4v1.ForwardingPipelineConfig{P4Info: prog.P4Info, P4DeviceConfig: prog.JSON}
		if err := dev.LoadPipeline(cfg); err != nil {
			return fmt.Errorf("device %q: pipeline %s: %w", spec.Name, prog.Origin, err)
		}
	}
	for _, p := range spec.Ports {
		if p.Interface == "" {
			continue
		}
		var ifopts []port.IfaceOption
		ifopts = append(ifopts, port.WithLogger(n.log))
		if p.Netns != "" {
			ifopts = append(ifopts, port.InNamespace(p.Netns))
		}
		ifc, err := port.AttachInterface(dev.Port(p.Name), p.Interface, ifopts...)
		if err != nil {
			return fmt.Errorf("device %q port %q: %w", spec.Name, p.Name, err)
		}
		n.ifaces = append(n.ifaces, ifc)
	}
	lis, err := net.Listen("tcp", spec.P4Runtime)
	if err != nil {
		return fmt.Errorf("device %q: P4Runtime address: %w", spec.Name, err)
	}
	r.Addr = lis.Addr().String()
	n.serve(spec.Name, "P4Runtime", func() error { return dev.Serve(lis) })
	if spec.Thrift != "" {
		tl, err := net.Listen("tcp", spec.Thrift)
		if err != nil {
			return fmt.Errorf("device %q: Thrift address: %w", spec.Name, err)
		}
		r.ThriftAddr = tl.Addr().String()
		n.serve(spec.Name, "Thrift", func() error { return dev.ServeThrift(tl) })
	}
	attrs := []any{"device_id", spec.DeviceID, "p4runtime", r.Addr, "gnmi", r.Addr, "profile", t.profile(spec).String(), "cpu_port", cpu, "ports", len(spec.Ports)}
	if r.ThriftAddr != "" {
		attrs = append(attrs, "thrift", r.ThriftAddr)
	}
	if ref != "" {
		attrs = append(attrs, "pipeline", ref)
	}
	n.log.Info("device up", append([]any{"device", spec.Name}, attrs...)...)
	return nil
}

// serve runs a server in the background; its failure reaches Err.
func (n *Network) serve(dev, what string, f func() error) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := f(); err != nil {
			n.errs <- fmt.Errorf("device %q: %s: %w", dev, what, err)
		}
	}()
}

// Devices returns the running devices in topology order.
func (n *Network) Devices() []*Running { return n.devices }

// Device returns the running device of that name, or nil.
func (n *Network) Device(name string) *Running {
	for _, r := range n.devices {
		if r.Spec.Name == name {
			return r
		}
	}
	return nil
}

// Err delivers the errors of servers that stopped on their own.
func (n *Network) Err() <-chan error { return n.errs }

// Shutdown stops every device's servers, gracefully until ctx is done,
// then closes the devices, links and interface attachments.
func (n *Network) Shutdown(ctx context.Context) {
	n.once.Do(func() {
		var wg sync.WaitGroup
		for _, r := range n.devices {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.Device.Shutdown(ctx)
			}()
		}
		wg.Wait()
		n.wg.Wait()
		for _, w := range n.wires {
			w.Close()
		}
		for _, i := range n.ifaces {
			i.Close()
		}
		for _, r := range n.devices {
			if err := r.Device.Close(); err != nil {
				n.log.Warn("device close", "device", r.Spec.Name, "err", err)
			}
		}
		n.log.Info("network stopped", "devices", len(n.devices))
	})
}

// Close stops everything at once.
func (n *Network) Close() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n.Shutdown(ctx)
}
