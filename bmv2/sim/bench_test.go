package sim_test

import (
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/internal/p4test"
)

// bigtable starts a simulated device (P4Runtime core and data plane) with
// cfg committed and returns its P4Runtime Write.
func bigtable(tb testing.TB, cfg *p4v1.ForwardingPipelineConfig) p4test.WriteFunc {
	dev, err := sim.New(sim.Options{DeviceID: devID, CPUPort: 255, Logger: quiet()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { dev.Close() })
	if err := dev.LoadPipeline(cfg); err != nil {
		tb.Fatal(err)
	}
	return dev.P4Runtime().Write
}

// BenchmarkDeviceWriteBatch1000 measures a batched Write of 1000 entries
// through the P4Runtime core into the data plane.
func BenchmarkDeviceWriteBatch1000(b *testing.B) { p4test.BenchWriteBatch1000(b, devID, bigtable) }

// BenchmarkDeviceMillionEntries fills I.l2 (1,048,576 entries) and reports
// the heap the P4Runtime core and the data plane take per entry.
func BenchmarkDeviceMillionEntries(b *testing.B) { p4test.BenchMillionEntries(b, devID, bigtable) }
