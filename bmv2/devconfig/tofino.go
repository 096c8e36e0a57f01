package devconfig

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Tofino packs a Tofino device config the way ONOS's barefoot driver does
// (TofinoPipelineProgrammable.createDeviceDataBuffer). It is the node config
// Tofino's PI backend reads: ONOS sends it as p4_device_config, and Stratum
// builds the same layout from its BfPipelineConfig protobuf
// (BfPipelineConfigToPiConfig). Current Stratum releases expect that
// protobuf itself as p4_device_config; this package does not build it.
//
//	u32 little-endian len(pipeconfID) | pipeconfID (UTF-8)
//	u32 little-endian len(tofinoBin)  | tofinoBin
//	u32 little-endian len(contextJSON)| contextJSON
//
// ONOS writes the id's length as its count of Java chars, which equals the
// byte count for the ASCII ids pipeconfs use; Tofino writes the byte count.
// It panics if a part is 4 GiB or longer, which no u32 length can describe.
func Tofino(pipeconfID string, tofinoBin, contextJSON []byte) []byte {
	parts := [][]byte{[]byte(pipeconfID), tofinoBin, contextJSON}
	n := 0
	for _, p := range parts {
		if uint64(len(p)) > math.MaxUint32 {
			panic(fmt.Sprintf("devconfig: Tofino part of %d bytes does not fit a u32 length", len(p)))
		}
		n += 4 + len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(p)))
		out = append(out, p...)
	}
	return out
}

// ParseTofino splits a device config packed by [Tofino] (or by ONOS) into
// its pipeconf id, tofino.bin and context.json. The returned slices share
// config's memory. A length that runs past the end, or bytes after the third
// part, are errors that give the offset.
func ParseTofino(config []byte) (pipeconfID string, tofinoBin, contextJSON []byte, err error) {
	names := [3]string{"pipeconf id", "tofino.bin", "context.json"}
	var parts [3][]byte
	off := 0
	for i, name := range names {
		if len(config)-off < 4 {
			return "", nil, nil, fmt.Errorf("devconfig: Tofino config: %s length at offset %d: need 4 bytes, have %d", name, off, len(config)-off)
		}
		n := uint64(binary.LittleEndian.Uint32(config[off:]))
		off += 4
		if n > uint64(len(config)-off) {
			return "", nil, nil, fmt.Errorf("devconfig: Tofino config: %s at offset %d claims %d bytes, %d remain", name, off, n, len(config)-off)
		}
		parts[i] = config[off : off+int(n) : off+int(n)]
		off += int(n)
	}
	if off != len(config) {
		return "", nil, nil, fmt.Errorf("devconfig: Tofino config: %d unexpected bytes after context.json at offset %d", len(config)-off, off)
	}
	return string(parts[0]), parts[1], parts[2], nil
}
