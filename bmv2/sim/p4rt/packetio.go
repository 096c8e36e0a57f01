package p4rt

import (
	"math/big"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/info"
)

// packetIO converts between CPU-port frames and PacketIn / PacketOut
// messages using the P4Info's controller headers (spec section "Packet
// I/O"): the packet_in header leads every frame the program sends to the
// CPU port; PacketOut metadata become the packet_out header in front of the
// payload, as PI's PacketIOMgr does.
type packetIO struct {
	in, out         *info.PacketMetadata
	inBits, outBits int
}

func newPacketIO(inf *info.Info) packetIO {
	p := packetIO{in: inf.PacketMetadataByName("packet_in"), out: inf.PacketMetadataByName("packet_out")}
	p.inBits = headerBits(p.in)
	p.outBits = headerBits(p.out)
	return p
}

// wireWidth is a metadata field's width on the wire: the P4Info bitwidth
// (the data-plane width, also for translated types).
func wireWidth(f *info.MetadataField) int {
	if w := int(f.Proto.GetBitwidth()); w > 0 {
		return w
	}
	return f.Width
}

func headerBits(h *info.PacketMetadata) int {
	if h == nil {
		return 0
	}
	n := 0
	for _, f := range h.Fields {
		n += wireWidth(f)
	}
	return n
}

// decodeIn splits a CPU-port frame into a PacketIn. It fails when the frame
// is shorter than the packet_in header.
func (p packetIO) decodeIn(frame []byte) (*p4v1.PacketIn, bool) {
	if p.in == nil {
		return &p4v1.PacketIn{Payload: append([]byte(nil), frame...)}, true
	}
	n := (p.inBits + 7) / 8
	if len(frame) < n {
		return nil, false
	}
	h := new(big.Int).SetBytes(frame[:n])
	total := n * 8
	off := 0
	pi := &p4v1.PacketIn{Payload: append([]byte(nil), frame[n:]...)}
	for _, f := range p.in.Fields {
		w := wireWidth(f)
		v := new(big.Int).Rsh(h, uint(total-off-w))
		v.And(v, new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(w)), big.NewInt(1)))
		pi.Metadata = append(pi.Metadata, &p4v1.PacketMetadata{MetadataId: f.ID, Value: canon.FromBig(v)})
		off += w
	}
	return pi, true
}

// encodeOut builds the frame of a PacketOut. Unknown metadata ids are
// INVALID_ARGUMENT; a missing field is zero in profile bmv2 (as PI) and
// INVALID_ARGUMENT in profile spec.
func (p packetIO) encodeOut(po *p4v1.PacketOut, strict bool) ([]byte, error) {
	if p.out == nil {
		if len(po.GetMetadata()) > 0 {
			return nil, errorf(ErrInvalid, "packet-out metadata given but the P4Info has no packet_out header")
		}
		return append([]byte(nil), po.GetPayload()...), nil
	}
	vals := map[uint32][]byte{}
	for _, m := range po.GetMetadata() {
		f := p.out.Field(m.GetMetadataId())
		if f == nil {
			return nil, errorf(ErrInvalid, "packet-out: unknown metadata id %d", m.GetMetadataId())
		}
		if _, dup := vals[f.ID]; dup {
			return nil, errorf(ErrInvalid, "packet-out: metadata %q given twice", f.Name)
		}
		if f.IsString {
			return nil, errorf(ErrUnimplemented, "packet-out: metadata %q has a translated string type", f.Name)
		}
		v := m.GetValue()
		if len(v) == 0 {
			if strict {
				return nil, errorf(ErrInvalid, "packet-out: metadata %q is empty", f.Name)
			}
			v = []byte{0}
		}
		if err := canon.Check(v, wireWidth(f)); err != nil {
			return nil, errorf(ErrInvalid, "packet-out: metadata %q: %v", f.Name, err)
		}
		vals[f.ID] = v
	}
	h := new(big.Int)
	for _, f := range p.out.Fields {
		v, ok := vals[f.ID]
		if !ok && strict {
			return nil, errorf(ErrInvalid, "packet-out: metadata %q missing", f.Name)
		}
		h.Lsh(h, uint(wireWidth(f)))
		if ok {
			h.Or(h, canon.ToBig(v))
		}
	}
	n := (p.outBits + 7) / 8
	h.Lsh(h, uint(n*8-p.outBits))
	frame := make([]byte, n, n+len(po.GetPayload()))
	h.FillBytes(frame)
	return append(frame, po.GetPayload()...), nil
}
