package port

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Host is an endpoint plugged into a port, for tests: Send puts a frame on
// the wire towards the switch, Recv takes the frames the switch sent out of
// the port. Its link is up while the host is up (SetUp) and the port is
// admin-enabled.
type Host struct {
	name    string
	p       *Port
	up      atomic.Bool
	rx      chan []byte
	dropped atomic.Uint64
	done    chan struct{}
	once    sync.Once
}

// ConnectHost plugs a new host endpoint named name into p, which must be
// unattached. The host starts up.
func ConnectHost(p *Port, name string) (*Host, error) {
	if p == nil {
		return nil, fmt.Errorf("port: ConnectHost %q: nil port", name)
	}
	h := &Host{name: name, p: p, rx: make(chan []byte, QueueLen), done: make(chan struct{})}
	h.up.Store(true)
	if err := p.attach(h); err != nil {
		return nil, err
	}
	p.refreshCarrier(h)
	return h, nil
}

// Name returns the host's name.
func (h *Host) Name() string { return h.name }

// Port returns the switch port the host is plugged into.
func (h *Host) Port() *Port { return h.p }

// LinkUp reports whether the host sees its link up: the host is up, not
// closed, and the switch port is admin-enabled.
func (h *Host) LinkUp() bool {
	return h.up.Load() && !h.isClosed() && h.p.Enabled()
}

// SetUp brings the host's side of the link up or down; the switch port's
// oper state follows (LOWER_LAYER_DOWN while the host is down).
func (h *Host) SetUp(up bool) {
	h.up.Store(up)
	h.p.refreshCarrier(h)
}

// Send delivers a frame to the switch port, synchronously: the port's
// handler has run when Send returns. Send does not keep frame. It fails
// with ErrNotUp when the host's link is down and with ErrClosed after Close;
// a frame the port discards (port not UP, no handler) is counted there.
func (h *Host) Send(frame []byte) error {
	if h.isClosed() {
		return fmt.Errorf("host %s: %w", h.name, ErrClosed)
	}
	if !h.LinkUp() {
		return fmt.Errorf("host %s: link down: %w", h.name, ErrNotUp)
	}
	h.p.receive(append([]byte(nil), frame...))
	return nil
}

// Recv waits for the next frame the switch sent to the host, until ctx is
// done. After Close, queued frames are still returned, then ErrClosed.
func (h *Host) Recv(ctx context.Context) ([]byte, error) {
	select {
	case f := <-h.rx:
		return f, nil
	default:
	}
	select {
	case f := <-h.rx:
		return f, nil
	case <-h.done:
		return nil, fmt.Errorf("host %s: %w", h.name, ErrClosed)
	case <-ctx.Done():
		return nil, fmt.Errorf("host %s: no frame received: %w", h.name, ctx.Err())
	}
}

// RecvWithin waits at most d for the next frame (see Recv).
func (h *Host) RecvWithin(d time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return h.Recv(ctx)
}

// Pending returns how many received frames are queued.
func (h *Host) Pending() int { return len(h.rx) }

// Dropped returns how many frames were dropped because the host's receive
// queue was full.
func (h *Host) Dropped() uint64 { return h.dropped.Load() }

// Close unplugs the host from the port.
func (h *Host) Close() error {
	h.close()
	return nil
}

func (h *Host) isClosed() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

func (h *Host) carrier(*Port) bool { return h.up.Load() && !h.isClosed() }

func (h *Host) transmit(_ *Port, frame []byte) error {
	if !h.up.Load() {
		return ErrNotUp
	}
	select {
	case h.rx <- append([]byte(nil), frame...):
		return nil
	default:
		h.dropped.Add(1)
		return ErrQueueFull
	}
}

func (h *Host) adminChanged(*Port) {}

func (h *Host) close() {
	h.once.Do(func() {
		close(h.done)
		h.p.detachFrom(h)
	})
}
