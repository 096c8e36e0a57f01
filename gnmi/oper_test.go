package gnmi

import (
	"testing"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/proto"
)

// Issue 15, point 6: oper-status is served as Stratum serves it (see
// OperStatus.Served: stratum/hal/lib/common/utils.cc and
// stratum/hal/lib/bmv2/bmv2_chassis_manager.cc): a port enabled with no
// link is DOWN, not LOWER_LAYER_DOWN; only UP, DOWN and UNKNOWN are
// served, in Get as in Subscribe, and last-change moves only when the
// served value does.
func TestOperStatusAsStratum(t *testing.T) {
	for _, tc := range []struct {
		backend OperStatus
		want    string
	}{
		{OperUp, "UP"},
		{OperDown, "DOWN"},
		{OperLowerLayerDown, "DOWN"},
		{OperDormant, "DOWN"},
		{OperTesting, "DOWN"},
		{OperNotPresent, "DOWN"},
		{OperUnknown, "UNKNOWN"},
	} {
		f := newFake(PortState{Name: "eth0", ID: 1, Enabled: true, Oper: tc.backend})
		h := serve(t, f, Options{})
		if got := protoGet(t, h, gpb.GetRequest_ALL, ifp("eth0", "state", "oper-status")); !proto.Equal(got[eth0Oper], str(tc.want)) {
			t.Errorf("backend %s: Get serves %v, want %s", tc.backend, got[eth0Oper], tc.want)
		}
		if got := startSub(t, h, subList(gpb.SubscriptionList_ONCE, onChange(ifp("eth0", "state", "oper-status")))).untilSync(); !proto.Equal(got[eth0Oper], str(tc.want)) {
			t.Errorf("backend %s: Subscribe serves %v, want %s", tc.backend, got[eth0Oper], tc.want)
		}
	}

	// Enabled without a link, then disabled: DOWN both times, and the
	// served state did not change, so neither did last-change.
	f := newFake(PortState{Name: "eth0", ID: 1, Enabled: true, Oper: OperLowerLayerDown})
	h := serve(t, f, Options{})
	lastChange := "/interfaces/interface[name=eth0]/state/last-change"
	before := protoGet(t, h, gpb.GetRequest_ALL, ifp("eth0", "state"))
	f.update("eth0", func(p *PortState) { p.Enabled, p.Oper = false, OperDown })
	after := protoGet(t, h, gpb.GetRequest_ALL, ifp("eth0", "state"))
	if !proto.Equal(after[eth0Oper], str("DOWN")) || !proto.Equal(after[eth0Admin], str("DOWN")) {
		t.Errorf("disabled: %v", after)
	}
	if !proto.Equal(before[lastChange], after[lastChange]) {
		t.Errorf("last-change moved from %v to %v while oper-status stayed DOWN", before[lastChange], after[lastChange])
	}
}
