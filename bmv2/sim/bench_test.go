package sim_test

import (
	"context"
	"encoding/binary"
	"runtime"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim"
)

// bigtable returns a simulated device running scale-bigtable and a builder
// of the i-th INSERT into I.l2 (exact MAC, 1,048,576 entries).
func bigtable(b *testing.B) (*sim.Device, func(i int) *p4v1.Update) {
	dev, err := sim.New(sim.Options{DeviceID: devID, CPUPort: 255, Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { dev.Close() })
	cfg, inf := config(b, "scale-bigtable")
	if err := dev.LoadPipeline(cfg); err != nil {
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
		return insert(tableEntity(&p4v1.TableEntry{TableId: l2.ID,
			Match:  []*p4v1.FieldMatch{{FieldId: l2.Fields[0].ID, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: mac[2:]}}}},
			Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: a}}}))
	}
}

// BenchmarkDeviceWriteBatch1000 measures a batched Write of 1000 entries
// through the P4Runtime core into the data plane.
func BenchmarkDeviceWriteBatch1000(b *testing.B) {
	dev, mk := bigtable(b)
	n := 0
	for b.Loop() {
		req := &p4v1.WriteRequest{DeviceId: devID}
		for range 1000 {
			req.Updates = append(req.Updates, mk(n))
			n++
		}
		if err := dev.P4Runtime().Write(context.Background(), req); err != nil {
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

// BenchmarkDeviceMillionEntries fills I.l2 (1,048,576 entries) and reports
// the heap the P4Runtime core and the data plane take per entry.
func BenchmarkDeviceMillionEntries(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		dev, mk := bigtable(b)
		b.StartTimer()
		const total = 1 << 20
		for i := 0; i < total; i += 1000 {
			req := &p4v1.WriteRequest{DeviceId: devID}
			for j := i; j < min(i+1000, total); j++ {
				req.Updates = append(req.Updates, mk(j))
			}
			if err := dev.P4Runtime().Write(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/total, "heap-bytes/entry")
		runtime.KeepAlive(dev)
		b.StartTimer()
	}
}
