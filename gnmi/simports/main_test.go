package simports

import (
	"testing"

	"go.uber.org/goleak"
)

// glog (under openconfig/gnmi's cache) starts its flush goroutine at init.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/golang/glog.(*fileSink).flushDaemon"))
}
