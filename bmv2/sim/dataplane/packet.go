package dataplane

import "math/big"

// Instance types of standard_metadata.instance_type (simple_switch's
// PktInstanceType).
const (
	InstanceNormal       = 0
	InstanceIngressClone = 1
	InstanceEgressClone  = 2
	InstanceCoalesced    = 3
	InstanceRecirculate  = 4
	InstanceReplication  = 5
	InstanceResubmit     = 6
)

// actionData holds the parameter values of an action call: each value
// modulo 2^64 in u, the exact value in w for parameters wider than 64
// bits, and the padded bytes for reads.
type actionData struct {
	u   []uint64
	w   []*big.Int
	raw [][]byte
}

// noError marks "no parser error" internally; error values are the
// program's own.
const noError = -1

// pkt is one packet instance in flight: its header vector, the switch
// state it runs against, and simple_switch's per-packet registers.
type pkt struct {
	h  *phv
	l  *layout
	c  *compiled
	st *state
	ad *actionData

	exit bool

	// data is the frame as received (re-parsed for ingress clones and
	// resubmit); payload is what the parser left unparsed.
	data    []byte
	payload []byte

	ingressPort uint32
	outPort     uint32 // the egress port of a queued instance
	// pktLen is simple_switch's PACKET_LENGTH register (updated by
	// add_header / remove_header); ingressLen the received length used by
	// counters and meters.
	pktLen     int
	ingressLen int
	truncLen   int // -1: none

	cloneSet     bool
	cloneSession uint32
	cloneFL      int
	learnID      int
	resubmit     bool
	resubmitFL   int
	recirc       bool
	recircFL     int

	errCode     int
	checksumErr bool
	assertFail  string

	// spans, when set (Switch.Spans), records each header extracted and
	// where: nil on the forwarding path.
	spans *[]extracted

	// now is the packet's timestamp in microseconds since the switch
	// started (the clock is read once per pipeline pass).
	now int64

	key  []byte // scratch: table keys
	mkey []byte // scratch: masked table keys
	hbuf []byte // scratch: hash inputs
}

// fresh returns a packet state ready for a new pass.
func (c *compiled) newPkt(st *state) *pkt {
	return &pkt{h: c.l.newPHV(), l: c.l, c: c, st: st, truncLen: -1, errCode: noError}
}

// clearRegs resets simple_switch's per-packet registers except the length
// (RegisterAccess::clear_all).
func (p *pkt) clearRegs() {
	p.cloneSet, p.cloneSession, p.cloneFL = false, 0, 0
	p.learnID = 0
	p.resubmit, p.resubmitFL = false, 0
	p.recirc, p.recircFL = false, 0
}
