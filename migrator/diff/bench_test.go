package diff_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/clone"
	"github.com/lime-p4/lime/migrator/diff"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/translate"
)

// verifyBenchEntries is BenchmarkVerify's table size: LIME_BENCH_VERIFY_ENTRIES,
// else 1,000,000 (200,000 with -short).
func verifyBenchEntries() int {
	if v, err := strconv.Atoi(os.Getenv("LIME_BENCH_VERIFY_ENTRIES")); err == nil && v > 0 {
		return v
	}
	if testing.Short() {
		return 200_000
	}
	return 1_000_000
}

// BenchmarkVerify (issue 14, "verify no slower than the clone"): a
// migration's verify (diff.Run of source and target through the
// translation) against the clone that made the target, scale-bigtable's
// I.l2 with N entries, simulated switches in this process. Each pair is a
// clone onto a fresh target then the verify of the two; reported: the
// median of verify/clone over the pairs and the worst.
func BenchmarkVerify(b *testing.B) {
	n := verifyBenchEntries()
	b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
		ctx := context.Background()
		src := simtest.Start(b, simtest.Options{Pipeline: "scale-bigtable", Profile: p4rt.ProfileSpec})
		w, err := client.NewBatchWriter(src.Client, 500, 4)
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			if err := w.Add(ctx, &p4v1.Update{Type: p4v1.Update_INSERT, Entity: p4test.L2Entry(src.Info, i, byte(i%8+1))}); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(ctx); err != nil {
			b.Fatal(err)
		}
		dst := simtest.Start(b, simtest.Options{Pipeline: "scale-bigtable", Profile: p4rt.ProfileSpec, DeviceID: 2,
			P4Info: p4test.Renumber(src.Info.Proto, 0x00a5a5a5)})
		cfg, err := dst.Client.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_ALL)
		if err != nil {
			b.Fatal(err)
		}
		tr, err := translate.New(src.Info, dst.Info)
		if err != nil {
			b.Fatal(err)
		}
		var ratios []float64
		for range b.N {
			for range 3 {
				// The target empty again: its pipeline set anew.
				if err := dst.Client.SetPipelineConfig(ctx, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, cfg); err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				res, err := clone.Run(ctx, src.Client, dst.Client, clone.Options{Translator: tr, SkipCounters: true, TargetEmpty: true})
				if err != nil || !res.OK() {
					b.Fatal(err, res.Total())
				}
				tClone := time.Since(t0)
				t0 = time.Now()
				rep, err := diff.Run(ctx, src.Client, dst.Client, diff.Options{Translator: tr})
				if err != nil || !rep.Equal() {
					b.Fatal(err, rep.Total())
				}
				ratios = append(ratios, time.Since(t0).Seconds()/tClone.Seconds())
			}
		}
		s := slices.Sorted(slices.Values(ratios))
		b.ReportMetric(s[len(s)/2], "verify/clone")
		b.ReportMetric(s[len(s)-1], "verify/clone-worst")
		b.ReportMetric(0, "ns/op")
	})
}
