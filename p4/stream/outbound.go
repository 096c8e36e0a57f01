package stream

import (
	"context"
	"sync"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// Outbound is what one controller stream is to be sent, and its end. It is
// safe for concurrent use.
type Outbound struct {
	mu        sync.Mutex
	q         []queued
	head      int
	droppable int
	limit     int
	ready     chan struct{}

	once sync.Once
	done chan struct{}
	err  error
}

type queued struct {
	m         *p4v1.StreamMessageResponse
	droppable bool
}

// NewOutbound makes an Outbound that holds at most limit droppable
// messages waiting to be sent.
func NewOutbound(limit int) *Outbound {
	return &Outbound{limit: limit, ready: make(chan struct{}, 1), done: make(chan struct{})}
}

// Push queues m and reports whether it was queued: a droppable message is
// not while limit of them wait. What is queued after the stream ended is
// never sent.
func (o *Outbound) Push(m *p4v1.StreamMessageResponse, droppable bool) bool {
	o.mu.Lock()
	if droppable && o.droppable >= o.limit {
		o.mu.Unlock()
		return false
	}
	o.q = append(o.q, queued{m, droppable})
	if droppable {
		o.droppable++
	}
	o.mu.Unlock()
	select {
	case o.ready <- struct{}{}:
	default:
	}
	return true
}

// pop takes the oldest message, or nil.
func (o *Outbound) pop() *p4v1.StreamMessageResponse {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.head == len(o.q) {
		return nil
	}
	e := o.q[o.head]
	o.q[o.head] = queued{}
	o.head++
	if o.head == len(o.q) {
		o.q, o.head = o.q[:0], 0
	}
	if e.droppable {
		o.droppable--
	}
	return e.m
}

// Recv waits for the next message to send to the controller. Once the
// stream ended and its queue is empty, it returns the error that ended it
// (context.Canceled after a plain End(nil)); or ctx's error.
func (o *Outbound) Recv(ctx context.Context) (*p4v1.StreamMessageResponse, error) {
	for {
		if m := o.pop(); m != nil {
			return m, nil
		}
		select {
		case <-o.ready:
		case <-o.done:
			if m := o.pop(); m != nil {
				return m, nil
			}
			if err := o.Err(); err != nil {
				return nil, err
			}
			return nil, context.Canceled
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// End ends the stream with err (nil: the controller left) and reports
// whether this call ended it; later calls change nothing.
func (o *Outbound) End(err error) bool {
	ended := false
	o.once.Do(func() {
		o.mu.Lock()
		o.err = err
		o.mu.Unlock()
		close(o.done)
		ended = true
	})
	return ended
}

// Done is closed when the stream has ended.
func (o *Outbound) Done() <-chan struct{} { return o.done }

// Err returns the error that ended the stream, if any.
func (o *Outbound) Err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}
