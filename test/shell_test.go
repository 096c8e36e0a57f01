//go:build linux

package test

import (
	"context"
	"log/slog"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/internal/fwdemo"
	"github.com/lime-p4/lime/internal/proxytest"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/p4/translate"
	"github.com/lime-p4/lime/pipelines"
	"github.com/lime-p4/lime/test/lab"
)

// Issue 15, point 1, on real bmv2: p4runtime-shell programs a switch
// through lime proxy and leaves; once lime migrate has cut the switch
// over, p4runtime-shell connects again as it always does — election id
// (0,1), no role, VERIFY_AND_COMMIT of the program's files without a
// cookie, GetForwardingPipelineConfig P4INFO_AND_COOKIE — then writes and
// reads. The proxy answers as the switch would: the state is cleared (on
// the new switch), the pipeline reads back without a cookie, the writes
// reach the new switch with its ports and read back as written; VERIFY,
// RECONCILE_AND_COMMIT, VERIFY_AND_SAVE and COMMIT of the program too.
func TestRealBMv2ShellAfterCutOver(t *testing.T) {
	shellAfterCutOver(t, lab.RealBMv2(t))
}

// The same scenario, in CI, on the simulator.
func TestSimShellAfterCutOver(t *testing.T) {
	shellAfterCutOver(t, lab.Sim{Links: lab.Memory})
}

func shellAfterCutOver(t *testing.T, b lab.Backend) {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
	defer cancel()
	fx, s1, s2 := startFirewallPair(t, b)
	px := startProxy(t, "--device", "vid=1,addr="+s1.Addr, "--port-field", portField)
	addr, admin, token := px.addr, px.admin, px.token
	prog, err := pipelines.LoadDir(fx.Dir)
	if err != nil {
		t.Fatal(err)
	}
	in, err := info.New(prog.P4Info, info.WithPortRules(rules))
	if err != nil {
		t.Fatal(err)
	}
	ups, err := fwdemo.Entries(in, srcPorts)
	if err != nil {
		t.Fatal(err)
	}
	// p4runtime-shell, before the migration: through the proxy to s1.
	files := &p4v1.ForwardingPipelineConfig{P4Info: prog.P4Info, P4DeviceConfig: prog.JSON}
	sh := proxytest.NewShell(t, addr, 1)
	sh.MustSet(p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, files)
	sh.Write(ups...)
	sh.Close()
	runLime(t, ctx, 0, "migrate", "--admin", admin, "--admin-token-file", token, "--device", "1", "--to-addr", s2.Addr, "--to-device-id", "2",
		"--pipeline", fx.Dir, "--port-map", portMap, "--from-thrift", s1.Thrift, "--to-thrift", s2.Thrift)

	// p4runtime-shell again, after the cut over.
	sh = proxytest.NewShell(t, addr, 1)
	if got := sh.Read(entity.Query(ups[0].Entity)); len(got) != 1 {
		t.Fatalf("after the migration the shell reads %v, wrote %v", got, ups[0].Entity)
	}
	sh.MustSet(p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, files)
	cfg := sh.Get(p4v1.GetForwardingPipelineConfigRequest_P4INFO_AND_COOKIE)
	if !proto.Equal(cfg.GetP4Info(), prog.P4Info) || cfg.GetCookie() != nil {
		t.Fatalf("after VERIFY_AND_COMMIT without a cookie: cookie %v, P4Info equal %v", cfg.GetCookie(), proto.Equal(cfg.GetP4Info(), prog.P4Info))
	}
	everything := &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{}}}
	if got := sh.Read(everything); len(got) != 0 {
		t.Fatalf("VERIFY_AND_COMMIT kept %d entries (the spec clears the forwarding state)", len(got))
	}
	sh.Write(ups...)
	for _, u := range ups {
		got := sh.Read(entity.Query(u.Entity))
		if len(got) != 1 || !proto.Equal(entity.Config(got[0]), entity.Config(u.Entity)) {
			t.Fatalf("the shell reads %v, wrote %v", got, u.Entity)
		}
	}
	// The other actions of the same program, as the spec has them: VERIFY
	// and RECONCILE_AND_COMMIT keep the state, VERIFY_AND_SAVE then COMMIT
	// start anew; the cookie follows.
	sh.MustSet(p4v1.SetForwardingPipelineConfigRequest_VERIFY, files)
	withCookie := func(c uint64) *p4v1.ForwardingPipelineConfig {
		cfg := proto.Clone(files).(*p4v1.ForwardingPipelineConfig)
		cfg.Cookie = &p4v1.ForwardingPipelineConfig_Cookie{Cookie: c}
		return cfg
	}
	sh.MustSet(p4v1.SetForwardingPipelineConfigRequest_RECONCILE_AND_COMMIT, withCookie(0x5ee1))
	if got := sh.Read(everything); len(got) != len(ups) {
		t.Fatalf("after RECONCILE_AND_COMMIT the shell reads %d entries, wrote %d", len(got), len(ups))
	}
	if ck := sh.Get(p4v1.GetForwardingPipelineConfigRequest_COOKIE_ONLY).GetCookie().GetCookie(); ck != 0x5ee1 {
		t.Fatalf("cookie after RECONCILE_AND_COMMIT: %#x", ck)
	}
	sh.MustSet(p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_SAVE, withCookie(0x5ee2))
	sh.MustSet(p4v1.SetForwardingPipelineConfigRequest_COMMIT, nil)
	if got := sh.Read(everything); len(got) != 0 {
		t.Fatalf("after VERIFY_AND_SAVE and COMMIT the shell reads %d entries", len(got))
	}
	if ck := sh.Get(p4v1.GetForwardingPipelineConfigRequest_COOKIE_ONLY).GetCookie().GetCookie(); ck != 0x5ee2 {
		t.Fatalf("cookie after VERIFY_AND_SAVE and COMMIT: %#x", ck)
	}
	sh.Write(ups...)

	// The new switch holds them with its own ports.
	pm, err := translate.ParsePortMap(portMap)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := translate.New(in, in, translate.WithPorts(pm))
	if err != nil {
		t.Fatal(err)
	}
	direct, err := client.Dial(ctx, s2.Addr, client.DialOptions{DeviceID: s2.DeviceID, Insecure: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	for _, u := range ups {
		want, err := tr.Entity(u.Entity)
		if err != nil {
			t.Fatal(err)
		}
		got, err := direct.ReadAll(ctx, entity.Query(want))
		if err != nil || len(got) != 1 || !proto.Equal(entity.Config(got[0]), entity.Config(want)) {
			t.Fatalf("%s holds %v (%v), want %v", s2.Name, got, err, want)
		}
	}
}
