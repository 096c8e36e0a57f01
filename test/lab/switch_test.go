//go:build linux

package lab

import (
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves goroutines behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/golang/glog.(*fileSink).flushDaemon"))
}

// TestSpecValidate checks the specs a backend refuses before starting
// anything: v1model sends packets whose egress_spec no table set to port 0,
// so a host there would receive every unrouted packet; simple_switch_grpc
// forbids an interface on its CPU port.
func TestSpecValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec Spec
		want string // "" for valid
	}{
		{"valid", Spec{Name: "s1", DeviceID: 1, Ports: []uint32{1, 2}, CPUPort: 255}, ""},
		{"no ports", Spec{Name: "s1", DeviceID: 1}, ""},
		{"no name", Spec{DeviceID: 1}, "without a name"},
		{"device 0", Spec{Name: "s1"}, "device id 0"},
		{"port 0", Spec{Name: "s1", DeviceID: 1, Ports: []uint32{0}}, "port 0"},
		{"CPU port", Spec{Name: "s1", DeviceID: 1, Ports: []uint32{255}, CPUPort: 255}, "port 255 is the CPU port"},
		{"twice", Spec{Name: "s1", DeviceID: 1, Ports: []uint32{3, 3}}, "port 3 given twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("valid spec refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("validate = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestFreePortsDistinct checks that ports are never handed out twice in a
// process: each switch needs a P4Runtime and a Thrift port of its own (a
// second bmv2 on a taken Thrift port hangs).
func TestFreePortsDistinct(t *testing.T) {
	seen := map[int]bool{}
	for range 10 {
		ps, err := FreePorts(3)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 3 {
			t.Fatalf("FreePorts(3) = %v", ps)
		}
		for _, p := range ps {
			if p <= 0 || p > 65535 || seen[p] {
				t.Fatalf("port %d handed out twice or invalid (so far %v)", p, seen)
			}
			seen[p] = true
		}
	}
}
