package netdemo

import (
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lime-p4/lime/p4/client"
)

// A switch that restarts loses its pipeline; a request of the controller
// that crosses the proxy before the stream's end does is answered
// FAILED_PRECONDITION (P4Runtime §8.2: no pipeline set). The controller
// takes it as ONOS does, as a device to connect to and set up again, not
// as an inconsistency (CI, TestSimNetworkSwitchRestarts: the routes' poll
// failed so and the controller gave up).
func TestAwayOnLostPipeline(t *testing.T) {
	noPipeline := status.Error(codes.FailedPrecondition, "no forwarding pipeline config set for this device")
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"read, no pipeline", fmt.Errorf("read: %w", noPipeline), true},
		{"write, whole batch without pipeline", &client.WriteError{Total: 1, Failures: []client.UpdateFailure{{Err: noPipeline, BatchWide: true}}}, true},
		{"read, unavailable", status.Error(codes.Unavailable, "gone"), true},
		{"write refused per update", &client.WriteError{Total: 1, Failures: []client.UpdateFailure{{Err: status.Error(codes.AlreadyExists, "dup")}}}, false},
		{"read refused", status.Error(codes.InvalidArgument, "bad"), false},
		{"an inconsistency found", fmt.Errorf("the counter went back"), false},
	} {
		if got := away(c.err); got != c.want {
			t.Errorf("%s: away(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}

// PERMISSION_DENIED on a write is lost mastership, whether or not the
// controller saw its stream end first (a restart ends it; CI under load:
// the write crossed the end), as ONOS takes it: arbitrate again.
func TestLostMastership(t *testing.T) {
	denied := status.Error(codes.PermissionDenied, "not primary")
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"every update denied", &client.WriteError{Total: 2, Failures: []client.UpdateFailure{{Index: 0, Err: denied}, {Index: 1, Err: denied}}}, true},
		{"the whole batch denied", denied, true},
		{"one denied, one refused", &client.WriteError{Total: 2, Failures: []client.UpdateFailure{{Index: 0, Err: denied}, {Index: 1, Err: status.Error(codes.NotFound, "no")}}}, false},
		{"refused", &client.WriteError{Total: 1, Failures: []client.UpdateFailure{{Err: status.Error(codes.AlreadyExists, "dup")}}}, false},
	} {
		if got := lostMastership(c.err); got != c.want {
			t.Errorf("%s: lostMastership(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}
