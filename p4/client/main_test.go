package client

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must leave no goroutine behind: sessions, batch writers, read
// iterators and connections all shut down.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
