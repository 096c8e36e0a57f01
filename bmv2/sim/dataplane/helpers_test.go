package dataplane

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is an Options.Now that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// hx decodes hex, ignoring spaces, colons and dots.
func hx(s string) []byte {
	r := strings.NewReplacer(" ", "", ":", "", ".", "", "\n", "", "\t", "")
	b, err := hex.DecodeString(r.Replace(s))
	if err != nil {
		panic(err)
	}
	return b
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// ipv4Header builds a 20-byte IPv4 header with a correct checksum.
func ipv4Header(src, dst []byte, proto, ttl byte, totalLen uint16) []byte {
	h := cat([]byte{0x45, 0x00}, be16(totalLen), be16(0x1234), be16(0x4000),
		[]byte{ttl, proto, 0, 0}, src, dst)
	binary.BigEndian.PutUint16(h[10:], ipChecksum(h))
	return h
}

// ipChecksum is the RFC 1071 checksum of b.
func ipChecksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
}

// one expects exactly one output and returns it.
func one(t testing.TB, r *Result) Output {
	t.Helper()
	if len(r.Outputs) != 1 {
		t.Fatalf("got %d outputs %+v (drops %+v), want 1", len(r.Outputs), r.Outputs, r.Drops)
	}
	return r.Outputs[0]
}
