package thrifttest

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/lime-p4/lime/bmv2/thrift"
)

// Serve serves b with [thrift.Serve] on a loopback listener until the test
// ends, and returns its address and a function that stops it sooner.
// Stopping closes the listener and fails the test if Serve then returns an
// error or takes longer than 10s to return; it is idempotent.
func Serve(t testing.TB, b thrift.Backend) (addr string, stop func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- thrift.Serve(l, b) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			l.Close()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("thrift.Serve: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("thrift.Serve did not return within 10s of closing its listener")
			}
		})
	}
	t.Cleanup(stop)
	return l.Addr().String(), stop
}

// Dial connects a [thrift.Client] to addr (within 5s), closed when the test
// ends.
func Dial(t testing.TB, addr string) *thrift.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := thrift.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
