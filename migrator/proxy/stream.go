package proxy

import (
	"context"
	"fmt"
	"sync"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/p4/stream"
)

// Session is one controller's StreamChannel (spec section 16). Its first
// arbitration message binds it to a virtual device.
type Session struct {
	p   *Proxy
	out *stream.Outbound

	mu  sync.Mutex
	dev *Device
}

// OpenSession starts a controller stream; Close it when the stream ends.
func (p *Proxy) OpenSession() *Session {
	return &Session{p: p, out: stream.NewOutbound(p.opts.PacketInQueue)}
}

func (s *Session) device() *Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dev
}

// Handle processes one message from the controller. An arbitration error
// ends the stream; a packet-out or ack the proxy cannot pass on is reported
// on the stream as a StreamError.
func (s *Session) Handle(req *p4v1.StreamMessageRequest) error {
	switch u := req.GetUpdate().(type) {
	case *p4v1.StreamMessageRequest_Arbitration:
		s.mu.Lock()
		if s.dev == nil {
			d, err := s.p.lookup(u.Arbitration.GetDeviceId())
			if err != nil {
				s.mu.Unlock()
				s.terminate(err)
				return err
			}
			s.dev = d
			d.addSession(s)
		}
		d := s.dev
		s.mu.Unlock()
		if err := d.arb.Arbitrate(s, u.Arbitration); err != nil {
			s.terminate(err)
			return err
		}
	case *p4v1.StreamMessageRequest_Packet:
		if d := s.device(); d == nil || !d.arb.IsPrimary(s) {
			s.streamError(fmt.Errorf("%w: packet-out from a controller that is not the primary", ErrPermission), u.Packet, nil)
		} else if err := d.packetOut(u.Packet); err != nil {
			s.streamError(err, u.Packet, nil)
		}
	case *p4v1.StreamMessageRequest_DigestAck:
		if d := s.device(); d == nil || !d.arb.IsPrimary(s) {
			s.streamError(fmt.Errorf("%w: digest ack from a controller that is not the primary", ErrPermission), nil, u.DigestAck)
		} else if err := d.digestAck(u.DigestAck); err != nil {
			s.streamError(err, nil, u.DigestAck)
		}
	}
	return nil
}

// streamError reports a refused packet-out or ack (spec section 16.3).
func (s *Session) streamError(err error, po *p4v1.PacketOut, ack *p4v1.DigestListAck) {
	e := &p4v1.StreamError{CanonicalCode: int32(codeOf(err)), Message: err.Error()}
	if po != nil {
		e.Details = &p4v1.StreamError_PacketOut{PacketOut: &p4v1.PacketOutError{PacketOut: proto.Clone(po).(*p4v1.PacketOut)}}
	} else if ack != nil {
		e.Details = &p4v1.StreamError_DigestListAck{DigestListAck: &p4v1.DigestListAckError{DigestListAck: proto.Clone(ack).(*p4v1.DigestListAck)}}
	}
	s.out.Push(&p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Error{Error: e}}, false)
}

// Recv waits for the next message for the controller.
func (s *Session) Recv(ctx context.Context) (*p4v1.StreamMessageResponse, error) {
	return s.out.Recv(ctx)
}

// Err is the error that ended the stream, if any.
func (s *Session) Err() error { return s.out.Err() }

// Close ends the stream: the controller left.
func (s *Session) Close() { s.terminate(nil) }

func (s *Session) terminate(err error) {
	if s.out.End(err) {
		if d := s.device(); d != nil {
			d.arb.Leave(s)
			d.removeSession(s)
		}
	}
}

// sessions are the controller streams bound to a device.
type sessions struct {
	mu  sync.Mutex
	all map[*Session]struct{}
}

func (d *Device) addSession(s *Session) {
	d.sessions.mu.Lock()
	defer d.sessions.mu.Unlock()
	if d.sessions.all == nil {
		d.sessions.all = map[*Session]struct{}{}
	}
	d.sessions.all[s] = struct{}{}
}

func (d *Device) removeSession(s *Session) {
	d.sessions.mu.Lock()
	defer d.sessions.mu.Unlock()
	delete(d.sessions.all, s)
}

// endSessions ends every controller stream of the device with err.
func (d *Device) endSessions(err error) {
	d.sessions.mu.Lock()
	all := make([]*Session, 0, len(d.sessions.all))
	for s := range d.sessions.all {
		all = append(all, s)
	}
	d.sessions.mu.Unlock()
	for _, s := range all {
		s.terminate(err)
	}
}

// toPrimary queues a message for the primary controller of the default
// role; it reports false when there is none or it lags too far behind.
func (d *Device) toPrimary(m *p4v1.StreamMessageResponse) bool {
	p, ok := d.arb.Primary("")
	return ok && p.out.Push(m, true)
}

// packetOut sends a controller's packet-out to the device that owns its
// egress port (the authoritative device unless the port has moved).
func (d *Device) packetOut(po *p4v1.PacketOut) error {
	d.mu.RLock()
	b := d.auth
	if len(d.moved) > 0 {
		if p, ok := egressPort(d.virtualInfoLocked(), po); ok && d.moved[p] {
			b = d.mirror
		}
	}
	d.mu.RUnlock()
	if b.phys() != nil {
		po = proto.Clone(po).(*p4v1.PacketOut)
		if err := b.phys().PacketMetadata("packet_out", po.Metadata); err != nil {
			return fmt.Errorf("%w: packet-out for %s: %w", ErrInvalid, b.Name, err)
		}
	}
	if err := b.Session().SendPacketOut(po); err != nil {
		return fmt.Errorf("%w: packet-out to %s: %w", ErrBackend, b.Name, err)
	}
	d.stats.packetOuts.Add(1)
	return nil
}

// egressPort is the port a packet-out names in a port-typed field of its
// controller header ("packet_out"); ok is false when it names none (or an
// SDN string port).
func egressPort(in *info.Info, po *p4v1.PacketOut) (uint64, bool) {
	if in == nil {
		return 0, false
	}
	hdr := in.PacketMetadataByName("packet_out")
	if hdr == nil {
		return 0, false
	}
	for _, m := range po.GetMetadata() {
		f := hdr.Field(m.GetMetadataId())
		if f == nil || !f.IsPort || f.IsString {
			continue
		}
		p, err := canon.ToUint64(m.GetValue())
		return p, err == nil
	}
	return 0, false
}
