package p4rt

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// Options configure a Device.
type Options struct {
	// DeviceID is the P4Runtime device_id (non-zero).
	DeviceID uint64
	// Profile selects bmv2 or spec behaviour (default bmv2).
	Profile Profile
	// Target realises pipelines; nil means a MemoryTarget.
	Target Target
	// Logger receives the device's events; nil means slog.Default().
	Logger *slog.Logger
	// IdleScan is how often entries are checked for idle timeouts
	// (default 20ms).
	IdleScan time.Duration
	// ReadChunk is how many entities a ReadResponse holds at most in profile
	// spec (default 1000); profile bmv2 always answers in one message.
	ReadChunk int
	// MaxStreams bounds the StreamChannel sessions per (device, role)
	// (default 16, PI's limit).
	MaxStreams int
	// PacketInQueue bounds the stream messages (packet-in, digests, idle
	// notifications) queued per session before new ones are dropped, as
	// the specification allows (default 1024).
	PacketInQueue int
}

// Device is one P4Runtime device. Its methods are safe for concurrent use.
type Device struct {
	id      uint64
	profile Profile
	target  Target
	log     *slog.Logger
	opts    Options

	// mu guards the forwarding state: Write takes it exclusively, Read
	// shared. Arbitration changes also take it exclusively so that writes in
	// flight finish before a new primary is accepted (spec section "Rules
	// for Handling MasterArbitrationUpdate Messages").
	mu sync.RWMutex
	// st is the pipeline state Read and Write refer to; nil before a
	// pipeline is set.
	st *state
	// active is the program that forwards (may lag st after
	// VERIFY_AND_SAVE until COMMIT).
	active Program
	// uncommitted is set between VERIFY_AND_SAVE and COMMIT.
	uncommitted bool

	arb *arbiter

	closeOnce sync.Once
	closed    chan struct{}
	wg        sync.WaitGroup
}

// New creates a device without a pipeline. Close it when done.
func New(opts Options) (*Device, error) {
	if opts.DeviceID == 0 {
		return nil, fmt.Errorf("p4rt: device id 0 is not valid (P4Runtime spec section \"Default Role and Default Device ID\")")
	}
	if opts.Profile != ProfileBMv2 && opts.Profile != ProfileSpec {
		return nil, fmt.Errorf("p4rt: unknown profile %v", opts.Profile)
	}
	if opts.Target == nil {
		opts.Target = NewMemoryTarget()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.IdleScan <= 0 {
		opts.IdleScan = 20 * time.Millisecond
	}
	if opts.ReadChunk <= 0 {
		opts.ReadChunk = 1000
	}
	if opts.MaxStreams <= 0 {
		opts.MaxStreams = 16
	}
	if opts.PacketInQueue <= 0 {
		opts.PacketInQueue = 1024
	}
	d := &Device{
		id:      opts.DeviceID,
		profile: opts.Profile,
		target:  opts.Target,
		log:     opts.Logger.With("device_id", opts.DeviceID),
		opts:    opts,
		closed:  make(chan struct{}),
	}
	d.arb = newArbiter(d)
	d.wg.Add(1)
	go d.timers()
	return d, nil
}

// ID returns the device id.
func (d *Device) ID() uint64 { return d.id }

// Profile returns the device's profile.
func (d *Device) Profile() Profile { return d.profile }

// Close ends every stream session, stops the timers and closes the
// programs. It is idempotent.
func (d *Device) Close() error {
	var err error
	d.closeOnce.Do(func() {
		close(d.closed)
		d.arb.closeAll("device shutting down")
		d.wg.Wait()
		d.mu.Lock()
		defer d.mu.Unlock()
		err = d.dropPipelineLocked()
	})
	return err
}

// Restart makes the device what a switch process started again is: the
// pipeline and every forwarding state it held (entries, groups, PRE,
// counters, meters, registers) are gone, then every stream session ends
// with UNAVAILABLE, so controllers arbitrate again and find no pipeline
// (DESIGN.md, "Faults": a switch restarts). The device keeps serving and
// keeps its ports.
func (d *Device) Restart() error {
	d.mu.Lock()
	err := d.dropPipelineLocked()
	d.mu.Unlock()
	d.arb.closeAll("device restarting")
	d.log.Info("device restarted: pipeline and state gone")
	return err
}

// dropPipelineLocked closes the programs and forgets the state. d.mu is
// held.
func (d *Device) dropPipelineLocked() error {
	var err error
	if d.st != nil && d.st.prog != d.active {
		err = d.st.prog.Close()
	}
	if d.active != nil {
		if e := d.active.Close(); e != nil && err == nil {
			err = e
		}
	}
	d.st, d.active, d.uncommitted = nil, nil, false
	return err
}

// Capabilities answers the Capabilities RPC (spec section "Capabilities
// RPC"): the P4Runtime version of the profile. A non-zero device id other
// than the device's is NOT_FOUND in profile spec; bmv2 ignores it.
func (d *Device) Capabilities(req *p4v1.CapabilitiesRequest) (*p4v1.CapabilitiesResponse, error) {
	if d.profile == ProfileSpec && req.GetDeviceId() != 0 && req.GetDeviceId() != d.id {
		return nil, errorf(ErrNotFound, "device %d is not known (this is device %d)", req.GetDeviceId(), d.id)
	}
	return &p4v1.CapabilitiesResponse{P4RuntimeApiVersion: d.profile.APIVersion()}, nil
}

// timers runs the idle-timeout scan and the digest timeouts.
func (d *Device) timers() {
	defer d.wg.Done()
	tick := time.NewTicker(d.opts.IdleScan)
	defer tick.Stop()
	for {
		select {
		case <-d.closed:
			return
		case now := <-tick.C:
			d.mu.RLock()
			st := d.st
			d.mu.RUnlock()
			if st == nil {
				continue
			}
			st.digests.tick(now)
			d.scanIdle(st, now)
		}
	}
}

// CloseSessions ends every open stream session with UNAVAILABLE, as a
// server shutting down does; the device keeps its state and accepts new
// sessions.
func (d *Device) CloseSessions() { d.arb.closeAll("device shutting down") }
