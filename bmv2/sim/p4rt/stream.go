package p4rt

import (
	"context"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/stream"
)

// Session is one StreamChannel of a controller (spec section "P4Runtime
// Stream Messages"). The transport feeds it requests with Handle and sends
// what Recv returns; Close ends it.
type Session struct {
	d   *Device
	out *stream.Outbound
}

// OpenSession starts a stream session. Close it when the stream ends.
func (d *Device) OpenSession() *Session {
	s := &Session{d: d, out: stream.NewOutbound(d.opts.PacketInQueue)}
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
		s.out.Push(&p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Error{Error: &p4v1.StreamError{
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
	s.out.Push(&p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Error{Error: &p4v1.StreamError{
		CanonicalCode: int32(codeOf(err)),
		Message:       err.Error(),
		Space:         "ALL-sswitch-p4org",
		Details:       &p4v1.StreamError_PacketOut{PacketOut: &p4v1.PacketOutError{PacketOut: proto.Clone(po).(*p4v1.PacketOut)}},
	}}}, false)
}

// Recv waits for the next message to send to the controller. It returns
// the error that ended the session (nil after a plain Close) or ctx's.
func (s *Session) Recv(ctx context.Context) (*p4v1.StreamMessageResponse, error) {
	return s.out.Recv(ctx)
}

// Done is closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.out.Done() }

// Err returns the error that ended the session, if any.
func (s *Session) Err() error { return s.out.Err() }

// Close ends the session: the controller left. If it was the primary, the
// other controllers are told.
func (s *Session) Close() {
	s.terminate(nil)
}

func (s *Session) terminate(err error) {
	if s.out.End(err) {
		s.d.arb.leave(s)
	}
}
