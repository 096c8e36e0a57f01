package p4rt

import (
	"context"
	"sync"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"
)

// Session is one StreamChannel of a controller (spec section "P4Runtime
// Stream Messages"). The transport feeds it requests with Handle and sends
// what Recv returns; Close ends it.
type Session struct {
	d   *Device
	out *outbox

	once sync.Once
	done chan struct{}
	mu   sync.Mutex
	err  error
}

// OpenSession starts a stream session. Close it when the stream ends.
func (d *Device) OpenSession() *Session {
	s := &Session{d: d, out: newOutbox(d.opts.PacketInQueue), done: make(chan struct{})}
	d.arb.mu.Lock()
	d.arb.all[s] = true
	d.arb.mu.Unlock()
	select {
	case <-d.closed:
		s.terminate(errorf(ErrUnavailable, "device shutting down"))
	default:
	}
	return s
}

// Handle processes one message from the controller. A non-nil error ends
// the stream with that error (arbitration errors, spec section "Rules for
// Handling MasterArbitrationUpdate Messages"); errors about packet-out and
// acks are reported on the stream as StreamError messages instead.
func (s *Session) Handle(req *p4v1.StreamMessageRequest) error {
	switch u := req.GetUpdate().(type) {
	case *p4v1.StreamMessageRequest_Arbitration:
		if err := s.d.arb.arbitrate(s, u.Arbitration); err != nil {
			s.terminate(err)
			return err
		}
	case *p4v1.StreamMessageRequest_Packet:
		s.packetOut(u.Packet)
	case *p4v1.StreamMessageRequest_DigestAck:
		s.digestAck(u.DigestAck)
	default:
		// PI ignores other messages; the spec has nothing to say.
	}
	return nil
}

// packetOut injects a PacketOut from the primary (PI drops those of
// backups silently; profile spec reports PERMISSION_DENIED).
func (s *Session) packetOut(po *p4v1.PacketOut) {
	d := s.d
	if !d.arb.isPrimary(s) {
		if d.profile == ProfileSpec && d.arb.arb.Armed(s) {
			s.streamError(po, errorf(ErrPermission, "packet-out from a controller that is not the primary"))
		}
		return
	}
	d.mu.RLock()
	st := d.st
	prog := d.active
	d.mu.RUnlock()
	if st == nil || prog == nil {
		s.streamError(po, errorf(ErrFailedPrecondition, "no forwarding pipeline config set"))
		return
	}
	frame, err := st.pktIO.encodeOut(po, d.profile == ProfileSpec)
	if err != nil {
		s.streamError(po, err)
		return
	}
	if err := prog.PacketOut(frame); err != nil {
		s.streamError(po, targetErr(err, "packet-out"))
	}
}

// digestAck forwards a DigestListAck from the primary.
func (s *Session) digestAck(a *p4v1.DigestListAck) {
	d := s.d
	if !d.arb.isPrimary(s) {
		return
	}
	d.mu.RLock()
	st := d.st
	d.mu.RUnlock()
	if st == nil {
		return
	}
	if st.inf.Digest(a.GetDigestId()) == nil {
		s.out.push(&p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Error{Error: &p4v1.StreamError{
			CanonicalCode: int32(codeOf(ErrInvalid)),
			Message:       "digest ack: unknown digest id " + itoa(a.GetDigestId()),
			Details:       &p4v1.StreamError_DigestListAck{DigestListAck: &p4v1.DigestListAckError{DigestListAck: proto.Clone(a).(*p4v1.DigestListAck)}},
		}}}, false)
		return
	}
	st.digests.ack(a)
}

// streamError reports a packet-out failure on the stream (spec section
// "Stream Error Reporting").
func (s *Session) streamError(po *p4v1.PacketOut, err error) {
	s.d.log.Debug("packet-out refused", "err", err)
	s.out.push(&p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Error{Error: &p4v1.StreamError{
		CanonicalCode: int32(codeOf(err)),
		Message:       err.Error(),
		Space:         "ALL-sswitch-p4org",
		Details:       &p4v1.StreamError_PacketOut{PacketOut: &p4v1.PacketOutError{PacketOut: proto.Clone(po).(*p4v1.PacketOut)}},
	}}}, false)
}

// Recv waits for the next message to send to the controller. It returns
// the error that ended the session (nil after a plain Close) or ctx's.
func (s *Session) Recv(ctx context.Context) (*p4v1.StreamMessageResponse, error) {
	for {
		if m := s.out.pop(); m != nil {
			return m, nil
		}
		select {
		case <-s.out.ready:
		case <-s.done:
			if m := s.out.pop(); m != nil {
				return m, nil
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.err == nil {
				return nil, context.Canceled
			}
			return nil, s.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Done is closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err returns the error that ended the session, if any.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the session: the controller left. If it was the primary, the
// other controllers are told.
func (s *Session) Close() {
	s.terminate(nil)
}

func (s *Session) terminate(err error) {
	s.once.Do(func() {
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		close(s.done)
		s.d.arb.leave(s)
	})
}

// outbox queues stream messages for one session. Control messages
// (arbitration, errors) are never dropped; droppable ones (packet-in,
// digests, idle notifications) are once limit of them wait.
type outbox struct {
	mu        sync.Mutex
	q         []queued
	head      int
	droppable int
	limit     int
	ready     chan struct{}
}

type queued struct {
	m         *p4v1.StreamMessageResponse
	droppable bool
}

func newOutbox(limit int) *outbox {
	return &outbox{limit: limit, ready: make(chan struct{}, 1)}
}

// push queues m and reports whether it was queued.
func (o *outbox) push(m *p4v1.StreamMessageResponse, droppable bool) bool {
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
func (o *outbox) pop() *p4v1.StreamMessageResponse {
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
