package info

import "fmt"

// Kind is the kind of a P4Info object. Its value is the id prefix the
// P4Runtime spec assigns to the kind (p4.config.v1.P4Ids.Prefix): the most
// significant byte of every id p4c allocates.
type Kind uint8

// The object kinds of a P4Info.
const (
	KindUnknown        Kind = 0x00
	KindAction         Kind = 0x01
	KindTable          Kind = 0x02
	KindValueSet       Kind = 0x03
	KindPacketMetadata Kind = 0x04 // controller_packet_metadata
	KindActionProfile  Kind = 0x11
	KindCounter        Kind = 0x12
	KindDirectCounter  Kind = 0x13
	KindMeter          Kind = 0x14
	KindDirectMeter    Kind = 0x15
	KindRegister       Kind = 0x16
	KindDigest         Kind = 0x17
	KindExtern         Kind = 0x80 // architecture-specific extern instances
)

var kindNames = map[Kind]string{
	KindUnknown:        "unknown",
	KindAction:         "action",
	KindTable:          "table",
	KindValueSet:       "value set",
	KindPacketMetadata: "controller packet metadata",
	KindActionProfile:  "action profile",
	KindCounter:        "counter",
	KindDirectCounter:  "direct counter",
	KindMeter:          "meter",
	KindDirectMeter:    "direct meter",
	KindRegister:       "register",
	KindDigest:         "digest",
	KindExtern:         "extern",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(0x%02x)", uint8(k))
}

// KindOfID returns the kind an id's prefix byte announces. Ids not allocated
// by the spec's scheme give KindUnknown; use Info.Lookup for the kind an id
// actually has in a P4Info.
func KindOfID(id uint32) Kind {
	k := Kind(id >> 24)
	if k >= KindExtern {
		return KindExtern
	}
	if _, ok := kindNames[k]; ok {
		return k
	}
	return KindUnknown
}
