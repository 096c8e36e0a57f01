package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lime-p4/lime/migrator/migrate"
	"github.com/lime-p4/lime/migrator/plan"
	"github.com/lime-p4/lime/migrator/proxy"
)

// DeviceStatus is one virtual device as the admin API shows it.
type DeviceStatus struct {
	Device        uint64           `json:"device"`
	Authoritative string           `json:"authoritative"`
	Mirror        string           `json:"mirror,omitempty"`
	Moved         []uint64         `json:"moved,omitempty"`
	Stats         proxy.Stats      `json:"stats"`
	Migration     *MigrationStatus `json:"migration,omitempty"`
}

// MigrationStatus is where a device's migration stands.
type MigrationStatus struct {
	Target  string        `json:"target"`
	State   migrate.State `json:"state"`
	Running string        `json:"running,omitempty"` // the action under way
	Error   string        `json:"error,omitempty"`
	// History lists the steps run, in order.
	History []StepRecord `json:"history,omitempty"`
	// Cloned is how many entities the last clone copied.
	Cloned int64 `json:"cloned"`
	// Progress is how far the running step (a clone, a verify) has gone.
	Progress *migrate.StepProgress `json:"progress,omitempty"`
}

// Status describes every device of the proxy.
func (s *Service) Status() []DeviceStatus {
	var out []DeviceStatus
	for _, d := range s.proxy.Devices() {
		st := DeviceStatus{Device: d.ID(), Authoritative: d.Authoritative().Name, Moved: d.Moved(), Stats: d.Stats()}
		if b, _ := d.Mirror(); b != nil {
			st.Mirror = b.Name
		}
		s.mu.Lock()
		r := s.runs[d.ID()]
		s.mu.Unlock()
		if r != nil {
			r.mu.Lock()
			st.Migration = &MigrationStatus{Target: r.spec.Target.Addr, State: r.state, Running: r.step, Error: r.err,
				History: slices.Clone(r.history), Cloned: r.drv.Cloned(), Progress: r.drv.StepProgress()}
			r.mu.Unlock()
		}
		out = append(out, st)
	}
	return out
}

// Handler serves the admin API and the metrics, to clients that hold
// Options.Auth's credential.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, _ *http.Request) { reply(w, http.StatusOK, s.Status()) })
	mux.HandleFunc("POST /v1/migrate", func(w http.ResponseWriter, r *http.Request) {
		var spec Spec
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<20)).Decode(&spec); err != nil {
			fail(w, http.StatusBadRequest, fmt.Errorf("migration spec: %w", err))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		if err := s.Migrate(ctx, spec); err != nil {
			code := http.StatusBadRequest
			if errors.Is(err, ErrBusy) {
				code = http.StatusConflict
			}
			fail(w, code, err)
			return
		}
		reply(w, http.StatusAccepted, s.Status())
	})
	device := func(f func(uint64) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
			if err != nil {
				fail(w, http.StatusBadRequest, fmt.Errorf("device id %q: %w", r.PathValue("id"), err))
				return
			}
			if err := f(id); err != nil {
				fail(w, http.StatusConflict, err)
				return
			}
			reply(w, http.StatusAccepted, s.Status())
		}
	}
	mux.HandleFunc("POST /v1/devices/{id}/abort", device(s.Abort))
	mux.HandleFunc("POST /v1/devices/{id}/retry", device(s.Retry))
	mux.HandleFunc("GET /v1/plan", func(w http.ResponseWriter, _ *http.Request) {
		if st := s.PlanStatus(); st != nil {
			reply(w, http.StatusOK, st)
			return
		}
		fail(w, http.StatusNotFound, ErrNoPlan)
	})
	mux.HandleFunc("POST /v1/plan", func(w http.ResponseWriter, r *http.Request) {
		var p plan.Plan
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 256<<20)).Decode(&p); err != nil {
			fail(w, http.StatusBadRequest, fmt.Errorf("plan: %w", err))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 60*time.Second)
		defer cancel()
		if err := s.MigratePlan(ctx, &p); err != nil {
			code := http.StatusBadRequest
			if errors.Is(err, ErrBusy) {
				code = http.StatusConflict
			}
			fail(w, code, err)
			return
		}
		reply(w, http.StatusAccepted, s.PlanStatus())
	})
	planChange := func(f func() error) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			if err := f(); err != nil {
				code := http.StatusConflict
				if errors.Is(err, ErrNoPlan) {
					code = http.StatusNotFound
				}
				fail(w, code, err)
				return
			}
			reply(w, http.StatusAccepted, s.PlanStatus())
		}
	}
	mux.HandleFunc("POST /v1/plan/abort", planChange(s.AbortPlan))
	mux.HandleFunc("POST /v1/plan/retry", planChange(s.RetryPlan))
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{s})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if s.opts.Auth != nil {
		return s.opts.Auth.Wrap(mux)
	}
	return mux
}

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// Error is the body of a refused request.
type Error struct {
	Error string `json:"error"`
}

func fail(w http.ResponseWriter, code int, err error) { reply(w, code, Error{Error: err.Error()}) }

// collector turns the proxy's and the migrations' figures into metrics at
// each scrape.
type collector struct{ s *Service }

var (
	descCounter = func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("lime_proxy_"+name, help, []string{"device"}, nil)
	}
	mWrites     = descCounter("writes_total", "Write RPCs passed on to the authoritative device")
	mUpdates    = descCounter("updates_total", "updates in them")
	mMirrored   = descCounter("mirrored_updates_total", "updates written to the mirror (live or replayed)")
	mLogged     = descCounter("logged_updates_total", "updates recorded while the mirror was being cloned")
	mFixed      = descCounter("mirror_fixed_total", "mirror updates sent again as their intent (INSERT as MODIFY, ...)")
	mPacketIns  = descCounter("packet_ins_total", "packet-ins delivered to the controller")
	mPacketDrop = descCounter("packet_ins_dropped_total", "packet-ins not delivered (trunk, no primary)")
	mPacketOuts = descCounter("packet_outs_total", "packet-outs sent")
	mPending    = prometheus.NewDesc("lime_proxy_pending_updates", "recorded updates not yet replayed", []string{"device"}, nil)
	mRepairs    = prometheus.NewDesc("lime_proxy_repairs", "mirror updates waiting for repair", []string{"device"}, nil)
	mMoved      = prometheus.NewDesc("lime_migration_moved_hosts", "hosts on the target", []string{"device"}, nil)
	mStep       = prometheus.NewDesc("lime_migration_step", "1 for the step a device's migration stands at", []string{"device", "step", "failed"}, nil)
	mLatency    = prometheus.NewDesc("lime_proxy_write_latency_seconds", "how long the proxy took to answer a controller's Write, waits for earlier writes included", []string{"device"}, nil)
	mLag        = prometheus.NewDesc("lime_proxy_mirror_lag_updates", "updates the live mirror has not applied yet (it may trail before any host moved to it)", []string{"device"}, nil)
	mLagSeconds = prometheus.NewDesc("lime_proxy_mirror_lag_seconds", "how long ago the authoritative device applied the oldest update the mirror has not", []string{"device"}, nil)
)

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{mWrites, mUpdates, mMirrored, mLogged, mFixed, mPacketIns, mPacketDrop, mPacketOuts, mPending, mRepairs, mMoved, mStep, mLatency, mLag, mLagSeconds} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	for _, st := range c.s.Status() {
		dev := strconv.FormatUint(st.Device, 10)
		counter := func(d *prometheus.Desc, v int64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), dev)
		}
		gauge := func(d *prometheus.Desc, v int) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), dev)
		}
		x := st.Stats
		counter(mWrites, x.Writes)
		counter(mUpdates, x.Updates)
		counter(mMirrored, x.Mirrored)
		counter(mLogged, x.Logged)
		counter(mFixed, x.Fixed)
		counter(mPacketIns, x.PacketIns)
		counter(mPacketDrop, x.PacketInsDropped)
		counter(mPacketOuts, x.PacketOuts)
		gauge(mPending, x.Pending)
		gauge(mRepairs, x.Repairs)
		gauge(mMoved, len(st.Moved))
		gauge(mLag, x.MirrorLag)
		ch <- prometheus.MustNewConstMetric(mLagSeconds, prometheus.GaugeValue, x.MirrorLagSeconds, dev)
		if m := st.Migration; m != nil {
			ch <- prometheus.MustNewConstMetric(mStep, prometheus.GaugeValue, 1, dev, m.State.Step.String(), strconv.FormatBool(m.State.Failed != ""))
		}
	}
	for _, d := range c.s.proxy.Devices() {
		l := d.WriteLatency()
		ch <- prometheus.MustNewConstHistogram(mLatency, l.Count, l.Sum.Seconds(), l.Buckets, strconv.FormatUint(d.ID(), 10))
	}
}
