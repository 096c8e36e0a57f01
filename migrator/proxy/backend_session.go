package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lime-p4/lime/p4/client"
)

// Timings of a backend's session renewal.
const (
	// renewTry bounds one arbitration with a device that ended the
	// proxy's stream.
	renewTry = 5 * time.Second
	// renewBackoffMax is the longest wait between two tries; the first
	// waits renewBackoffMin, doubled each time.
	renewBackoffMin = 20 * time.Millisecond
	renewBackoffMax = time.Second
)

// sessionLife is a backend's stream with its device, kept up: when the
// device ends it (simple_switch_grpc restarted, the connection broke) the
// proxy arbitrates again, as its primary controller, until it is primary
// again or the backend closes (DESIGN.md, "Faults": a switch restarts).
// Each renewal counts as an epoch: what the proxy knew of the device's
// state before may be gone.
type sessionLife struct {
	mu      sync.Mutex
	session *client.Session
	epoch   uint64
	renewed chan struct{} // closed at the next renewal
	closed  bool
	done    chan struct{} // closed by stop
}

// start takes s as the first session and keeps it up.
func (l *sessionLife) start(b *Backend, s *client.Session) {
	l.session, l.renewed, l.done = s, make(chan struct{}), make(chan struct{})
	go l.keep(b)
}

// stop ends the session and its renewal.
func (l *sessionLife) stop() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	s := l.session
	close(l.done)
	l.mu.Unlock()
	s.Close()
}

// current is the session, its epoch, and a channel closed when it is
// renewed.
func (l *sessionLife) current() (*client.Session, uint64, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.session, l.epoch, l.renewed
}

// keep renews the session each time the device ends it.
func (l *sessionLife) keep(b *Backend) {
	log := slog.Default().With("backend", b.Name)
	for {
		s, _, _ := l.current()
		select {
		case <-l.done:
			return
		case <-s.Done():
		}
		if errors.Is(s.Err(), client.ErrSessionClosed) {
			return
		}
		log.Warn("the device ended the proxy's stream: it may have restarted; arbitrating again", "err", s.Err())
		ns := l.renew(b, log)
		if ns == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), renewTry)
		err := b.refreshPipeline(ctx)
		cancel()
		if err != nil {
			log.Warn("the proxy is primary again, but reading the device's pipeline failed", "err", err)
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			ns.Close()
			return
		}
		l.session = ns
		l.epoch++
		close(l.renewed)
		l.renewed = make(chan struct{})
		l.mu.Unlock()
		log.Info("the proxy is the device's primary controller again", "pipeline", b.Info() != nil, "epoch", l.epoch)
	}
}

// renew arbitrates until the proxy is primary again; nil once stopped.
func (l *sessionLife) renew(b *Backend, log *slog.Logger) *client.Session {
	wait := renewBackoffMin
	for {
		ctx, cancel := context.WithTimeout(context.Background(), renewTry)
		s, err := b.client.Arbitrate(ctx)
		cancel()
		switch {
		case err != nil:
			log.Debug("arbitration with the device failed", "err", err)
		case !s.IsPrimary():
			log.Error("another controller is the device's primary; the proxy must be its only controller", "primary", s.Current().ElectionID)
			s.Close()
		default:
			return s
		}
		t := time.NewTimer(wait)
		select {
		case <-l.done:
			t.Stop()
			return nil
		case <-t.C:
		}
		wait = min(2*wait, renewBackoffMax)
	}
}

// Session is the proxy's live stream with the device (or the one that
// ended, until it is renewed).
func (b *Backend) Session() *client.Session {
	s, _, _ := b.life.current()
	return s
}

// Epoch counts the times the device ended the proxy's stream and the proxy
// became its primary again: a change means the device may have restarted
// and lost its state meanwhile.
func (b *Backend) Epoch() uint64 {
	_, e, _ := b.life.current()
	return e
}

// Live waits until the proxy's stream with the device is up (renewed if
// the device ended it) and returns its epoch; an error once ctx ends
// first.
func (b *Backend) Live(ctx context.Context) (uint64, error) {
	for {
		s, e, renewed := b.life.current()
		if s.Err() == nil {
			return e, nil
		}
		select {
		case <-renewed:
		case <-ctx.Done():
			return e, fmt.Errorf("backend %s: %w: the device does not answer (restarting?): %w", b.Name, ErrBackend, ctx.Err())
		}
	}
}
