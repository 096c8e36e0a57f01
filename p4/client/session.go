package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/anypb"
)

// ErrSessionClosed is the [Session.Err] of a session ended by [Session.Close]
// or [Client.Close].
var ErrSessionClosed = errors.New("arbitration session closed by the client")

// ErrStreamEnded is the [Session.Err] of a session whose stream the server
// ended without an error status.
var ErrStreamEnded = errors.New("arbitration stream ended by the server")

// Mastership is one arbitration advisory from the server (spec section
// "Client Arbitration Notifications"), or the final state when the stream
// ends.
type Mastership struct {
	// Primary is true when the server said this client is the primary.
	Primary bool
	// Code is the advisory's status: OK for the primary, ALREADY_EXISTS for
	// a backup while some primary exists, NOT_FOUND for a backup when there
	// is no primary.
	Code codes.Code
	// Message is the advisory's status message (bmv2: "Is primary", "Is
	// backup").
	Message string
	// ElectionID is the highest election id the server has seen for this
	// device and role (the primary's); nil if there has never been a primary.
	ElectionID *ElectionID
	// RoleConfig is the role configuration most recently set by a primary.
	RoleConfig *anypb.Any
	// Ended marks the last value, sent when the stream ends; Err says why.
	Ended bool
	Err   error
}

// DropCounts counts the notifications a [Session] discarded because their
// channel was full.
type DropCounts struct {
	PacketIn, Digest, IdleTimeout, StreamError, Other uint64
}

// notification kinds, indexes of Session.dropped.
const (
	kindPacketIn = iota
	kindDigest
	kindIdleTimeout
	kindStreamError
	kindOther
	numKinds
)

var kindNames = [numKinds]string{"packet-in", "digest", "idle-timeout", "stream-error", "other"}

// Session is a client's live StreamChannel: arbitration state and the
// stream's notifications. Notification channels have bounded buffers (see
// [DialOptions.StreamBuffer]): when one is full, the new notification is
// dropped and counted ([Session.Dropped]); a slow consumer never stalls
// arbitration. The mastership channel keeps only the latest advisory: an
// unread older one is replaced. All channels are closed when the session
// ends. A Session is safe for concurrent use.
type Session struct {
	c      *Client
	stream p4v1.P4Runtime_StreamChannelClient
	cancel context.CancelFunc

	sendMu sync.Mutex

	primary    atomic.Bool
	stateMu    sync.Mutex
	state      Mastership
	mastership chan Mastership

	packetIns    chan *p4v1.PacketIn
	digests      chan *p4v1.DigestList
	idleTimeouts chan *p4v1.IdleTimeoutNotification
	streamErrors chan *p4v1.StreamError
	others       chan *anypb.Any
	dropped      [numKinds]atomic.Uint64

	ready     chan struct{} // closed at the first arbitration answer
	gotAnswer bool          // only touched by recvLoop
	done      chan struct{} // closed when the stream has ended
	err       error         // why it ended; written before done is closed
	closing   atomic.Bool
}

// Arbitrate opens the StreamChannel and sends MasterArbitrationUpdate with
// the client's device id, role (name and config) and election id, then waits
// for the server's answer or for ctx to end (ctx bounds only this wait; the
// session lives until closed). Being made a backup (ALREADY_EXISTS or
// NOT_FOUND) is not an error: check [Session.IsPrimary]. A refused
// arbitration ends the stream and is returned as an error carrying the gRPC
// status, e.g. INVALID_ARGUMENT for an election id another live client holds,
// NOT_FOUND for an unknown device id.
//
// A client has at most one live session; Arbitrate fails while one is live.
// Once a session has ended (closed, or ended by the server), Arbitrate may be
// called again.
func (c *Client) Arbitrate(ctx context.Context) (*Session, error) {
	c.mu.Lock()
	if c.session != nil && c.session.Err() != nil {
		c.session = nil // ended: a new session may replace it
	}
	if c.session != nil || c.arbitrating {
		c.mu.Unlock()
		return nil, c.errorf("arbitration", errors.New("a session is already live; close it first"))
	}
	c.arbitrating = true
	c.mu.Unlock()

	s, err := c.arbitrate(ctx)

	c.mu.Lock()
	c.arbitrating = false
	if err == nil {
		c.session = s
	}
	c.mu.Unlock()
	return s, err
}

func (c *Client) arbitrate(ctx context.Context) (*Session, error) {
	sctx, cancel := context.WithCancel(c.ctx)
	stop := context.AfterFunc(ctx, cancel)
	stream, err := c.p4.StreamChannel(sctx)
	if err != nil {
		stop()
		cancel()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, c.errorf("arbitration: open stream", err)
	}
	s := &Session{
		c:            c,
		stream:       stream,
		cancel:       cancel,
		mastership:   make(chan Mastership, 1),
		packetIns:    make(chan *p4v1.PacketIn, c.buffer),
		digests:      make(chan *p4v1.DigestList, c.buffer),
		idleTimeouts: make(chan *p4v1.IdleTimeoutNotification, c.buffer),
		streamErrors: make(chan *p4v1.StreamError, c.buffer),
		others:       make(chan *anypb.Any, c.buffer),
		ready:        make(chan struct{}),
		done:         make(chan struct{}),
	}
	go s.recvLoop()
	sendErr := s.sendArbitration(c.electionProto())
	switch {
	case sendErr == nil:
		select {
		case <-s.ready:
		case <-s.done:
		}
	case errors.Is(sendErr, io.EOF): // the server ended the stream: Recv has its status
		<-s.done
	default:
		s.abort()
	}
	ctxEnded := !stop()
	select {
	case <-s.ready:
		if !ctxEnded {
			return s, nil
		}
	default:
	}
	s.abort()
	switch {
	case ctxEnded:
		return nil, c.errorf("arbitration", ctx.Err())
	case sendErr != nil && !errors.Is(sendErr, io.EOF):
		return nil, c.errorf("arbitration: send", sendErr)
	default:
		return nil, c.errorf("arbitration refused", s.err)
	}
}

// sendArbitration sends a MasterArbitrationUpdate with the given election id.
func (s *Session) sendArbitration(eid *p4v1.Uint128) error {
	var role *p4v1.Role
	if s.c.role != "" || s.c.roleConfig != nil {
		role = &p4v1.Role{Name: s.c.role, Config: s.c.roleConfig}
	}
	return s.send(&p4v1.StreamMessageRequest{Update: &p4v1.StreamMessageRequest_Arbitration{
		Arbitration: &p4v1.MasterArbitrationUpdate{DeviceId: s.c.deviceID, Role: role, ElectionId: eid},
	}})
}

// send serialises stream writes (gRPC streams allow one writer at a time).
func (s *Session) send(m *p4v1.StreamMessageRequest) error {
	select {
	case <-s.done:
		return fmt.Errorf("session ended: %w", s.err)
	default:
	}
	if s.closing.Load() {
		return ErrSessionClosed
	}
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	return s.stream.Send(m)
}

// SetElectionID sends a new MasterArbitrationUpdate with id (nil: unset)
// on the live stream and makes id the election id of later writes. The
// server's answer arrives as a mastership change.
func (s *Session) SetElectionID(id *ElectionID) error {
	s.c.mu.Lock()
	if id == nil {
		s.c.electionID = nil
	} else {
		copied := *id
		s.c.electionID = &copied
	}
	s.c.mu.Unlock()
	if err := s.sendArbitration(id.Proto()); err != nil {
		return s.c.errorf("arbitration update", err)
	}
	return nil
}

// SendPacketOut sends a packet-out on the stream. Per the spec only the
// primary's packet-outs are accepted; the server reports bad ones as stream
// errors ([Session.StreamErrors]).
func (s *Session) SendPacketOut(p *p4v1.PacketOut) error {
	if p == nil {
		return s.c.errorf("packet-out", errors.New("nil PacketOut"))
	}
	if err := s.send(&p4v1.StreamMessageRequest{Update: &p4v1.StreamMessageRequest_Packet{Packet: p}}); err != nil {
		return s.c.errorf("packet-out", err)
	}
	return nil
}

// AckDigest acknowledges the digest list listID of digest digestID.
func (s *Session) AckDigest(digestID uint32, listID uint64) error {
	ack := &p4v1.DigestListAck{DigestId: digestID, ListId: listID}
	if err := s.send(&p4v1.StreamMessageRequest{Update: &p4v1.StreamMessageRequest_DigestAck{DigestAck: ack}}); err != nil {
		return s.c.errorf("digest ack", err)
	}
	return nil
}

// SendOther sends an architecture-specific message (StreamMessageRequest
// field "other").
func (s *Session) SendOther(m *anypb.Any) error {
	if m == nil {
		return s.c.errorf("stream other", errors.New("nil message"))
	}
	if err := s.send(&p4v1.StreamMessageRequest{Update: &p4v1.StreamMessageRequest_Other{Other: m}}); err != nil {
		return s.c.errorf("stream other", err)
	}
	return nil
}

// IsPrimary reports whether the stream is live and the server last said this
// client is the primary.
func (s *Session) IsPrimary() bool { return s.primary.Load() }

// Current is the latest mastership state.
func (s *Session) Current() Mastership {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.state
}

// Mastership delivers each arbitration advisory, keeping only the newest one
// when the consumer is behind; the last value has Ended set.
func (s *Session) Mastership() <-chan Mastership { return s.mastership }

// PacketIns delivers packet-in messages.
func (s *Session) PacketIns() <-chan *p4v1.PacketIn { return s.packetIns }

// Digests delivers digest lists; acknowledge them with [Session.AckDigest].
func (s *Session) Digests() <-chan *p4v1.DigestList { return s.digests }

// IdleTimeouts delivers idle-timeout notifications.
func (s *Session) IdleTimeouts() <-chan *p4v1.IdleTimeoutNotification { return s.idleTimeouts }

// StreamErrors delivers the server's asynchronous stream errors (spec
// section "Stream Error Reporting"), e.g. a rejected packet-out.
func (s *Session) StreamErrors() <-chan *p4v1.StreamError { return s.streamErrors }

// Others delivers architecture-specific messages (field "other").
func (s *Session) Others() <-chan *anypb.Any { return s.others }

// Dropped counts the notifications discarded because a channel was full.
func (s *Session) Dropped() DropCounts {
	return DropCounts{
		PacketIn:    s.dropped[kindPacketIn].Load(),
		Digest:      s.dropped[kindDigest].Load(),
		IdleTimeout: s.dropped[kindIdleTimeout].Load(),
		StreamError: s.dropped[kindStreamError].Load(),
		Other:       s.dropped[kindOther].Load(),
	}
}

// Done is closed when the stream has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err says why the stream ended: [ErrSessionClosed], [ErrStreamEnded], or
// the server's error status. It is nil while the stream is live.
func (s *Session) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// closeGrace bounds how long Close waits for the server to end the stream
// after the client half-closed it.
const closeGrace = time.Second

// Close ends the session and waits until it has shut down. It half-closes
// the stream and waits (up to a second) for the server to end it, so that
// the server has forgotten this client, and freed its election id, when
// Close returns; then it cancels the stream. It is idempotent.
func (s *Session) Close() {
	if s.closing.CompareAndSwap(false, true) {
		select {
		case <-s.done:
		default:
			if s.sendMu.TryLock() { // a Send blocked by flow control: skip the courtesy
				_ = s.stream.CloseSend()
				s.sendMu.Unlock()
				timer := time.NewTimer(closeGrace)
				select {
				case <-s.done:
				case <-timer.C:
				}
				timer.Stop()
			}
		}
	}
	s.cancel()
	<-s.done
	s.c.mu.Lock()
	if s.c.session == s {
		s.c.session = nil
	}
	s.c.mu.Unlock()
}

// abort ends the stream at once, without Close's grace period.
func (s *Session) abort() {
	s.closing.Store(true)
	s.cancel()
	<-s.done
}

// recvLoop reads the stream until it ends and dispatches what arrives.
func (s *Session) recvLoop() {
	defer s.finish()
	for {
		msg, err := s.stream.Recv()
		if err != nil {
			switch {
			case s.closing.Load():
				s.err = ErrSessionClosed
			case errors.Is(err, io.EOF):
				s.err = ErrStreamEnded
			default:
				s.err = err
			}
			return
		}
		switch u := msg.GetUpdate().(type) {
		case *p4v1.StreamMessageResponse_Arbitration:
			s.onArbitration(u.Arbitration)
		case *p4v1.StreamMessageResponse_Packet:
			deliver(s, kindPacketIn, s.packetIns, u.Packet)
		case *p4v1.StreamMessageResponse_Digest:
			deliver(s, kindDigest, s.digests, u.Digest)
		case *p4v1.StreamMessageResponse_IdleTimeoutNotification:
			deliver(s, kindIdleTimeout, s.idleTimeouts, u.IdleTimeoutNotification)
		case *p4v1.StreamMessageResponse_Error:
			deliver(s, kindStreamError, s.streamErrors, u.Error)
		case *p4v1.StreamMessageResponse_Other:
			deliver(s, kindOther, s.others, u.Other)
		default:
			s.c.log.Warn("p4runtime stream: ignoring a message of unknown kind", "type", fmt.Sprintf("%T", u))
		}
	}
}

// deliver queues v on ch, or drops and counts it when ch is full.
func deliver[T any](s *Session, kind int, ch chan T, v T) {
	select {
	case ch <- v:
	default:
		n := s.dropped[kind].Add(1)
		if n&(n-1) == 0 { // log the 1st, 2nd, 4th, 8th... drop
			s.c.log.Warn("p4runtime stream: channel full, notification dropped",
				"kind", kindNames[kind], "dropped_total", n)
		}
	}
}

// onArbitration records an arbitration advisory.
func (s *Session) onArbitration(u *p4v1.MasterArbitrationUpdate) {
	if u.GetDeviceId() != s.c.deviceID {
		s.c.log.Warn("p4runtime stream: ignoring arbitration advisory for another device",
			"advisory_device_id", u.GetDeviceId())
		return
	}
	code := codes.Code(u.GetStatus().GetCode())
	m := Mastership{
		Primary:    code == codes.OK,
		Code:       code,
		Message:    u.GetStatus().GetMessage(),
		ElectionID: ElectionIDFrom(u.GetElectionId()),
		RoleConfig: u.GetRole().GetConfig(),
	}
	s.stateMu.Lock()
	changed := !s.gotAnswer || s.state.Primary != m.Primary
	s.state = m
	s.stateMu.Unlock()
	s.primary.Store(m.Primary)
	if changed {
		s.c.log.Debug("p4runtime arbitration", "primary", m.Primary, "code", CodeName(m.Code), "message", m.Message)
	}
	s.publish(m)
	if !s.gotAnswer {
		s.gotAnswer = true
		close(s.ready)
	}
}

// publish puts m on the mastership channel, replacing an unread older value.
// Only recvLoop publishes, so two attempts always suffice.
func (s *Session) publish(m Mastership) {
	for range 2 {
		select {
		case s.mastership <- m:
			return
		default:
		}
		select {
		case <-s.mastership:
		default:
		}
	}
}

// finish marks the session ended: not primary, final mastership value,
// channels closed.
func (s *Session) finish() {
	s.primary.Store(false)
	s.stateMu.Lock()
	s.state.Primary = false
	s.state.Ended = true
	s.state.Err = s.err
	final := s.state
	s.stateMu.Unlock()
	s.publish(final)
	close(s.mastership)
	close(s.packetIns)
	close(s.digests)
	close(s.idleTimeouts)
	close(s.streamErrors)
	close(s.others)
	close(s.done)
	s.cancel()
}
