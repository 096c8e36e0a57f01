package clone_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/migrator/clone"
	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/p4/translate"
)

const (
	benchBatch    = 500
	benchInflight = 4
)

// l2Entries streams n entries of scale-bigtable's I.l2 (exact on a 48-bit
// MAC, 1,048,576 entries) into w.
func l2Entries(b testing.TB, in *info.Info, n int, w *client.BatchWriter) {
	t := in.TableByName("I.l2")
	fwd := in.ActionByName("I.fwd")
	ctx := context.Background()
	var mac [8]byte
	for i := 0; i < n; i++ {
		binary.BigEndian.PutUint64(mac[:], uint64(i)+1)
		e := &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: t.ID,
			Match: []*p4v1.FieldMatch{{FieldId: t.Fields[0].ID, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: canon.Canonical(append([]byte(nil), mac[2:]...))}}}},
			Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: fwd.ID,
				Params: []*p4v1.Action_Param{{ParamId: 1, Value: []byte{byte(i%8 + 1)}}}}}}}}}
		if err := w.Add(ctx, &p4v1.Update{Type: p4v1.Update_INSERT, Entity: e}); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(ctx); err != nil {
		b.Fatal(err)
	}
}

var (
	limeOnce sync.Once
	limeBin  string
	limeErr  error
)

// limeBinary builds cmd/lime once, to measure a clone as its own process.
func limeBinary(b *testing.B) string {
	limeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lime-bench-")
		if err != nil {
			limeErr = err
			return
		}
		limeBin = filepath.Join(dir, "lime")
		out, err := exec.Command("go", "build", "-o", limeBin, "github.com/lime-p4/lime/cmd/lime").CombinedOutput()
		if err != nil {
			limeErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if limeErr != nil {
		b.Fatal(limeErr)
	}
	return limeBin
}

// simProcess runs `lime sim` with n devices (ids 1..n) (spec profile, scale-bigtable)
// as a process of its own, so that the simulators' work and garbage stay
// out of the measured clients, as a real switch's would; it returns their
// P4Runtime addresses.
func simProcess(b *testing.B, n int) []string {
	b.Helper()
	cmd := exec.Command(limeBinary(b), "sim", "--devices", fmt.Sprint(n), "--profile", "spec", "--base-port", "0",
		"--pipeline", fixtures.Get(b, "scale-bigtable").Dir, "--log-level", "warn")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	var addrs []string
	sc := bufio.NewScanner(out)
	for len(addrs) < n && sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 3 && f[0] == fmt.Sprintf("s%d", len(addrs)+1) {
			addrs = append(addrs, f[2])
		}
	}
	if len(addrs) < n {
		b.Fatalf("lime sim printed %d addresses: %v", len(addrs), sc.Err())
	}
	go io.Copy(io.Discard, out)
	return addrs
}

// dial connects to device id at addr as its primary.
func dial(b *testing.B, addr string, id uint64) (*client.Client, *info.Info) {
	b.Helper()
	ctx := context.Background()
	c, err := client.Dial(ctx, addr, client.DialOptions{DeviceID: id, Insecure: true, ElectionID: &client.ElectionID{High: 1}})
	if err != nil {
		b.Fatal(err)
	}
	s, err := c.Arbitrate(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close(); c.Close() })
	cfg, err := c.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_P4INFO_AND_COOKIE)
	if err != nil {
		b.Fatal(err)
	}
	in, err := info.New(cfg.GetP4Info())
	if err != nil {
		b.Fatal(err)
	}
	return c, in
}

// BenchmarkClone (issue 6): clone N table entries simulator to simulator,
// against a raw batched writer inserting the same entries into an empty
// simulator in the same run (same batch size and batches in flight). The
// clone runs as lime clone --pipeline and a migration run it, onto a
// target that just got its pipeline (TargetEmpty: nothing is read from
// it; the source's arrays are read while the tables are copied). The
// simulators run in a `lime sim` process; the raw writer and the clone run
// here; each switch is a process of its own. Reported: clone/raw (the goal
// is at most 1.2); per-entry-clone/raw, the same without the part of a
// clone that does not grow with the entries (scale-bigtable's 66k counter
// and register cells, read from both devices, which the raw writer does not
// touch; it dominates at 10k), measured as a clone of the program's state
// without entries; entries/s of the clone, the peak RSS of `lime clone` run as its own process (the goal:
// flat in N, a bounded buffer), and the CPU seconds per second this
// process (the clients) used in each phase.
func BenchmarkClone(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			if testing.Short() && n > 100_000 {
				b.Skip("-short: 1M entries skipped")
			}
			var rawTotal, cloneTotal, fixedTotal, rawCPU, cloneCPU time.Duration
			var rss int64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				// One process per switch, as on a network.
				addrs := []string{simProcess(b, 1)[0], simProcess(b, 1)[0], simProcess(b, 1)[0], simProcess(b, 1)[0], simProcess(b, 1)[0]}
				src, srcInfo := dial(b, addrs[0], 1)
				dst, dstInfo := dial(b, addrs[1], 1)
				// Raw: the entries into an empty simulator.
				w, err := client.NewBatchWriter(src, benchBatch, benchInflight)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				t0, c0 := time.Now(), cpuTime()
				l2Entries(b, srcInfo, n, w)
				rawTotal += time.Since(t0)
				rawCPU += cpuTime() - c0
				b.StopTimer()
				w.Close(context.Background())
				// The source has just taken N entries in a burst, and its Go
				// heap owes a collection of all of them, which the first
				// read would pay for: a switch in service does not. One
				// untimed read settles it.
				for _, err := range src.Read(context.Background(), &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{
					TableId: srcInfo.TableByName("I.l2").ID}}}) {
					if err != nil {
						b.Fatal(err)
					}
				}

				tr, err := translate.New(srcInfo, dstInfo)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				t0, c0 = time.Now(), cpuTime()
				res, err := clone.Run(context.Background(), src, dst, clone.Options{Translator: tr, BatchSize: benchBatch, Inflight: benchInflight, TargetEmpty: true})
				cloneTotal += time.Since(t0)
				cloneCPU += cpuTime() - c0
				b.StopTimer()
				if err != nil || !res.OK() || res.Total().Inserted < int64(n) {
					b.Fatalf("clone: %v %+v", err, res.Total())
				}

				// The part of a clone that does not depend on the entries:
				// the same program's state without them (its counter and
				// register arrays, empty tables), between two fresh devices.
				empty, emptyInfo := dial(b, addrs[3], 1)
				fresh, freshInfo := dial(b, addrs[4], 1)
				tr, err = translate.New(emptyInfo, freshInfo)
				if err != nil {
					b.Fatal(err)
				}
				t0 = time.Now()
				if _, err := clone.Run(context.Background(), empty, fresh, clone.Options{Translator: tr, BatchSize: benchBatch, Inflight: benchInflight, TargetEmpty: true}); err != nil {
					b.Fatal(err)
				}
				fixedTotal += time.Since(t0)

				// Peak memory of the clone as a process of its own, into the third device.
				cmd := exec.Command(limeBinary(b), "clone", "--from-addr", addrs[0], "--to-addr", addrs[2],
					"--no-progress", "--json", "--batch", fmt.Sprint(benchBatch), "--inflight", fmt.Sprint(benchInflight))
				peak, out, err := peakRSS(cmd)
				if err != nil {
					b.Fatalf("lime clone: %v\n%s", err, out)
				}
				rss = max(rss, peak)
			}
			b.ReportMetric(float64(cloneTotal)/float64(rawTotal), "clone/raw")
			b.ReportMetric(float64(cloneTotal-fixedTotal)/float64(rawTotal), "per-entry-clone/raw")
			b.ReportMetric(float64(n)*float64(b.N)/cloneTotal.Seconds(), "entries/s")
			b.ReportMetric(float64(rss)/(1<<20), "clone-peak-MiB")
			b.ReportMetric(rawCPU.Seconds()/rawTotal.Seconds(), "raw-client-cores")
			b.ReportMetric(cloneCPU.Seconds()/cloneTotal.Seconds(), "clone-client-cores")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// peakRSS runs cmd and returns its peak resident set (VmHWM, polled every
// few milliseconds from /proc). getrusage's ru_maxrss is no use here: the
// child starts as a clone of this process's memory, whose size grows with
// the simulators' entries.
func peakRSS(cmd *exec.Cmd) (int64, []byte, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var peak atomic.Int64
	done := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for {
			if st, err := os.ReadFile(status); err == nil {
				for _, l := range strings.Split(string(st), "\n") {
					if f := strings.Fields(l); len(f) == 3 && f[0] == "VmHWM:" {
						if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil && kb*1024 > peak.Load() {
							peak.Store(kb * 1024)
						}
					}
				}
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	<-polled
	return peak.Load(), out.Bytes(), err
}

// cpuTime is the user+system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
