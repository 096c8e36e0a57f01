package p4rt_test

import (
	"context"
	"encoding/binary"
	"log/slog"
	"runtime"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/p4/info"
)

// bigtable returns a device with scale-bigtable loaded and a function
// building the i-th INSERT into I.l2 (exact 48-bit MAC, 1,048,576 entries).
func bigtable(b testing.TB) (*p4rt.Device, func(i int) *p4v1.Update) {
	dev, err := p4rt.New(p4rt.Options{DeviceID: devID, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { dev.Close() })
	cfg := config(b, fixtures.Get(b, "scale-bigtable"))
	if err := dev.LoadPipeline(cfg); err != nil {
		b.Fatal(err)
	}
	inf, err := info.New(cfg.P4Info)
	if err != nil {
		b.Fatal(err)
	}
	l2 := inf.TableByName("I.l2")
	fwd := l2.Actions[0]
	for _, a := range l2.Actions {
		if len(a.Params) > 0 {
			fwd = a
		}
	}
	return dev, func(i int) *p4v1.Update {
		var mac [8]byte
		binary.BigEndian.PutUint64(mac[:], uint64(i)+1)
		a := &p4v1.Action{ActionId: fwd.ID}
		for _, p := range fwd.Params {
			a.Params = append(a.Params, &p4v1.Action_Param{ParamId: p.ID, Value: []byte{1}})
		}
		return update(p4v1.Update_INSERT, tableEntity(&p4v1.TableEntry{TableId: l2.ID, Match: []*p4v1.FieldMatch{exact(1, mac[2:]...)},
			Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: a}}}))
	}
}

// BenchmarkWriteBatch1000 measures a batched Write of 1000 table entries
// into the device core (per entry: validation, canonical key, storage,
// target call). The figure to watch is ns/op divided by 1000.
func BenchmarkWriteBatch1000(b *testing.B) {
	dev, mk := bigtable(b)
	n := 0
	b.ResetTimer()
	for b.Loop() {
		req := &p4v1.WriteRequest{DeviceId: devID}
		for range 1000 {
			req.Updates = append(req.Updates, mk(n))
			n++
		}
		if err := dev.Write(context.Background(), req); err != nil {
			b.Fatal(err)
		}
		if n >= 1<<20-1000 {
			b.StopTimer()
			dev, mk = bigtable(b)
			n = 0
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/entry")
}

// BenchmarkMillionEntries fills I.l2 to its size, 1,048,576 entries, and
// reports the heap it takes per entry.
func BenchmarkMillionEntries(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		dev, mk := bigtable(b)
		b.StartTimer()
		const total = 1 << 20
		for i := 0; i < total; i += 1000 {
			req := &p4v1.WriteRequest{DeviceId: devID}
			for j := i; j < min(i+1000, total); j++ {
				req.Updates = append(req.Updates, mk(j))
			}
			if err := dev.Write(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/total, "heap-bytes/entry")
		runtime.KeepAlive(dev)
		b.StartTimer()
	}
}
