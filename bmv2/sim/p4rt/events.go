package p4rt

import (
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// events is the Events sink of one pipeline state's program.
type events struct {
	d  *Device
	st *state
}

var _ Events = events{}

// PacketIn sends a CPU-port frame to the primary of the default role as a
// PacketIn (spec section "Packet I/O"); frames shorter than the packet_in
// header are dropped, as PI does.
func (e events) PacketIn(frame []byte) {
	pi, ok := e.st.pktIO.decodeIn(frame)
	if !ok {
		e.d.log.Debug("packet-in dropped: frame shorter than the packet_in header", "len", len(frame))
		return
	}
	e.d.arb.sendToPrimary(&p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Packet{Packet: pi}}, true)
}

// Digest hands one digest message to the digest batcher.
func (e events) Digest(digestID uint32, values [][]byte) {
	e.st.digests.learn(digestID, values, time.Now())
}

// Hit records that a packet matched an entry (for idle timeouts).
func (e events) Hit(tableID uint32, h Handle) {
	e.st.hit(tableID, h, time.Now().UnixNano())
}
