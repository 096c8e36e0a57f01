package freeport

import (
	"net"
	"testing"
)

// Addr returns a loopback address (127.0.0.1:PORT) free a moment ago.
func Addr(tb testing.TB) string {
	tb.Helper()
	return free(tb).String()
}

// Port returns a loopback TCP port free a moment ago.
func Port(tb testing.TB) int {
	tb.Helper()
	return free(tb).Port
}

func free(tb testing.TB) *net.TCPAddr {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr)
}
