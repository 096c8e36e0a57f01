package thrift_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"testing"
	"time"
)

// Thrift binary-protocol type ids and message types, written out here so the
// wire tests do not rely on the code under test.
const (
	tStop   = 0
	tBool   = 2
	tI32    = 8
	tI64    = 10
	tString = 11
	tStruct = 12
	tMap    = 13
	tList   = 15

	mCall      = 1
	mReply     = 2
	mException = 3
)

// enc builds TBinaryProtocol bytes by hand.
type enc struct{ bytes.Buffer }

func (e *enc) i8(v int8)   { e.WriteByte(byte(v)) }
func (e *enc) i16(v int16) { _ = binary.Write(e, binary.BigEndian, v) }
func (e *enc) i32(v int32) { _ = binary.Write(e, binary.BigEndian, v) }
func (e *enc) i64(v int64) { _ = binary.Write(e, binary.BigEndian, v) }
func (e *enc) str(s string) {
	e.i32(int32(len(s)))
	e.WriteString(s)
}

// msg writes a strict message header: version 1 | type, name, seqid.
func (e *enc) msg(name string, typ int8, seq int32) {
	e.i32(int32(-0x7fff0000) | int32(typ)) // 0x80010000 | type
	e.str(name)
	e.i32(seq)
}
func (e *enc) field(typ int8, id int16) { e.i8(typ); e.i16(id) }
func (e *enc) stop()                    { e.i8(tStop) }

// arrayArgs encodes the first arguments of a register or counter call:
// cxt_id (field 1) and the array's name (field 2).
func (e *enc) arrayArgs(cxt int32, name string) {
	e.field(tI32, 1)
	e.i32(cxt)
	e.field(tString, 2)
	e.str(name)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// readFull reads n bytes from conn within 5 seconds.
func readFull(t *testing.T, conn net.Conn, n int) []byte {
	t.Helper()
	buf := make([]byte, n)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := 0
	for got < n {
		k, err := conn.Read(buf[got:])
		got += k
		if err != nil {
			t.Fatalf("read %d of %d bytes: %v (have %x)", got, n, err, buf[:got])
		}
	}
	return buf
}

// expectClosed checks that the peer closes conn within 5 seconds without
// sending anything more.
func expectClosed(t *testing.T, conn net.Conn) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, err := conn.Read(buf)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("connection still open after 5s")
	}
	if n != 0 || err == nil {
		t.Fatalf("read %d more bytes (%x), err %v; want the connection closed", n, buf[:n], err)
	}
}
