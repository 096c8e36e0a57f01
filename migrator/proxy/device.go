package proxy

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/internal/watchers"
	"github.com/lime-p4/lime/p4/arbitration"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/p4/translate"
)

// MirrorMode is what happens to writes for the mirror.
type MirrorMode uint8

const (
	// MirrorOff: no mirror.
	MirrorOff MirrorMode = iota
	// MirrorLogging: writes applied by the authoritative device are
	// recorded, to be replayed onto the mirror once it is cloned.
	MirrorLogging
	// MirrorLive: writes go to the mirror too. With a host on the mirror
	// they go to both at once, and the controller is answered once both
	// applied them; before, the mirror trails the authoritative device
	// within a window that barriers drain (see trail).
	MirrorLive
)

func (m MirrorMode) String() string {
	switch m {
	case MirrorLogging:
		return "logging"
	case MirrorLive:
		return "live"
	}
	return "off"
}

// Device is one virtual device: what a controller sees as a switch.
type Device struct {
	id   uint64
	opts *Options
	log  *slog.Logger
	arb  *arbitration.Arbiter[*Session]

	// writeMu orders writes, and changes of route and pipeline, among
	// themselves: a write reaches the mirror in the order the
	// authoritative device applied it.
	writeMu sync.Mutex

	mu sync.RWMutex // guards what follows
	// origin is the device the controllers first knew: its P4Info and
	// cookie are the virtual device's (vinfo, and virtual once it is
	// released at cut over).
	origin  *Backend
	vinfo   *info.Info
	virtual *p4v1.ForwardingPipelineConfig
	auth    *Backend
	mirror  *Backend
	mode    MirrorMode
	ports   *Ports // how a migration maps ports (with a mirror)
	moved   map[uint64]bool
	// shadow holds, by key, the controller's form of the entities the
	// source holds in another form: those sending to a moved host, which
	// the source sends to the trunk instead.
	shadow map[entity.Key]*p4v1.Entity
	// moves are what sends to each host, and the moves stopped halfway
	// (hostmove.go).
	moves hostMoves
	// offsets are counts kept from a switch that no longer counts for the
	// device, added to what reads answer (a counter never goes back): the
	// source's, released at cut over, and a mirror's, detached by an abort
	// after it carried traffic.
	offsets map[entity.Key]*p4v1.CounterData
	// seenMirror is the highest value of each counter reads took from the
	// live mirror: what an abort keeps when the mirror no longer answers.
	seenMirror map[entity.Key]*p4v1.CounterData
	// reseeds counts the times a restarted mirror's counts became offsets
	// (Reseed): a read that took the offsets before must take them again.
	reseeds uint64
	journal [][]*p4v1.Update // writes recorded while logging (virtual form)
	repairs []Repair
	digests digestRoutes

	// cutMap is the port map of the migration that cut over (virtual ->
	// target port), for the interfaces served over gNMI.
	cutMap *translate.PortMap

	// held, when set, is why the device answers nothing (Hold).
	held string

	listening    map[*Backend]context.CancelFunc
	sessions     sessions // the controllers' streams
	portWatchers watchers.List[func()]
	vports       vports
	stats        counters
	trail        trail   // the writes a live mirror trails by
	latency      latency // the controllers' writes
}

// counters are a device's figures since it was added.
type counters struct {
	writes, relayed, updates, mirrored, wired, logged, replayed, fixed, retried, repairs atomic.Int64
	packetIns, packetInsDropped, packetOuts                                              atomic.Int64
}

// Stats are a device's figures, for status and metrics.
type Stats struct {
	Mode     string `json:"mode"`
	Writes   int64  `json:"writes"`   // Write RPCs passed on
	Relayed  int64  `json:"relayed"`  // of them, passed on as their bytes (no migration, no translation)
	Updates  int64  `json:"updates"`  // updates in them
	Mirrored int64  `json:"mirrored"` // updates written to the mirror (live or replayed)
	// MirroredWire counts the updates sent to the mirror translated as
	// the controller's wire bytes, not decoded (Translator.UpdateWire).
	MirroredWire int64 `json:"mirrored_wire"`
	Logged       int64 `json:"logged"`     // updates recorded while logging
	Pending      int   `json:"pending"`    // recorded updates not yet replayed
	Replayed     int64 `json:"replayed"`   // recorded updates replayed
	Fixed        int64 `json:"fixed"`      // mirror updates sent again as their intent (INSERT as MODIFY, ...)
	Retried      int64 `json:"retried"`    // mirror writes retried after a transient failure
	Repairs      int   `json:"repairs"`    // mirror updates waiting for repair
	PacketIns    int64 `json:"packet_ins"` // packet-ins delivered to the controller
	// PacketInsDropped counts packet-ins not delivered: on a port the
	// controller does not know (a trunk), or with no primary controller.
	PacketInsDropped int64 `json:"packet_ins_dropped"`
	PacketOuts       int64 `json:"packet_outs"`
	// MirrorLag is how many updates the live mirror has not applied yet
	// (it may trail before any host moved to it), and MirrorLagSeconds
	// how long ago the authoritative device applied the oldest of them.
	MirrorLag        int     `json:"mirror_lag"`
	MirrorLagSeconds float64 `json:"mirror_lag_seconds"`
}

func newDevice(id uint64, auth *Backend, opts *Options) *Device {
	d := &Device{id: id, opts: opts, log: opts.Log.With("device_id", id), origin: auth, vinfo: auth.Info(), auth: auth,
		listening: map[*Backend]context.CancelFunc{}}
	d.digests.init()
	d.trail.init()
	d.arb = arbitration.New(id, arbitration.Spec, opts.MaxStreams, func(s *Session, u *p4v1.MasterArbitrationUpdate) {
		s.out.Push(&p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Arbitration{Arbitration: u}}, false)
	})
	d.listen(auth)
	return d
}

// ID is the device id controllers use.
func (d *Device) ID() uint64 { return d.id }

// Authoritative is the backend whose state is the truth.
func (d *Device) Authoritative() *Backend {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.auth
}

// Migrated reports whether the device was cut over onto another switch
// than the one the controllers first knew.
func (d *Device) Migrated() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.auth != d.origin
}

// Mirror is the mirror backend and its mode (nil, MirrorOff without one).
func (d *Device) Mirror() (*Backend, MirrorMode) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.mirror, d.mode
}

// Stats reports the device's figures.
func (d *Device) Stats() Stats {
	d.mu.RLock()
	mode, pending, repairs := d.mode, 0, len(d.repairs)
	for _, w := range d.journal {
		pending += len(w)
	}
	d.mu.RUnlock()
	c := &d.stats
	lag, behind := d.trailLag()
	return Stats{MirrorLag: lag, MirrorLagSeconds: behind.Seconds(), Mode: mode.String(), Writes: c.writes.Load(), Relayed: c.relayed.Load(), Updates: c.updates.Load(), Mirrored: c.mirrored.Load(), MirroredWire: c.wired.Load(),
		Logged: c.logged.Load(), Pending: pending, Replayed: c.replayed.Load(), Fixed: c.fixed.Load(),
		Retried: c.retried.Load(), Repairs: repairs, PacketIns: c.packetIns.Load(),
		PacketInsDropped: c.packetInsDropped.Load(), PacketOuts: c.packetOuts.Load()}
}

// AttachMirror makes b the device's mirror, in MirrorLogging mode: from now
// on every write the authoritative device applies is recorded for b. The
// virtual device's entities reach b translated to b's P4Info by name and
// their ports by ports (see Ports). Both devices must run the same
// program; a difference is refused, named, before anything changes.
func (d *Device) AttachMirror(b *Backend, ports Ports) error {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.mirror != nil {
		return fmt.Errorf("device %d: %w: %s is already its mirror", d.id, ErrMigrating, d.mirror.Name)
	}
	if d.auth != d.origin {
		return fmt.Errorf("device %d: %w: it was migrated onto %s already", d.id, ErrMigrating, d.auth.Name)
	}
	if d.vinfo == nil || b.Info() == nil {
		return fmt.Errorf("device %d: %w: a mirror needs pipelines on both devices", d.id, ErrNoPipeline)
	}
	if err := ports.check(); err != nil {
		return fmt.Errorf("device %d: %w", d.id, err)
	}
	moved := map[uint64]bool{}
	src, dst, err := d.translations(b, &ports, moved)
	if err != nil {
		return err
	}
	if err := b.setTranslators(dst); err != nil {
		return err
	}
	if err := d.auth.setTranslators(src); err != nil {
		return err
	}
	d.mirror, d.mode, d.journal = b, MirrorLogging, nil
	d.ports, d.moved, d.shadow = &ports, moved, map[entity.Key]*p4v1.Entity{}
	d.listenLocked(b)
	d.forgetShadows() // a former migration's
	d.log.Info("mirror attached", "mirror", b.Name, "mode", d.mode.String())
	return nil
}

// DetachMirror stops mirroring (an abort): writes go to the authoritative
// device only; what was recorded and not replayed is dropped, as are
// repairs. Moved hosts must be moved back first. The mirror's counts are
// kept as offsets, added to the device's from then on: a counter the
// controller read as the sum of both never goes back. It returns the
// mirror (nil without one), which the caller closes.
func (d *Device) DetachMirror(ctx context.Context) (*Backend, error) {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	d.mu.RLock()
	b, moved := d.mirror, len(d.moved)
	d.mu.RUnlock()
	if b == nil {
		return nil, nil
	}
	if moved > 0 {
		return nil, fmt.Errorf("device %d: %d hosts are on %s: move them back before detaching it", d.id, moved, b.Name)
	}
	// What the mirror trails by reaches it first (its counts are read
	// next); a mirror that does not take it in time drops it.
	if err := d.drainTrail(ctx); err != nil {
		d.log.Warn("detaching the mirror before it applied every write", "mirror", b.Name, "dropped", d.dropTrail(), "err", err)
	}
	final := d.mirrorFinal(ctx, b)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.unlistenLocked(b)
	d.offsets = sumCounters(d.offsets, final)
	d.mirror, d.mode, d.journal, d.repairs = nil, MirrorOff, nil, nil
	d.ports, d.moved, d.shadow, d.seenMirror = nil, nil, nil, nil
	d.auth.setTranslators(nil)
	b.setTranslators(nil)
	d.forgetShadows()
	d.log.Info("mirror detached", "mirror", b.Name)
	return b, nil
}

// Reseed takes mirror b back to recording writes (MirrorLogging), for a
// migration that brings it in line with the source again after a switch
// restarted (DESIGN.md, "Faults"): it clones again and catches up. The
// hosts moved stay moved and the translations stay; what was recorded or
// kept for repair is dropped (the clone copies the source as it is now).
// lost says b restarted: what the controller saw it count becomes offsets
// (b counts from zero again).
func (d *Device) Reseed(b *Backend, lost bool) error {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	if m, _ := d.Mirror(); m != b {
		return fmt.Errorf("device %d: %w: %s is not its mirror", d.id, ErrInvalid, b.Name)
	}
	d.dropTrail() // the new clone copies what the mirror trails by
	d.mu.Lock()
	defer d.mu.Unlock()
	if lost {
		d.offsets = sumCounters(d.offsets, d.seenMirror)
		d.seenMirror = nil
		d.reseeds++
	}
	d.mode, d.journal, d.repairs = MirrorLogging, nil, nil
	d.log.Info("mirror brought in line again: recording writes", "mirror", b.Name, "restarted", lost)
	return nil
}

// Forget drops mirror b from the proxy's memory, as a proxy that
// restarted has: nothing is written to either switch, and the counts b
// holds stay b's (Reattach takes it up again). It is for a source that
// restarted and was set up again by the controller: what the proxy knew
// of the forms the source holds is rebuilt from the switches by Reattach.
// Hold the device meanwhile: until then reads may see the source's form.
func (d *Device) Forget(b *Backend) error {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	if m, _ := d.Mirror(); m != b {
		return fmt.Errorf("device %d: %w: %s is not its mirror", d.id, ErrInvalid, b.Name)
	}
	d.dropTrail() // Reattach clones again
	d.mu.Lock()
	defer d.mu.Unlock()
	d.unlistenLocked(b)
	d.mirror, d.mode, d.journal, d.repairs = nil, MirrorOff, nil, nil
	d.ports, d.moved, d.shadow = nil, nil, nil
	d.auth.setTranslators(nil)
	b.setTranslators(nil)
	d.log.Info("mirror forgotten, to be attached again", "mirror", b.Name)
	return nil
}

// Hold makes the device answer every Write, Read and pipeline request
// with UNAVAILABLE, saying why, until Release: a restarted proxy holds a
// device whose migration had hosts on the target until its mirror is
// attached again, for until then the source's state reads otherwise than
// the controller wrote it.
func (d *Device) Hold(why string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.held = why
}

// Release ends a Hold.
func (d *Device) Release() { d.Hold("") }

// Held is why the device is held, "" when it is not.
func (d *Device) Held() string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.held
}

func (d *Device) checkHeld() error {
	if why := d.Held(); why != "" {
		return fmt.Errorf("device %d: %w: %s", d.id, ErrHeld, why)
	}
	return nil
}

// Paused runs f while no write reaches either device (writes wait), for a
// consistent look at both: the mirror has every write the controller was
// answered for.
func (d *Device) Paused(f func() error) error {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	if err := d.drainTrail(context.Background()); err != nil {
		return err
	}
	return f()
}

// virtualInfoLocked is the P4Info controllers use.
func (d *Device) virtualInfoLocked() *info.Info { return d.vinfo }

// listen starts passing b's stream messages to the controllers.
func (d *Device) listen(b *Backend) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.listenLocked(b)
}

func (d *Device) listenLocked(b *Backend) {
	if _, ok := d.listening[b]; ok {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.listening[b] = cancel
	go d.pump(ctx, b)
	go d.watchPorts(ctx, b)
	go d.portsChanged() // which switch carries which host may have changed
}

func (d *Device) unlistenLocked(b *Backend) {
	if cancel, ok := d.listening[b]; ok {
		cancel()
		delete(d.listening, b)
	}
}

// close stops listening to every backend and ends the controllers' streams.
func (d *Device) close() {
	d.mu.Lock()
	for b, cancel := range d.listening {
		cancel()
		delete(d.listening, b)
	}
	d.mu.Unlock()
}
