package port

import "sync/atomic"

// Counters are a port's interface counters, the OpenConfig
// /interfaces/interface/state/counters set. "In" counts frames that arrived
// on the port from its attachment, "Out" frames the switch sent out of it.
type Counters struct {
	InOctets           uint64 // octets of frames delivered to the device
	InPkts             uint64 // frames delivered to the device
	InUnicastPkts      uint64
	InBroadcastPkts    uint64
	InMulticastPkts    uint64 // multicast, broadcast excluded
	InDiscards         uint64 // frames dropped because the port was not UP or had no handler
	InErrors           uint64 // malformed frames (shorter than an Ethernet header, truncated)
	OutOctets          uint64 // octets of frames sent out
	OutPkts            uint64 // frames sent out
	OutUnicastPkts     uint64
	OutBroadcastPkts   uint64
	OutMulticastPkts   uint64 // multicast, broadcast excluded
	OutDiscards        uint64 // frames dropped because the port was not UP or its queue was full
	OutErrors          uint64 // frames the attachment could not send (too big, socket error)
	CarrierTransitions uint64 // times the oper state went to or from UP
}

// ethHeaderLen is the length of an Ethernet II header (dst, src, type).
const ethHeaderLen = 14

// counters is the concurrent form of Counters.
type counters struct {
	inOctets, inPkts, inUcast, inBcast, inMcast, inDiscards, inErrors        atomic.Uint64
	outOctets, outPkts, outUcast, outBcast, outMcast, outDiscards, outErrors atomic.Uint64
	carrierTransitions                                                       atomic.Uint64
}

type castKind uint8

const (
	unicast castKind = iota
	multicast
	broadcast
)

// castOf classifies a frame by its destination MAC address (the first six
// octets): all ones is broadcast, the group bit set is multicast.
func castOf(frame []byte) castKind {
	if len(frame) < 6 {
		return unicast
	}
	if frame[0]&1 == 0 {
		return unicast
	}
	for _, b := range frame[:6] {
		if b != 0xff {
			return multicast
		}
	}
	return broadcast
}

func (c *counters) countIn(frame []byte) {
	c.inOctets.Add(uint64(len(frame)))
	c.inPkts.Add(1)
	switch castOf(frame) {
	case unicast:
		c.inUcast.Add(1)
	case multicast:
		c.inMcast.Add(1)
	case broadcast:
		c.inBcast.Add(1)
	}
}

func (c *counters) countOut(frame []byte) {
	c.outOctets.Add(uint64(len(frame)))
	c.outPkts.Add(1)
	switch castOf(frame) {
	case unicast:
		c.outUcast.Add(1)
	case multicast:
		c.outMcast.Add(1)
	case broadcast:
		c.outBcast.Add(1)
	}
}

func (c *counters) snapshot() Counters {
	return Counters{
		InOctets:           c.inOctets.Load(),
		InPkts:             c.inPkts.Load(),
		InUnicastPkts:      c.inUcast.Load(),
		InBroadcastPkts:    c.inBcast.Load(),
		InMulticastPkts:    c.inMcast.Load(),
		InDiscards:         c.inDiscards.Load(),
		InErrors:           c.inErrors.Load(),
		OutOctets:          c.outOctets.Load(),
		OutPkts:            c.outPkts.Load(),
		OutUnicastPkts:     c.outUcast.Load(),
		OutBroadcastPkts:   c.outBcast.Load(),
		OutMulticastPkts:   c.outMcast.Load(),
		OutDiscards:        c.outDiscards.Load(),
		OutErrors:          c.outErrors.Load(),
		CarrierTransitions: c.carrierTransitions.Load(),
	}
}
