package service_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/plan"
	"github.com/lime-p4/lime/migrator/service"
)

// adminRoutes are what FuzzAdminAPI sends its bodies to.
var adminRoutes = []struct{ method, path string }{
	{http.MethodPost, "/v1/migrate"},
	{http.MethodPost, "/v1/plan"},
	{http.MethodPost, "/v1/devices/7/abort"},
	{http.MethodPost, "/v1/devices/7/retry"},
	{http.MethodPost, "/v1/plan/abort"},
	{http.MethodPost, "/v1/plan/retry"},
	{http.MethodGet, "/v1/status"},
	{http.MethodGet, "/v1/plan"},
}

// FuzzAdminAPI: the admin API answers any JSON body (a migration spec, a
// plan, or anything) on any of its routes with a 2xx or 4xx status and a
// JSON body, never a 5xx, and goes on answering. Bodies that name an
// address (HOST:PORT) are left out: the service would dial it, which
// tests what a switch answers, not the API (and no test reaches beyond
// loopback).
func FuzzAdminAPI(f *testing.F) {
	src := simtest.Start(f, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, DeviceID: 1, Rules: &rules})
	s := service.New(standFor(f, src), service.Options{ElectionID: eid, Rules: rules})
	f.Cleanup(s.Close)
	srv := httptest.NewServer(s.Handler())
	f.Cleanup(srv.Close)
	spec, _ := json.Marshal(service.Spec{Device: 7, Target: service.Endpoint{DeviceID: 2}, PortMap: "1=11,2=12,255=255", Hosts: []uint64{1, 2}})
	f.Add(byte(0), spec)
	f.Add(byte(0), []byte(`{"device": 7}`))
	if b, err := os.ReadFile("../../examples/network/plan.yaml"); err == nil {
		if p, err := plan.Parse(b, "plan.yaml"); err == nil {
			pj, _ := json.Marshal(p)
			f.Add(byte(1), pj)
		}
	}
	for i := range adminRoutes {
		f.Add(byte(i), []byte(`{}`))
	}
	f.Fuzz(func(t *testing.T, route byte, body []byte) {
		if namesAnAddress(body) {
			return
		}
		r := adminRoutes[int(route)%len(adminRoutes)]
		req, err := http.NewRequest(r.method, srv.URL+r.path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out any
		derr := json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode >= 500 || derr != nil {
			t.Fatalf("%s %s %q: %s (body: %v)", r.method, r.path, body, resp.Status, derr)
		}
		if _, err := (&service.Client{Addr: srv.URL}).Status(t.Context()); err != nil {
			t.Fatalf("the admin API no longer answers: %v", err)
		}
	})
}

// namesAnAddress reports whether a JSON body holds a string that is a
// HOST:PORT address.
func namesAnAddress(body []byte) bool {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case string:
			_, _, err := net.SplitHostPort(x)
			return err == nil
		case []any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		case map[string]any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}
