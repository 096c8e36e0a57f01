package simtest

import "github.com/lime-p4/lime/p4/translate"

// ShiftedPorts maps the generator's ports 1..8 to 11..18, and the CPU port
// 255 to itself: a source and a target that number their ports
// differently.
func ShiftedPorts() *translate.PortMap {
	m := map[uint64]uint64{255: 255}
	for p := uint64(1); p <= 8; p++ {
		m[p] = p + 10
	}
	return translate.NewPortMap(m)
}
