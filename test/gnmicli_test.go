//go:build linux

package test

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/test/lab"
)

// Issue 15 (done when): openconfig's own gnmi_cli, built from the module
// proxy at lab.GNMICLIVersion, against `lime sim` and through `lime proxy`
// standing for it (the proxy serves gNMI on its P4Runtime address, as a
// Stratum switch does), with and without naming the proxy's device as the
// target: Capabilities; -q subscriptions (ONCE), whose paths gnmi_cli
// sends in both elem and the deprecated element; Get and Set
// whose prefix and paths carry both forms; and a STREAM subscription (as
// ONOS subscribes) that sees the Set's change. A port enabled with no link
// reads DOWN, as on Stratum.
func TestGNMICLI(t *testing.T) {
	cli := lab.BuildGNMICLI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	fx := fixtures.Get(t, "onos-basic")
	_, m := limeTool(t).Start(t, regexp.MustCompile(`(?m)^s1\s+1\s+(\S+)`),
		"sim", "--devices", "1", "--base-port", "0", "--ports", "2", "--pipeline", fx.Dir)
	sim := m[1]
	_, m = limeTool(t).Start(t, regexp.MustCompile(`P4Runtime on (\S+), admin API on (\S+)`),
		"proxy", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--journal", filepath.Join(t.TempDir(), "journal.db"),
		"--device", "vid=1,addr="+sim+",gnmi="+sim)
	proxy := m[1]

	for _, tc := range []struct {
		name, addr, target string
	}{
		{"lime sim", sim, ""},
		{"lime proxy", proxy, ""},
		{"lime proxy, target 1", proxy, "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := []string{"-a", tc.addr}
			if tc.target != "" {
				at = append(at, "-t", tc.target)
			}
			run := func(args ...string) string {
				t.Helper()
				out, err := cli.Run(ctx, append(at, args...)...)
				if err != nil {
					t.Fatal(err)
				}
				return out
			}
			expect := func(out string, want ...string) {
				t.Helper()
				for _, w := range want {
					if !strings.Contains(out, w) {
						t.Errorf("gnmi_cli printed\n%s\nwithout %q", out, w)
					}
				}
			}
			// A -proto request's prefix, in both forms, with the target.
			prefix := `prefix: {elem: {name: "interfaces"} element: "interfaces"`
			if tc.target != "" {
				prefix += fmt.Sprintf(" target: %q", tc.target)
			}
			prefix += "}"
			iface := func(name string, rel ...string) string {
				s := fmt.Sprintf(`elem: {name: "interface" key: {key: "name" value: %q}}`, name)
				el := fmt.Sprintf(`element: "interface[name=%s]"`, name)
				for _, r := range rel {
					s += fmt.Sprintf(` elem: {name: %q}`, r)
					el += fmt.Sprintf(` element: %q`, r)
				}
				return "{" + s + " " + el + "}"
			}
			setEnabled := func(name string, on bool) {
				t.Helper()
				out := run("-set", "-proto", fmt.Sprintf(`%s update: {path: %s val: {bool_val: %v}}`, prefix, iface(name, "config", "enabled"), on))
				expect(out, "op: UPDATE")
			}

			expect(run("-capabilities"), `name: "openconfig-interfaces"`, `name: "openconfig-p4rt"`)
			expect(run("-q", "/interfaces/interface[name=eth1]/state/id", "-qt", "o", "-dt", "s"), "eth1/state/id, 1")
			expect(run("-q", "/interfaces/interface[name=*]/state/oper-status", "-qt", "o", "-dt", "s"),
				"eth1/state/oper-status, DOWN", "eth2/state/oper-status, DOWN")
			expect(run("-get", "-proto", fmt.Sprintf(`%s path: %s encoding: PROTO`, prefix, iface("eth1", "state", "id"))), "uint_val: 1")

			// STREAM, then a Set it sees; the port is enabled again after.
			s := cli.Stream(t, append(at, "-q", "/interfaces/interface[name=eth2]/state/admin-status", "-qt", "s", "-dt", "s", "-sd", "60s")...)
			if !s.WaitFor("eth2/state/admin-status, UP", 10*time.Second) {
				t.Fatalf("the STREAM subscription printed no initial value:\n%s", s.Output())
			}
			setEnabled("eth2", false)
			if !s.WaitFor("eth2/state/admin-status, DOWN", 10*time.Second) {
				t.Errorf("the STREAM subscription did not see eth2 disabled:\n%s", s.Output())
			}
			expect(run("-get", "-proto", fmt.Sprintf(`%s path: %s encoding: PROTO`, prefix, iface("eth2", "config", "enabled"))), "bool_val: false")
			setEnabled("eth2", true)
			expect(run("-q", "/interfaces/interface[name=eth2]/config/enabled", "-qt", "o", "-dt", "s"), "eth2/config/enabled, true")
		})
	}
}
