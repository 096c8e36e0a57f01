package service_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/internal/proxytest"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/service"
)

// Issue 14: /metrics shows what an operator watches: the controllers'
// write latency as a histogram, and how far the mirror trails the
// authoritative device (updates and seconds).
func TestMetricsShowWriteLatencyAndMirrorLag(t *testing.T) {
	src := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, DeviceID: 1, Rules: &rules})
	p := standFor(t, src)
	s := service.New(p, service.Options{ElectionID: eid, Rules: rules})
	defer s.Close()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	ctx := testCtx(t)
	c, _ := proxytest.Controller(t, proxytest.Serve(t, p), 7, 1)
	g := p4test.NewGen(src.Info, 3)
	tb := src.Info.TableByName("ingress.table0_control.table0")
	for range 3 {
		if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: g.TableEntry(tb, nil, nil)}}); err != nil {
			t.Fatal(err)
		}
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# TYPE lime_proxy_write_latency_seconds histogram",
		`lime_proxy_write_latency_seconds_count{device="7"} 3`,
		`lime_proxy_write_latency_seconds_bucket{device="7",le="+Inf"} 3`,
		`lime_proxy_write_latency_seconds_bucket{device="7",le="10"} 3`,
		`lime_proxy_mirror_lag_updates{device="7"} 0`,
		`lime_proxy_mirror_lag_seconds{device="7"} 0`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
}
