package service_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/migrate"
	"github.com/lime-p4/lime/migrator/plan"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/migrator/service"
)

// firewallPair starts two bmv2-profile switches running registers-firewall
// (registers; bmv2 answers UNIMPLEMENTED to them over P4Runtime), each
// with its Thrift API (with no pipeline on the target when bare).
func firewallPair(t *testing.T, bare bool) (src, dst *simtest.Device) {
	t.Helper()
	ports := func(base int) []sim.PortSpec {
		var ps []sim.PortSpec
		for i := 1; i <= 4; i++ {
			ps = append(ps, sim.PortSpec{Name: "eth" + strconv.Itoa(base+i), ID: uint32(i)})
		}
		return ps
	}
	src = simtest.Start(t, simtest.Options{Pipeline: "registers-firewall", Profile: p4rt.ProfileBMv2, DeviceID: 1, Rules: &rules, Ports: ports(0)})
	pipeline := "registers-firewall"
	if bare {
		pipeline = ""
	}
	dst = simtest.Start(t, simtest.Options{Pipeline: pipeline, Profile: p4rt.ProfileBMv2, DeviceID: 2, Rules: &rules, Ports: ports(4)})
	return src, dst
}

// Issue 15, point 5: a migration on bmv2 without the switches' Thrift
// addresses stops at validate (or, for a target that gets its pipeline
// from the migration, right after it), before any state is written, with
// an error that names the flag (lime migrate) or field (the admin API)
// that gives the missing one; with both it migrates.
func TestRegistersNeedThrift(t *testing.T) {
	for _, tc := range []struct {
		name           string
		source, target bool // Thrift given
		pipeline       bool // the target gets its pipeline (at the pipeline step)
		step           migrate.Step
		want           []string
	}{
		{"no Thrift", false, false, false, migrate.Validate, []string{"source switch answers UNIMPLEMENTED", "--from-thrift", "source_thrift"}},
		{"no target Thrift", true, false, false, migrate.Validate, []string{"target switch answers UNIMPLEMENTED", "--to-thrift", "target.thrift"}},
		{"no target Thrift, its pipeline given", true, false, true, migrate.Pipeline, []string{"target switch answers UNIMPLEMENTED", "--to-thrift", "target.thrift"}},
		{"both", true, true, false, migrate.Done, nil},
		{"both, the target's pipeline given", true, true, true, migrate.Done, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, dst := firewallPair(t, tc.pipeline)
			spec := service.Spec{Device: 7, Target: service.Endpoint{Addr: dst.Addr, DeviceID: 2}, PortMap: "1=1,2=2,3=3,4=4,255=255", Hosts: []uint64{1, 2, 3, 4}}
			if tc.source {
				spec.SourceThrift = src.Thrift
			}
			if tc.target {
				spec.Target.Thrift = dst.Thrift
			}
			if tc.pipeline {
				fx := fixtures.Get(t, "registers-firewall")
				spec.Pipeline = &service.Pipeline{P4Info: read(t, fx.P4Info), DeviceConfig: read(t, fx.JSON)}
			}
			s := service.New(standFor(t, src), service.Options{ElectionID: eid, Rules: rules})
			defer s.Close()
			if err := s.Migrate(testCtx(t), spec); err != nil {
				t.Fatal(err)
			}
			st := waitDone(t, s).Migration.State
			if tc.want == nil {
				if st.Step != tc.step || st.Failed != "" {
					t.Fatalf("with both Thrift addresses: %+v", st)
				}
				return
			}
			if st.Step != tc.step {
				t.Errorf("failed at %v, want %v (before any state is written)", st.Step, tc.step)
			}
			for _, w := range tc.want {
				if !strings.Contains(st.Failed, w) {
					t.Errorf("%q does not say %q", st.Failed, w)
				}
			}
		})
	}
}

func read(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The same in a plan: the error names the plan's field.
func TestPlanRegistersNeedThrift(t *testing.T) {
	src, dst := firewallPair(t, false)
	p := standFor(t, src)
	pl := &plan.Plan{File: "plan.yaml", Devices: []plan.Device{{VID: 7, To: plan.Endpoint{Addr: dst.Addr, DeviceID: 2},
		Ports: map[uint64]uint64{1: 1, 2: 2, 3: 3}, Hosts: []uint64{1, 2, 3}, Trunk: &proxy.Trunk{Source: 4, Target: 4}}},
		Groups: []plan.Group{{{Device: 7, Port: 1}, {Device: 7, Port: 2}, {Device: 7, Port: 3}}}}
	if err := pl.Validate(); err != nil {
		t.Fatal(err)
	}
	s := service.New(p, service.Options{ElectionID: eid, Rules: rules})
	defer s.Close()
	if err := s.MigratePlan(testCtx(t), pl); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		st := s.PlanStatus()
		var failed []string
		for _, h := range st.History {
			if h.Error != "" {
				failed = append(failed, h.Error)
			}
		}
		if len(failed) > 0 {
			if msg := failed[0]; !strings.Contains(msg, "source switch answers UNIMPLEMENTED") || !strings.Contains(msg, "device 7 of the plan: from: {thrift: HOST:PORT}; lime abort --plan") {
				t.Errorf("the plan's failure %q does not name the plan's from.thrift", msg)
			}
			return
		}
		if !st.Active || time.Now().After(deadline) {
			t.Fatalf("the plan did not fail on registers: %+v", st)
		}
	}
}
