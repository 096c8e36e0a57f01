package service

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/regs"
	"github.com/lime-p4/lime/bmv2/thrift"
	gnmiclient "github.com/lime-p4/lime/gnmi/client"
	"github.com/lime-p4/lime/migrator/migrate"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/p4/translate"
)

// Spec is what an operator asks for: move virtual device Device onto
// Target. It travels as JSON (lime migrate to lime proxy) and is kept in
// the journal.
type Spec struct {
	Device uint64   `json:"device"`
	Target Endpoint `json:"target"`
	// SourceGNMI and SourceThrift reach the source's gNMI (to switch its
	// ports) and bmv2 Thrift API (registers); "" without.
	SourceGNMI   string `json:"source_gnmi,omitempty"`
	SourceThrift string `json:"source_thrift,omitempty"`
	// PortMap takes every virtual port to the target's (FROM=TO pairs).
	PortMap string `json:"port_map"`
	// Hosts are the ports whose hosts move, in order.
	Hosts    []uint64     `json:"hosts"`
	Trunk    *proxy.Trunk `json:"trunk,omitempty"`
	Pipeline *Pipeline    `json:"pipeline,omitempty"`
	Force    bool         `json:"force,omitempty"`
	// Settle is how long a host's new port is up, at least, before its old
	// port goes down (migrate.Driver.Settle).
	Settle time.Duration `json:"settle_ns,omitempty"`
}

// Endpoint reaches a physical device (plaintext).
type Endpoint struct {
	Addr     string `json:"addr"`
	DeviceID uint64 `json:"device_id"`
	Thrift   string `json:"thrift,omitempty"`
	GNMI     string `json:"gnmi,omitempty"`
}

// Pipeline is the target's own compilation of the program.
type Pipeline struct {
	P4Info       []byte `json:"p4info"`        // text or binary P4Info
	DeviceConfig []byte `json:"device_config"` // the bmv2 JSON, say
}

func (s *Spec) check() error {
	switch {
	case s.Device == 0:
		return errors.New("no device id")
	case s.Target.Addr == "":
		return errors.New("no target address")
	case s.PortMap == "":
		return errors.New("no port map")
	case len(s.Hosts) == 0:
		return errors.New("no host port to move")
	}
	return nil
}

// Options configure a Service.
type Options struct {
	// ElectionID is the proxy's election id towards the devices.
	ElectionID client.ElectionID
	// Rules say which P4Runtime values are ports.
	Rules info.PortRules
	// Journal keeps migrations across restarts; nil keeps them in memory.
	Journal *migrate.BoltJournal
	// TLS secures the connections to the switches (P4Runtime and gNMI);
	// nil: plaintext.
	TLS *client.TLSOptions
	Log *slog.Logger
	// Auth, when set, is the credential the admin API (Handler) requires;
	// nil: none (a handler served in-process only).
	Auth *Auth
}

// Service runs the migrations of a proxy's devices and answers the admin
// API (see Handler).
type Service struct {
	proxy *proxy.Proxy
	opts  Options

	mu        sync.Mutex
	runs      map[uint64]*run
	preparing map[uint64]bool // devices whose migration is being set up
	plan      *planRun        // the network migration, the last one
}

// New makes the service of proxy p.
func New(p *proxy.Proxy, opts Options) *Service {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{proxy: p, opts: opts, runs: map[uint64]*run{}, preparing: map[uint64]bool{}}
}

// DialBackend reaches a switch as the proxy drives it: over P4Runtime with
// the proxy's election id (it must become the switch's primary), its
// P4Info indexed with the port rules, and its gNMI when gnmiAddr is given
// (set on the Backend, and returned to be closed with it).
func (o Options) DialBackend(ctx context.Context, addr string, deviceID uint64, gnmiAddr string) (*proxy.Backend, *gnmiclient.Client, error) {
	eid := o.ElectionID
	c, err := client.Dial(ctx, addr, client.DialOptions{DeviceID: deviceID, ElectionID: &eid, Logger: o.Log, TLS: o.TLS, Insecure: o.TLS == nil})
	if err != nil {
		return nil, nil, err
	}
	b, err := proxy.NewBackend(ctx, addr, c, info.WithPortRules(o.Rules))
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	if gnmiAddr == "" {
		return b, nil, nil
	}
	g, err := o.dialGNMI(ctx, gnmiAddr)
	if err != nil {
		b.Close()
		return nil, nil, fmt.Errorf("gNMI: %w", err)
	}
	b.SetGNMI(g)
	return b, g, nil
}

// dialGNMI reaches a switch's gNMI, with TLS when o.TLS says so.
func (o Options) dialGNMI(ctx context.Context, addr string) (*gnmiclient.Client, error) {
	if o.TLS == nil {
		return gnmiclient.Dial(ctx, addr, gnmiclient.WithInsecure())
	}
	cfg, err := o.TLS.Config()
	if err != nil {
		return nil, err
	}
	return gnmiclient.Dial(ctx, addr, gnmiclient.WithTLS(cfg))
}

// run is one device's migration.
type run struct {
	spec    Spec
	m       *migrate.Machine // touched only while no driver runs
	drv     *migrate.Driver
	journal *migrate.BoltJournal // nil: in memory
	closers []func()
	// device are the closers of what the virtual device keeps using once
	// cut over (the target and its gNMI), until the service closes.
	device []func()

	// plan is the network migration the device moves with (nil: alone).
	plan *planRun
	// restored: taken up from the journal, to be started (Start).
	restored bool

	mu      sync.Mutex
	state   migrate.State // the latest, for status
	step    string        // the action running, "" when none
	started time.Time     // when it started
	history []StepRecord
	running bool
	err     string
	cancel  context.CancelFunc
	done    chan struct{}
}

// StepRecord is one step a migration ran.
type StepRecord struct {
	Action string        `json:"action"`
	Took   time.Duration `json:"took_ns"`
	Error  string        `json:"error,omitempty"`
}

// save keeps the state in the journal, then for status (which so never
// shows a state the journal does not hold).
func (r *run) save(st migrate.State) error {
	var err error
	if r.journal != nil {
		err = r.journal.Save(r.spec.Device, st)
	}
	r.mu.Lock()
	if r.step != "" {
		r.history = append(r.history, StepRecord{Action: r.step, Took: time.Since(r.started), Error: st.Failed})
		r.step = ""
	}
	r.state = st
	r.mu.Unlock()
	return err
}

// runJournal is the driver's journal: the run's (its device's).
type runJournal struct{ r *run }

func (rj runJournal) Save(_ uint64, st migrate.State) error { return rj.r.save(st) }

func (rj runJournal) SaveCutOver(device uint64, v any) error {
	if rj.r.journal == nil {
		return nil
	}
	return rj.r.journal.SaveCutOver(device, v)
}

func (rj runJournal) SaveOffsets(device uint64, v any) error {
	if rj.r.journal == nil {
		return nil
	}
	return rj.r.journal.SaveOffsets(device, v)
}

var (
	_ migrate.CutOverSaver = runJournal{}
	_ migrate.OffsetSaver  = runJournal{}
)

// ErrBusy: the device has a migration that has not ended.
var ErrBusy = errors.New("a migration of this device has not ended")

// Migrate starts migrating spec.Device. It returns once the target is
// reached; the steps run in the background (see Status).
func (s *Service) Migrate(ctx context.Context, spec Spec) error {
	if err := spec.check(); err != nil {
		return fmt.Errorf("migration: %w", err)
	}
	s.mu.Lock()
	if s.preparing[spec.Device] {
		s.mu.Unlock()
		return fmt.Errorf("device %d: %w (it is being set up)", spec.Device, ErrBusy)
	}
	if r := s.runs[spec.Device]; r != nil {
		r.mu.Lock()
		st := r.state
		r.mu.Unlock()
		if st.Step != migrate.Done && st.Step != migrate.Aborted {
			s.mu.Unlock()
			return fmt.Errorf("device %d: %w (it stands at %v)", spec.Device, ErrBusy, st.Step)
		}
	}
	s.preparing[spec.Device] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.preparing, spec.Device)
		s.mu.Unlock()
	}()
	r, err := s.prepare(ctx, spec)
	if err != nil {
		return err
	}
	r.m = migrate.New(spec.Hosts)
	r.state = r.m.State()
	if r.journal != nil {
		if err := r.journal.Start(spec.Device, spec, r.state); err != nil {
			r.close(false)
			return err
		}
	}
	s.mu.Lock()
	s.runs[spec.Device] = r
	s.mu.Unlock()
	s.start(r)
	return nil
}

// prepare reaches the target (and the devices' gNMI and Thrift) and builds
// the driver.
func (s *Service) prepare(ctx context.Context, spec Spec) (*run, error) {
	dev := s.proxy.Device(spec.Device)
	if dev == nil {
		return nil, fmt.Errorf("migration: the proxy stands for no device %d", spec.Device)
	}
	if dev.Migrated() {
		return nil, fmt.Errorf("migration: device %d was migrated onto %s already; a migration starts from the switch the controllers first knew", spec.Device, dev.Authoritative().Name)
	}
	pm, err := translate.ParsePortMap(spec.PortMap)
	if err != nil {
		return nil, fmt.Errorf("migration: %w", err)
	}
	r := &run{spec: spec, journal: s.opts.Journal}
	fail := func(err error) (*run, error) {
		r.close(false)
		return nil, fmt.Errorf("migration of device %d: %w", spec.Device, err)
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	target, tg, err := s.opts.DialBackend(dctx, spec.Target.Addr, spec.Target.DeviceID, spec.Target.GNMI)
	if err != nil {
		return fail(fmt.Errorf("target: %w", err))
	}
	r.device = append(r.device, func() { target.Close() })
	drv := &migrate.Driver{Device: dev, Target: target, Force: spec.Force, Settle: spec.Settle, Log: s.opts.Log,
		Ports:   proxy.Ports{Map: pm, Hosts: spec.Hosts, Trunk: spec.Trunk},
		Journal: runJournal{r: r},
		Progress: func(a migrate.Action) {
			r.mu.Lock()
			r.step, r.started = a.String(), time.Now()
			r.mu.Unlock()
		}}
	if tg != nil {
		// The proxy serves the target's ports once hosts move.
		r.device = append(r.device, func() { tg.Close() })
		drv.TargetPorts = &migrate.GNMIPorts{Client: tg}
	}
	if p := spec.Pipeline; p != nil {
		p4i, err := info.Parse(p.P4Info)
		if err != nil {
			return fail(fmt.Errorf("the target's P4Info: %w", err))
		}
		drv.Pipeline = &p4v1.ForwardingPipelineConfig{P4Info: p4i, P4DeviceConfig: p.DeviceConfig}
	}
	if spec.SourceGNMI != "" {
		g, err := s.opts.dialGNMI(dctx, spec.SourceGNMI)
		if err != nil {
			return fail(fmt.Errorf("source gNMI: %w", err))
		}
		r.closers = append(r.closers, func() { g.Close() })
		drv.SourcePorts = &migrate.GNMIPorts{Client: g}
	}
	thriftOf := func(addr, what string) (*thrift.Client, error) {
		if addr == "" {
			return nil, nil
		}
		t, err := thrift.Dial(dctx, addr)
		if err != nil {
			return nil, fmt.Errorf("%s Thrift: %w", what, err)
		}
		r.closers = append(r.closers, func() { t.Close() })
		return t, nil
	}
	if t, err := thriftOf(spec.SourceThrift, "source"); err != nil {
		return fail(err)
	} else if t != nil {
		auth := dev.Authoritative()
		drv.SourceReader = &regs.Reader{P4: auth.Client(), Thrift: t, Info: auth.Info()}
		drv.SourceRegisters = &regs.Writer{Thrift: t, Info: auth.Info()}
	}
	if t, err := thriftOf(spec.Target.Thrift, "target"); err != nil {
		return fail(err)
	} else if t != nil {
		tr := &targetRegs{b: target, t: t}
		drv.TargetReader, drv.TargetRegisters = tr, tr
	}
	drv.ThriftHint = oneDeviceThrift
	r.drv = drv
	return r, nil
}

// oneDeviceThrift says how a one-device migration gives a switch's bmv2
// Thrift address: lime migrate's flag, the admin API's field (the spec of
// a migration cannot change: it is aborted and asked for again).
func oneDeviceThrift(side string) string {
	flag, field := "--from-thrift", "source_thrift"
	if side == "target" {
		flag, field = "--to-thrift", "target.thrift"
	}
	return fmt.Sprintf("lime abort, then lime migrate again with %s HOST:PORT; %s in the admin API", flag, field)
}

// prepareCutOver sets up, after a restart, the run of a device a plan cut
// over already (the proxy stands for its target): what is left are the
// fabric's tasks, over the two switches' ports.
func (s *Service) prepareCutOver(ctx context.Context, spec Spec) (*run, error) {
	dev := s.proxy.Device(spec.Device)
	if dev == nil || !dev.Migrated() {
		return nil, fmt.Errorf("migration: device %d: the journal says it was cut over, and the proxy does not stand for its target", spec.Device)
	}
	pm, err := translate.ParsePortMap(spec.PortMap)
	if err != nil {
		return nil, fmt.Errorf("migration: %w", err)
	}
	r := &run{spec: spec, journal: s.opts.Journal}
	r.drv = &migrate.Driver{Device: dev, Target: dev.Authoritative(), Settle: spec.Settle, Log: s.opts.Log,
		Ports: proxy.Ports{Map: pm, Hosts: spec.Hosts, Trunk: spec.Trunk}, Journal: runJournal{r: r}}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for _, x := range []struct {
		addr  string
		ports *migrate.PortSwitch
		what  string
	}{{spec.Target.GNMI, &r.drv.TargetPorts, "target"}, {spec.SourceGNMI, &r.drv.SourcePorts, "source"}} {
		if x.addr == "" {
			continue
		}
		g, err := s.opts.dialGNMI(dctx, x.addr)
		if err != nil {
			r.close(false)
			return nil, fmt.Errorf("migration of device %d: %s gNMI: %w", spec.Device, x.what, err)
		}
		r.closers = append(r.closers, func() { g.Close() })
		*x.ports = &migrate.GNMIPorts{Client: g}
	}
	return r, nil
}

// targetRegs reads and writes the target's registers over Thrift, with
// the P4Info the target runs at the time (it gets one during the
// migration).
type targetRegs struct {
	b *proxy.Backend
	t *thrift.Client
}

func (x *targetRegs) reader() *regs.Reader {
	return &regs.Reader{P4: x.b.Client(), Thrift: x.t, Info: x.b.Info()}
}

func (x *targetRegs) Read(ctx context.Context, filters ...*p4v1.Entity) iter.Seq2[*p4v1.Entity, error] {
	return x.reader().Read(ctx, filters...)
}

func (x *targetRegs) ReadRaw(ctx context.Context, filters ...*p4v1.Entity) iter.Seq2[[]byte, error] {
	return x.reader().ReadRaw(ctx, filters...)
}

func (x *targetRegs) WriteRegister(ctx context.Context, e *p4v1.Entity) error {
	return (&regs.Writer{Thrift: x.t, Info: x.b.Info()}).WriteRegister(ctx, e)
}

// close releases what the run holds, once; keepDevice leaves what the
// device uses after a cut over (the target and its gNMI).
func (r *run) close(keepDevice bool) {
	r.mu.Lock()
	cs := r.closers
	if !keepDevice {
		cs = append(slices.Clone(r.device), cs...)
		r.device = nil
	}
	r.closers = nil
	r.mu.Unlock()
	for _, c := range slices.Backward(cs) {
		c()
	}
}

// start runs the machine in the background.
func (s *Service) start(r *run) {
	ctx, cancel := context.WithCancel(context.Background())
	r.mu.Lock()
	r.running, r.err, r.cancel, r.done = true, "", cancel, make(chan struct{})
	r.mu.Unlock()
	go func() {
		err := r.drv.Run(ctx, r.m)
		r.mu.Lock()
		r.running, r.step, r.state = false, "", r.m.State()
		if err != nil && ctx.Err() == nil {
			r.err = err.Error()
		}
		step := r.state.Step
		close(r.done)
		r.mu.Unlock()
		if step == migrate.Done || step == migrate.Aborted {
			// Once cut over, the target is the device's for as long as the
			// service runs.
			r.close(step == migrate.Done)
		}
		cancel()
	}()
}

// stop cancels a running driver and waits for it.
func (r *run) stop() {
	r.mu.Lock()
	running, cancel, done := r.running, r.cancel, r.done
	r.mu.Unlock()
	if running {
		cancel()
		<-done
	}
}

func (s *Service) get(device uint64) (*run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.runs[device]
	if r == nil {
		return nil, fmt.Errorf("device %d has no migration", device)
	}
	return r, nil
}

// Abort undoes device's migration (it must not have cut over): the moved
// hosts come back, the dual-write stops, the target is cleared.
func (s *Service) Abort(device uint64) error {
	r, err := s.get(device)
	if err != nil {
		return err
	}
	if r.plan != nil {
		return fmt.Errorf("device %d moves with the plan %s: abort the plan (lime abort --plan)", device, r.plan.plan.File)
	}
	r.stop()
	if err := r.m.Abort(); err != nil {
		return err
	}
	if err := r.save(r.m.State()); err != nil {
		return err
	}
	s.start(r)
	return nil
}

// Retry runs device's failed step again.
func (s *Service) Retry(device uint64) error {
	r, err := s.get(device)
	if err != nil {
		return err
	}
	if r.plan != nil {
		return fmt.Errorf("device %d moves with the plan %s: retry the plan (lime migrate --retry --plan)", device, r.plan.plan.File)
	}
	r.stop()
	if err := r.m.Retry(); err != nil {
		return err
	}
	s.start(r)
	return nil
}

// Close stops the running migrations (they resume from the journal) and
// releases what they hold.
func (s *Service) Close() {
	s.mu.Lock()
	runs := slices.Collect(maps.Values(s.runs))
	s.mu.Unlock()
	for _, r := range runs {
		r.stop()
		r.close(false)
	}
	if pr := s.plan; pr != nil {
		pr.stop()
		pr.close(false)
	}
}
