package proxy

import (
	"context"
	"errors"
	"sync"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/client"
)

// pump passes b's stream messages (packet-ins, digests, idle-timeout
// notifications, stream errors) to the controllers until ctx ends or the
// proxy closes b; when b's device ends the stream, it goes on with the
// stream the backend renews.
func (d *Device) pump(ctx context.Context, b *Backend) {
	for {
		s, _, renewed := b.life.current()
		d.pumpSession(ctx, b, s)
		if ctx.Err() != nil || errors.Is(s.Err(), client.ErrSessionClosed) {
			d.log.Debug("the proxy closed its stream to a backend", "backend", b.Name)
			return
		}
		d.log.Error("the proxy's stream to a backend ended", "backend", b.Name, "err", s.Err())
		d.backendLost(b, s.Err())
		select {
		case <-ctx.Done():
			return
		case <-renewed:
		}
	}
}

// pumpSession passes the messages of one session until it or ctx ends.
func (d *Device) pumpSession(ctx context.Context, b *Backend, s *client.Session) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.Done():
			return
		case pi, ok := <-s.PacketIns():
			if ok {
				d.packetIn(b, pi)
			}
		case dl, ok := <-s.Digests():
			if ok {
				d.digest(b, dl)
			}
		case n, ok := <-s.IdleTimeouts():
			if ok {
				d.idleTimeout(b, n)
			}
		case e, ok := <-s.StreamErrors():
			if ok {
				d.backendError(b, e)
			}
		}
	}
}

// backendLost is told that b's device ended the proxy's stream. When b is
// the authoritative device, the controllers see what they would see
// without the proxy: their streams end (UNAVAILABLE); they connect again,
// and find the device as it came back (a restarted switch without its
// pipeline). A mirror's loss is the migration's to handle.
func (d *Device) backendLost(b *Backend, err error) {
	if m, _ := d.Mirror(); m == b {
		// It may have restarted, its state gone: the controller's writes
		// are recorded from now on, not sent to it, until the migration
		// sets it up again (a write as its pipeline is set crashes
		// bmv2). Writes in flight end first.
		go func() {
			if err := d.Reseed(b, true); err != nil {
				d.log.Debug("mirror lost, and changed meanwhile", "mirror", b.Name, "err", err)
			}
		}()
		return
	}
	if d.Authoritative() != b {
		return
	}
	d.endSessions(status.Errorf(codes.Unavailable, "device %d: the switch %s ended its stream (restarted?): %v", d.id, b.Name, err))
}

// packetIn passes a packet-in on, its metadata (ingress port) in the
// controller's terms; one from a port the controller does not know (the
// trunk between two devices) is dropped.
func (d *Device) packetIn(b *Backend, pi *p4v1.PacketIn) {
	if b.virt() != nil {
		if err := b.virt().PacketMetadata("packet_in", pi.Metadata); err != nil {
			d.stats.packetInsDropped.Add(1)
			d.log.Debug("packet-in dropped", "backend", b.Name, "why", err)
			return
		}
	}
	if !d.toPrimary(&p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Packet{Packet: pi}}) {
		d.stats.packetInsDropped.Add(1)
		return
	}
	d.stats.packetIns.Add(1)
}

// digest passes a digest list on under a list id of the proxy's, so that
// the controller's ack returns to the device that sent it.
func (d *Device) digest(b *Backend, dl *p4v1.DigestList) {
	physDigest, listID := dl.DigestId, dl.ListId
	if b.virt() != nil {
		if err := b.virt().DigestList(dl); err != nil {
			d.log.Warn("digest list dropped", "backend", b.Name, "why", err)
			return
		}
	}
	dl.ListId = d.digests.add(digestRoute{b: b, digestID: physDigest, listID: listID})
	if !d.toPrimary(&p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Digest{Digest: dl}}) {
		d.digests.take(dl.ListId)
	}
}

// digestAck returns a controller's ack to the device that sent the list.
func (d *Device) digestAck(a *p4v1.DigestListAck) error {
	r, ok := d.digests.take(a.GetListId())
	if !ok {
		return nil // acked twice, or forgotten (a pipeline change): as a switch, ignore
	}
	return r.b.Session().AckDigest(r.digestID, r.listID)
}

// idleTimeout passes on the idle-timeout notifications of the
// authoritative device. A mirror's are not: while both devices carry
// traffic, an entry idle on one may be hit on the other.
func (d *Device) idleTimeout(b *Backend, n *p4v1.IdleTimeoutNotification) {
	if b != d.Authoritative() {
		return
	}
	if b.virt() != nil {
		kept := n.TableEntry[:0]
		for _, te := range n.TableEntry {
			e := &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: te}}
			if err := b.virt().EntityInPlace(e); err == nil {
				kept = append(kept, te)
			}
		}
		n.TableEntry = kept
	}
	d.toPrimary(&p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_IdleTimeoutNotification{IdleTimeoutNotification: n}})
}

// backendError passes a device's stream error on (a packet-out it refused),
// with the packet-out in the controller's terms when it can be.
func (d *Device) backendError(b *Backend, e *p4v1.StreamError) {
	if po := e.GetPacketOut().GetPacketOut(); po != nil && b.virt() != nil {
		c := proto.Clone(po).(*p4v1.PacketOut)
		if b.virt().PacketMetadata("packet_out", c.Metadata) == nil {
			e.GetPacketOut().PacketOut = c
		}
	}
	p, ok := d.arb.Primary("")
	if ok {
		p.out.Push(&p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Error{Error: e}}, false)
	}
}

// digestRoutes remembers, for each digest list passed on, the device and
// list id it came with; a bounded number (lists never acked are forgotten
// oldest first).
type digestRoutes struct {
	mu    sync.Mutex
	next  uint64
	m     map[uint64]digestRoute
	order []uint64
}

type digestRoute struct {
	b        *Backend
	digestID uint32
	listID   uint64
}

const maxDigestRoutes = 1 << 16

func (r *digestRoutes) init() { r.m = map[uint64]digestRoute{} }

func (r *digestRoutes) add(x digestRoute) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	r.m[r.next] = x
	r.order = append(r.order, r.next)
	for len(r.m) > maxDigestRoutes && len(r.order) > 0 {
		delete(r.m, r.order[0])
		r.order = r.order[1:]
	}
	if len(r.order) > 2*maxDigestRoutes { // drop acked ids from the front
		live := r.order[:0]
		for _, id := range r.order {
			if _, ok := r.m[id]; ok {
				live = append(live, id)
			}
		}
		r.order = live
	}
	return r.next
}

func (r *digestRoutes) take(id uint64) (digestRoute, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	x, ok := r.m[id]
	delete(r.m, id)
	return x, ok
}

func (r *digestRoutes) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m, r.order = map[uint64]digestRoute{}, nil
}
