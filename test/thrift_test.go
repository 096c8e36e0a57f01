//go:build linux

package test

import (
	"context"
	"strings"
	"testing"

	"github.com/lime-p4/lime/test/lab"
)

// Issue 15, point 5, on real bmv2: `lime migrate` of the stateful firewall
// (registers) without the switches' Thrift addresses fails at validate,
// before anything is written, and says which flag fixes it: first
// --from-thrift, then, given that, --to-thrift.
func TestRealBMv2MigrateNeedsThrift(t *testing.T) {
	migrateNeedsThrift(t, lab.RealBMv2(t))
}

// The same on the simulator.
func TestSimMigrateNeedsThrift(t *testing.T) {
	migrateNeedsThrift(t, lab.Sim{Links: lab.Memory})
}

func migrateNeedsThrift(t *testing.T, b lab.Backend) {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
	defer cancel()
	fx, s1, s2 := startFirewallPair(t, b)
	px := startProxy(t, "--device", "vid=1,addr="+s1.Addr, "--port-field", portField)
	addr, admin, token := px.addr, px.admin, px.token
	lab.NewController(t, &lab.Switch{Name: "lime proxy", Addr: addr, DeviceID: 1, Thrift: s1.Thrift}, fx.Dir, 0x1ee7, rules)

	migrate := []string{"migrate", "--admin", admin, "--admin-token-file", token, "--device", "1", "--to-addr", s2.Addr, "--to-device-id", "2",
		"--pipeline", fx.Dir, "--port-map", portMap}
	for _, tc := range []struct {
		extra []string
		want  []string
	}{
		{nil, []string{"validate", "the source switch answers UNIMPLEMENTED", "lime abort, then lime migrate again with --from-thrift"}},
		{[]string{"--from-thrift", s1.Thrift}, []string{"pipeline", "the target switch answers UNIMPLEMENTED", "lime abort, then lime migrate again with --to-thrift"}},
	} {
		r := runLime(t, ctx, 1, append(migrate, tc.extra...)...)
		for _, w := range tc.want {
			if !strings.Contains(r.Stderr+r.Stdout, w) {
				t.Errorf("lime migrate %v does not say %q:\n%s", tc.extra, w, r)
			}
		}
		runLime(t, ctx, 0, "abort", "--admin", admin, "--admin-token-file", token, "--device", "1")
	}
}
