package p4rt_test

import (
	"log/slog"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/p4test"
)

// bigtable starts a device core (memory target) with cfg committed and
// returns its Write.
func bigtable(tb testing.TB, cfg *p4v1.ForwardingPipelineConfig) p4test.WriteFunc {
	dev, err := p4rt.New(p4rt.Options{DeviceID: devID, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { dev.Close() })
	if err := dev.LoadPipeline(cfg); err != nil {
		tb.Fatal(err)
	}
	return dev.Write
}

// BenchmarkWriteBatch1000 measures a batched Write of 1000 table entries
// into the device core (per entry: validation, canonical key, storage,
// target call). The figure to watch is ns/entry.
func BenchmarkWriteBatch1000(b *testing.B) { p4test.BenchWriteBatch1000(b, devID, bigtable) }

// BenchmarkMillionEntries fills I.l2 to its size, 1,048,576 entries, and
// reports the heap it takes per entry.
func BenchmarkMillionEntries(b *testing.B) { p4test.BenchMillionEntries(b, devID, bigtable) }
