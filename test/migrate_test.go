//go:build linux

package test

import (
	"context"
	"strings"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/internal/fwdemo"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/test/lab"
)

// The live migration on real bmv2: a controller, connected to lime proxy,
// programs the stateful firewall on s1 and traffic opens flows (register
// bits, over Thrift only on bmv2); lime migrate moves it onto s2 (its own
// pipeline, ports renumbered, registers over --from/--to-thrift); the
// hosts then use s2, where the flows opened on s1 still pass, and the
// controller reads through the proxy what it wrote, pipeline and cookie
// included. Runs wherever simple_switch_grpc is on PATH or a Docker engine
// answers, as root; skips elsewhere, saying what it looked for.
func TestRealBMv2MigrateFirewall(t *testing.T) {
	migrateFirewall(t, lab.RealBMv2(t))
}

// The same scenario, in CI, on the simulator.
func TestSimMigrateFirewall(t *testing.T) {
	for _, links := range []lab.Links{lab.Memory, lab.Veth} {
		t.Run(links.String(), func(t *testing.T) { migrateFirewall(t, lab.Sim{Links: links}) })
	}
}

// The same scenario through the real-bmv2 backend with this test binary
// standing in for simple_switch_grpc.
func TestStandInBMv2MigrateFirewall(t *testing.T) {
	migrateFirewall(t, lab.StandInBMv2(t))
}

func migrateFirewall(t *testing.T, b lab.Backend) {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
	defer cancel()
	fx, s1, s2 := startFirewallPair(t, b)

	px := startProxy(t, "--device", "vid=1,addr="+s1.Addr, "--port-field", portField)
	addr, admin, token := px.addr, px.admin, px.token

	// The controller, at the proxy as it would be at s1.
	ctl := lab.NewController(t, &lab.Switch{Name: "lime proxy", Addr: addr, DeviceID: 1, Thrift: s1.Thrift}, fx.Dir, 0x1ee7, rules)
	c := ctl.Client
	ups, err := fwdemo.Entries(ctl.Info, srcPorts)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Write(ctx, ups); err != nil {
		t.Fatalf("writing through the proxy: %v", err)
	}
	newFwNet(t, s1, srcPorts).expect(t, ctx, []probe{
		{"h3", "h1", fwdemo.SYN | fwdemo.ACK, false, "unsolicited, from outside"},
		{"h1", "h3", fwdemo.SYN, true, "h1 opens a flow: sets two register bits"},
		{"h2", "h4", fwdemo.SYN, true, "h2 opens a flow to h4"},
	})

	r := runLime(t, ctx, 0, "migrate", "--admin", admin, "--admin-token-file", token, "--device", "1", "--to-addr", s2.Addr, "--to-device-id", "2",
		"--pipeline", fx.Dir, "--port-map", portMap, "--from-thrift", s1.Thrift, "--to-thrift", s2.Thrift)
	for _, step := range []string{"clone", "verify", "move-host 4", "cut-over"} {
		if !strings.Contains(r.Stderr, step) {
			t.Errorf("lime migrate did not report %q:\n%s", step, r)
		}
	}
	// The hosts are on s2 now (the test moved them: no gNMI here).
	newFwNet(t, s2, dstPorts).expect(t, ctx, []probe{
		{"h3", "h1", fwdemo.ACK, true, "the flow h1 opened on s1: its register bits came along"},
		{"h4", "h2", fwdemo.ACK, true, "the flow h2 opened on s1"},
		{"h4", "h1", fwdemo.SYN, false, "an outsider is still blocked"},
		{"h1", "h4", fwdemo.SYN, true, "a new flow opened on s2"},
	})
	for _, u := range ups {
		got, err := c.ReadAll(ctx, entity.Query(u.Entity))
		if err != nil || len(got) != 1 || !proto.Equal(entity.Config(got[0]), entity.Config(u.Entity)) {
			t.Fatalf("through the proxy after the migration: %v %v, wrote %v", got, err, u.Entity)
		}
	}
	cfg, err := c.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_COOKIE_ONLY)
	if err != nil || cfg.GetCookie().GetCookie() != 0x1ee7 {
		t.Fatalf("cookie through the proxy after the migration: %v %v", cfg.GetCookie(), err)
	}
	r = runLime(t, ctx, 0, "status", "--admin", admin, "--admin-token-file", token)
	if !strings.Contains(r.Stdout, "done (to "+s2.Addr+")") {
		t.Fatalf("lime status:\n%s", r)
	}
}
