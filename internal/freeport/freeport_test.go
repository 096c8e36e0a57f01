package freeport_test

import (
	"net"
	"strconv"
	"testing"

	"github.com/lime-p4/lime/internal/freeport"
)

// An address from Addr, and a port from Port, can be listened on.
func TestFree(t *testing.T) {
	for _, addr := range []string{freeport.Addr(t), "127.0.0.1:" + strconv.Itoa(freeport.Port(t))} {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		if got := l.Addr().String(); got != addr || addr == "127.0.0.1:0" {
			t.Errorf("listening on %s: got %s", addr, got)
		}
		l.Close()
	}
}
