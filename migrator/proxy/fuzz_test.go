package proxy_test

import (
	"log/slog"
	"testing"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/internal/proxytest"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/proxy"
)

// FuzzProxy: lime proxy, standing for a simulated switch (onos-basic, the
// spec's answers: bmv2's catch-all UNKNOWN would pass through) as device
// 7, answers any Write, Read or stream message decoded from the
// fuzzer's bytes with a spec status code, without crashing, and goes on
// answering: a controller's bad request never takes the proxy down.
func FuzzProxy(f *testing.F) {
	d := simtest.Start(f, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileSpec, DeviceID: 1, Rules: &basicRules})
	p := proxy.New(proxy.Options{Log: slog.New(slog.DiscardHandler)})
	f.Cleanup(p.Close)
	if _, err := p.AddDevice(vid, proxytest.Backend(f, d, "s1", basicRules)); err != nil {
		f.Fatal(err)
	}
	p4test.FuzzP4Runtime(f, proxytest.Serve(f, p), vid, d.Info)
}
