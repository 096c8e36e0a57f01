package p4rt_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves goroutines behind (streams,
// sessions, timers); glog's daemon comes with the simulator's gNMI
// (FuzzServer runs a whole simulated switch).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/golang/glog.(*fileSink).flushDaemon"))
}
