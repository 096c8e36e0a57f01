package p4rt_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves goroutines behind (streams,
// sessions, timers).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
