package p4rt_test

import (
	"testing"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/internal/simtest"
)

// FuzzServer: the simulator's P4Runtime server (onos-basic, answering as
// the spec says: the bmv2 profile answers some malformed requests with
// bmv2's catch-all UNKNOWN, as the real switch does) answers any Write, Read or stream message decoded from the fuzzer's
// bytes with a spec status code, without crashing, and goes on answering
// (P4Runtime spec section 12.3 "Error reporting").
func FuzzServer(f *testing.F) {
	d := simtest.Start(f, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileSpec, DeviceID: 1})
	p4test.FuzzP4Runtime(f, d.Addr, 1, d.Info)
}
