package simtest

import (
	"bytes"
	"testing"
	"time"

	"github.com/lime-p4/lime/bmv2/sim/port"
)

// Host plugs an in-memory host into port name of d's switch (started with
// Ports), unplugged when the test ends.
func Host(t testing.TB, d *Device, name string) *port.Host {
	t.Helper()
	h, err := port.ConnectHost(d.Sim.Port(name), "h-"+name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// Frame is an Ethernet frame from MAC 00:00:00:00:00:src to
// 00:00:00:00:00:dst with the given EtherType and payload.
func Frame(dst, src byte, etype uint16, payload string) []byte {
	f := []byte{0, 0, 0, 0, 0, dst, 0, 0, 0, 0, 0, src, byte(etype >> 8), byte(etype)}
	return append(f, payload...)
}

// Pass sends an IPv4 frame from one host to MAC dst and fails the test
// unless it reaches the other host within 5s, unchanged.
func Pass(t testing.TB, from, to *port.Host, dst, src byte) {
	t.Helper()
	f := Frame(dst, src, 0x0800, "from "+from.Name())
	if err := from.Send(f); err != nil {
		t.Fatal(err)
	}
	got, err := to.RecvWithin(5 * time.Second)
	if err != nil || !bytes.Equal(got, f) {
		t.Fatalf("%s -> %s: got %x, %v", from.Name(), to.Name(), got, err)
	}
}
