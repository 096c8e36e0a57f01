package port

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// QueueLen is how many frames an in-memory wire direction or a host's
// receive queue holds; a frame sent to a full queue is dropped (counted as
// OutDiscards on the sending port).
const QueueLen = 1024

// Wire is an in-memory cable between two ports. Each direction has a queue
// and a goroutine that delivers the frames to the receiving port, so a
// device's handler never runs inside another device's Transmit.
type Wire struct {
	a, b   *Port
	ab, ba chan []byte
	done   chan struct{}
	closed atomic.Bool
	once   sync.Once
	wg     sync.WaitGroup
}

// Connect joins ports a and b (of the same or different devices) with a
// Wire. Both must be unattached. Each port has carrier while the other is
// admin-enabled.
func Connect(a, b *Port) (*Wire, error) {
	if a == nil || b == nil {
		return nil, errors.New("port: Connect needs two ports, got nil")
	}
	if a == b {
		return nil, fmt.Errorf("port: cannot wire port %s to itself", a.name)
	}
	w := &Wire{a: a, b: b, ab: make(chan []byte, QueueLen), ba: make(chan []byte, QueueLen), done: make(chan struct{})}
	if err := a.attach(w); err != nil {
		return nil, err
	}
	if err := b.attach(w); err != nil {
		a.detachFrom(w)
		return nil, err
	}
	w.wg.Add(2)
	go w.run(w.ab, b)
	go w.run(w.ba, a)
	a.refreshCarrier(w)
	b.refreshCarrier(w)
	return w, nil
}

// Ports returns the two ports the wire joins.
func (w *Wire) Ports() (*Port, *Port) { return w.a, w.b }

// Close cuts the wire: both ports lose their attachment and go
// LOWER_LAYER_DOWN (or stay DOWN if disabled). Frames still queued are
// dropped. It must not be called from a Handler of either port.
func (w *Wire) Close() error {
	w.close()
	return nil
}

func (w *Wire) run(q chan []byte, dst *Port) {
	defer w.wg.Done()
	for {
		select {
		case f := <-q:
			dst.receive(f)
		case <-w.done:
			return
		}
	}
}

func (w *Wire) peer(p *Port) *Port {
	if p == w.a {
		return w.b
	}
	return w.a
}

func (w *Wire) carrier(p *Port) bool {
	return !w.closed.Load() && w.peer(p).enabled.Load()
}

func (w *Wire) transmit(p *Port, frame []byte) error {
	q := w.ab
	if p == w.b {
		q = w.ba
	}
	f := append([]byte(nil), frame...)
	select {
	case <-w.done:
		return ErrClosed
	default:
	}
	select {
	case q <- f:
		return nil
	default:
		return ErrQueueFull
	}
}

func (w *Wire) adminChanged(p *Port) {
	w.peer(p).refreshCarrier(w)
}

func (w *Wire) close() {
	w.once.Do(func() {
		w.closed.Store(true)
		close(w.done)
		w.wg.Wait()
		w.a.detachFrom(w)
		w.b.detachFrom(w)
	})
}
