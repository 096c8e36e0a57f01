package p4test

import (
	"context"
	"encoding/binary"
	"runtime"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/info"
)

// WriteFunc applies a WriteRequest, as a P4Runtime server's Write does.
type WriteFunc func(context.Context, *p4v1.WriteRequest) error

// LoadFunc starts a device with cfg committed and returns its Write; the
// device lives until the test ends.
type LoadFunc func(tb testing.TB, cfg *p4v1.ForwardingPipelineConfig) WriteFunc

// bigTableSize is the size of scale-bigtable's I.l2.
const bigTableSize = 1 << 20

// bigtable starts a device with the scale-bigtable fixture and returns its
// Write and a builder of the i-th INSERT into I.l2 (exact 48-bit MAC,
// 1,048,576 entries).
func bigtable(tb testing.TB, load LoadFunc) (WriteFunc, func(i int) *p4v1.Update) {
	cfg := Config(tb, fixtures.Get(tb, "scale-bigtable"), 0)
	write := load(tb, cfg)
	in := Index(tb, cfg.P4Info)
	return write, func(i int) *p4v1.Update {
		return &p4v1.Update{Type: p4v1.Update_INSERT, Entity: L2Entry(in, i, 1)}
	}
}

// L2Entry is the i-th entry of scale-bigtable's I.l2 (exact on the 48-bit
// MAC i+1), forwarding to port (I.fwd).
func L2Entry(in *info.Info, i int, port byte) *p4v1.Entity {
	l2 := in.TableByName("I.l2")
	fwd := in.ActionByName("I.fwd")
	var mac [8]byte
	binary.BigEndian.PutUint64(mac[:], uint64(i)+1)
	return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: l2.ID,
		Match: []*p4v1.FieldMatch{{FieldId: l2.Fields[0].ID, FieldMatchType: &p4v1.FieldMatch_Exact_{
			Exact: &p4v1.FieldMatch_Exact{Value: canon.Canonical(mac[2:])}}}},
		Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: fwd.ID,
			Params: []*p4v1.Action_Param{{ParamId: fwd.Params[0].ID, Value: []byte{port}}}}}}}}}
}

// BenchWriteBatch1000 measures batched Writes of 1000 INSERTs into
// scale-bigtable's I.l2 on devices that load starts (a fresh one whenever
// the table is nearly full) and reports ns/entry. deviceID is the device id
// the requests carry.
func BenchWriteBatch1000(b *testing.B, deviceID uint64, load LoadFunc) {
	write, mk := bigtable(b, load)
	n := 0
	for b.Loop() {
		req := &p4v1.WriteRequest{DeviceId: deviceID}
		for range 1000 {
			req.Updates = append(req.Updates, mk(n))
			n++
		}
		if err := write(context.Background(), req); err != nil {
			b.Fatal(err)
		}
		if n >= bigTableSize-1000 {
			b.StopTimer()
			write, mk = bigtable(b, load)
			n = 0
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/entry")
}

// BenchMillionEntries fills scale-bigtable's I.l2 to its size, 1,048,576
// entries, in Writes of 1000 on a device that load starts, and reports the
// heap taken per entry (heap-bytes/entry).
func BenchMillionEntries(b *testing.B, deviceID uint64, load LoadFunc) {
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		write, mk := bigtable(b, load)
		b.StartTimer()
		for i := 0; i < bigTableSize; i += 1000 {
			req := &p4v1.WriteRequest{DeviceId: deviceID}
			for j := i; j < min(i+1000, bigTableSize); j++ {
				req.Updates = append(req.Updates, mk(j))
			}
			if err := write(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/bigTableSize, "heap-bytes/entry")
		runtime.KeepAlive(write)
		b.StartTimer()
	}
}
