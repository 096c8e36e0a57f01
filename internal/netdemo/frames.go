package netdemo

import (
	"bytes"
	"encoding/binary"
)

// magic starts the payload of the scenario's datagrams.
var magic = []byte("lime")

// frameLen is the length of a datagram frame: Ethernet, IPv4, UDP, and a
// payload of magic, the sender's and the receiver's index, and a sequence
// number.
const frameLen = 14 + 20 + 8 + 4 + 2 + 8

// UDP builds the Ethernet/IPv4/UDP frame of datagram seq from one host to
// another on their UDP ports, addressed to the receiver's MAC (the hosts
// are in one IPv4 network; each switch routes every host's address).
func UDP(from, to Host, seq uint64) []byte {
	return UDPPorts(from, to, from.UDPPort, to.UDPPort, seq)
}

// UDPPorts is UDP with other ports.
func UDPPorts(from, to Host, sport, dport uint16, seq uint64) []byte {
	f := make([]byte, frameLen)
	copy(f[0:6], to.MAC)
	copy(f[6:12], from.MAC)
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:34]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], uint16(frameLen-14))
	src, dst := from.IP.As4(), to.IP.As4()
	copy(ip[12:16], src[:])
	copy(ip[16:20], dst[:])
	binary.BigEndian.PutUint16(ip[10:], checksum(ip))
	udp := f[34:42]
	binary.BigEndian.PutUint16(udp[0:], sport)
	binary.BigEndian.PutUint16(udp[2:], dport)
	binary.BigEndian.PutUint16(udp[4:], uint16(frameLen-34))
	copy(f[42:], Payload(from, to, seq))
	return f
}

func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// Payload is the UDP payload of datagram seq from one host to another (a
// kernel host's socket sends it as it is).
func Payload(from, to Host, seq uint64) []byte {
	p := make([]byte, frameLen-42)
	copy(p, magic)
	p[4], p[5] = byte(from.Index()), byte(to.Index())
	binary.BigEndian.PutUint64(p[6:], seq)
	return p
}

// ParsePayload reads a payload built by Payload.
func ParsePayload(p []byte) (d Datagram, ok bool) {
	if len(p) != frameLen-42 || !bytes.Equal(p[:4], magic) || int(p[4]) >= len(Hosts) || int(p[5]) >= len(Hosts) {
		return d, false
	}
	d.From, d.To, d.Seq = int(p[4]), int(p[5]), binary.BigEndian.Uint64(p[6:])
	return d, true
}

// Datagram is what a received frame of the scenario says.
type Datagram struct {
	From, To     int // indexes in Hosts
	Seq          uint64
	SPort, DPort uint16
	// DstMAC is the frame's destination MAC, as the last switch set it.
	DstMAC [6]byte
}

// Parse reads a frame built by UDP; ok is false for any other frame (a
// kernel's ARP or IPv6 chatter, say).
func Parse(f []byte) (d Datagram, ok bool) {
	if len(f) < frameLen || binary.BigEndian.Uint16(f[12:]) != 0x0800 || f[14] != 0x45 || f[23] != 17 {
		return d, false
	}
	d, ok = ParsePayload(f[42:frameLen])
	if !ok {
		return d, false
	}
	d.SPort, d.DPort = binary.BigEndian.Uint16(f[34:]), binary.BigEndian.Uint16(f[36:])
	copy(d.DstMAC[:], f[0:6])
	return d, true
}
