package proxy

import (
	"context"
	"sync"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// trail holds the writes a live mirror has not applied yet, before any
// host moved to it (issue 14): nothing forwards through the mirror then,
// so the controller is answered once the authoritative device applied a
// write, and the mirror gets it afterwards, in the order the authoritative
// device applied them, from this queue. The queue holds at most
// Options.MirrorWindow updates (a write bigger than that, alone): a write
// that would overfill it waits. Every barrier (verify, a host move, cut
// over, an abort, detach) drains it with writeMu held, so that what
// follows sees the mirror with every write.
type trail struct {
	mu       sync.Mutex
	changed  *sync.Cond // a job ended or was dropped
	jobs     []trailJob // waiting, oldest first
	inflight *trailJob  // being written
	queued   int        // updates in jobs and inflight
	running  bool       // runTrail runs
	cancel   context.CancelFunc
}

// trailJob is one controller write's applied updates (virtual form) for
// mirror b, and when the authoritative device answered it.
type trailJob struct {
	b    *Backend
	ups  []*p4v1.Update
	wire [][]byte // ups as the controller's wire bytes; nil: none
	at   time.Time
}

func (t *trail) init() { t.changed = sync.NewCond(&t.mu) }

// trailWrite queues ups (wire: as the controller's wire bytes, or nil) for
// mirror b, waiting while the window is full. writeMu is held.
func (d *Device) trailWrite(b *Backend, ups []*p4v1.Update, wire [][]byte) {
	t := &d.trail
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.queued > 0 && t.queued+len(ups) > d.opts.MirrorWindow {
		t.changed.Wait()
	}
	t.jobs = append(t.jobs, trailJob{b: b, ups: ups, wire: wire, at: time.Now()})
	t.queued += len(ups)
	if !t.running {
		t.running = true
		go d.runTrail()
	}
}

// runTrail writes the queued jobs to their mirror one after the other
// until none is left.
func (d *Device) runTrail() {
	t := &d.trail
	for {
		t.mu.Lock()
		if len(t.jobs) == 0 {
			t.running = false
			t.mu.Unlock()
			return
		}
		j := t.jobs[0]
		t.jobs = t.jobs[1:]
		t.inflight = &j
		ctx, cancel := context.WithTimeout(context.Background(), d.opts.WriteTimeout)
		t.cancel = cancel
		t.mu.Unlock()
		d.mirrorWriteWire(ctx, j.b, j.ups, j.wire)
		cancel()
		t.mu.Lock()
		t.inflight, t.cancel = nil, nil
		t.queued -= len(j.ups)
		t.changed.Broadcast()
		t.mu.Unlock()
	}
}

// drainTrail waits until the mirror has every queued write, or ctx ends
// (then it returns ctx's error). writeMu is held: nothing is queued
// meanwhile.
func (d *Device) drainTrail(ctx context.Context) error {
	t := &d.trail
	stop := context.AfterFunc(ctx, func() {
		t.mu.Lock()
		t.changed.Broadcast()
		t.mu.Unlock()
	})
	defer stop()
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.queued > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		t.changed.Wait()
	}
	return nil
}

// dropTrail drops the queued writes and stops the one being written, and
// waits for it to end: the mirror is brought in line another way (a new
// clone), or leaves. writeMu is held. It returns how many updates it
// dropped, the one stopped included.
func (d *Device) dropTrail() int {
	t := &d.trail
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.queued
	t.jobs = nil
	if t.cancel != nil {
		t.cancel()
	}
	for t.inflight != nil {
		t.changed.Wait()
	}
	t.queued = 0
	return n
}

// trailLag is how far the mirror trails the authoritative device: the
// updates it has not applied yet, and how long ago the authoritative
// device answered the oldest of them.
func (d *Device) trailLag() (updates int, behind time.Duration) {
	t := &d.trail
	t.mu.Lock()
	defer t.mu.Unlock()
	oldest := t.inflight
	if oldest == nil && len(t.jobs) > 0 {
		oldest = &t.jobs[0]
	}
	if oldest != nil {
		behind = time.Since(oldest.at)
	}
	return t.queued, behind
}

// Drain waits until the mirror has every write the controller was
// answered for (a barrier: a verify, say, then compares the switches), or
// ctx ends. Writes wait meanwhile.
func (d *Device) Drain(ctx context.Context) error {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	return d.drainTrail(ctx)
}
