package proxy

import (
	"sync/atomic"
	"time"
)

// LatencyBuckets are the upper bounds, in seconds, of the buckets of
// controller write latency (Device.WriteLatency): 50µs to 10s.
var LatencyBuckets = []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// latency counts controller writes by how long the proxy took to answer
// them, in LatencyBuckets (the last count: above them all).
type latency struct {
	counts [18]atomic.Uint64
	sum    atomic.Int64 // nanoseconds
}

func (l *latency) observe(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(LatencyBuckets) && s > LatencyBuckets[i] {
		i++
	}
	l.counts[i].Add(1)
	l.sum.Add(int64(d))
}

// Latency is a histogram of controller write latency, as Prometheus
// takes it: the count of writes at or below each bound of LatencyBuckets
// (cumulative), the count of all and the sum of their latencies.
type Latency struct {
	Buckets map[float64]uint64
	Count   uint64
	Sum     time.Duration
}

// WriteLatency is the histogram of how long the controllers' Writes took,
// from the proxy's receiving each until its answer (waits for earlier
// writes included).
func (d *Device) WriteLatency() Latency {
	out := Latency{Buckets: make(map[float64]uint64, len(LatencyBuckets)), Sum: time.Duration(d.latency.sum.Load())}
	for i := range d.latency.counts {
		out.Count += d.latency.counts[i].Load()
		if i < len(LatencyBuckets) {
			out.Buckets[LatencyBuckets[i]] = out.Count
		}
	}
	return out
}
