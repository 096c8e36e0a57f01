package proxy_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/internal/proxytest"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/p4/translate"
)

type setAction = p4v1.SetForwardingPipelineConfigRequest_Action

const (
	verify       = p4v1.SetForwardingPipelineConfigRequest_VERIFY
	verifySave   = p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_SAVE
	verifyCommit = p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT
	commit       = p4v1.SetForwardingPipelineConfigRequest_COMMIT
	reconcile    = p4v1.SetForwardingPipelineConfigRequest_RECONCILE_AND_COMMIT
)

// tableOf is a wildcard read of one table.
func tableOf(in *info.Info, name string) *p4v1.Entity {
	return tableEntity(&p4v1.TableEntry{TableId: in.TableByName(name).ID})
}

// program is a fixture's pipeline as a controller pushes it from its files,
// without a cookie unless one is given.
func program(t *testing.T, name string, cookie uint64) *p4v1.ForwardingPipelineConfig {
	cfg := p4test.Config(t, fixtures.Get(t, name), cookie)
	if cookie == 0 {
		cfg.Cookie = nil
	}
	return cfg
}

// memCutOvers keeps the last CutOverState of each device, as a journal does.
type memCutOvers struct {
	mu sync.Mutex
	m  map[uint64][]byte
}

func (j *memCutOvers) SaveCutOver(device uint64, v any) error {
	b, err := json.Marshal(v)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.m == nil {
		j.m = map[uint64][]byte{}
	}
	j.m[device] = b
	return err
}

func (j *memCutOvers) state(t *testing.T, device uint64) proxy.CutOverState {
	t.Helper()
	j.mu.Lock()
	defer j.mu.Unlock()
	var st proxy.CutOverState
	if err := json.Unmarshal(j.m[device], &st); err != nil {
		t.Fatalf("journalled cut over of device %d: %v", device, err)
	}
	return st
}

// Issue 15, point 1 (P4Runtime spec section "SetForwardingPipelineConfig
// RPC"): after a cut over, p4runtime-shell connects as it always does —
// election id (0,1), no role, VERIFY_AND_COMMIT of the program's files
// without a cookie, GetForwardingPipelineConfig P4INFO_AND_COOKIE — then
// writes and reads. The proxy answers as the switch would: the push clears
// the state (on the target, with the target's own compilation), the
// pipeline reads back without a cookie, writes reach the target with ports
// mapped and read back as written. Every action of the same program does
// what the spec says; another program goes to the target as it would to
// the switch, ports still mapped, and a journal keeps it: a restarted proxy
// stands for the target with it.
//
// The switches answer as the spec says (profile spec): bmv2 cannot
// RECONCILE_AND_COMMIT onos-basic (it does not replay indirect counters:
// UNKNOWN); test/shell_test.go runs the session on real bmv2 with a
// program it can.
func TestShellSessionAfterCutOver(t *testing.T) {
	j := &memCutOvers{}
	r, c := liveRig(t, rigOptions{profile: p4rt.ProfileSpec, opts: proxy.Options{CutOvers: j}}, false)
	ctx := testCtx(t)
	in := r.src.Info
	g := p4test.NewGen(in, 15)
	before := portTernary(in, g, 3, 0x1ff)
	if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: before}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.dev.CutOver(ctx, nil); err != nil {
		t.Fatal(err)
	}
	c.Close() // the controller leaves; the shell comes

	sh := proxytest.NewShell(t, r.addr, vid)
	prog := program(t, "onos-basic", 0)
	sh.MustSet(verifyCommit, prog)
	cfg := sh.Get(p4v1.GetForwardingPipelineConfigRequest_P4INFO_AND_COOKIE)
	if !proto.Equal(cfg.GetP4Info(), prog.GetP4Info()) || cfg.GetCookie() != nil {
		t.Fatalf("after VERIFY_AND_COMMIT without a cookie: cookie %v, P4Info equal %v", cfg.GetCookie(), proto.Equal(cfg.GetP4Info(), prog.GetP4Info()))
	}
	targetTable := tableOf(r.dst.Info, table0)
	if got := sh.Read(tableOf(in, table0)); len(got) != 0 {
		t.Fatalf("VERIFY_AND_COMMIT kept %d entries (the spec clears the forwarding state)", len(got))
	}
	if got, err := r.dst.Client.ReadAll(ctx, targetTable); err != nil || len(got) != 0 {
		t.Fatalf("the target holds %v (%v) after VERIFY_AND_COMMIT", got, err)
	}
	e := portTernary(in, g, 3, 0x1ff)
	sh.Write(&p4v1.Update{Type: p4v1.Update_INSERT, Entity: e})
	held := func() []*p4v1.Entity {
		t.Helper()
		got, err := r.dst.Client.ReadAll(ctx, targetTable)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := held(); len(got) != 1 || !canonEq(got[0].GetTableEntry().Match[0].GetTernary().GetValue(), 13) {
		t.Fatalf("the target holds %v, want ingress port 13 (3 mapped)", got)
	}
	readsBack := func(want ...*p4v1.Entity) {
		t.Helper()
		got := sh.Read(tableOf(in, table0))
		if len(got) != len(want) {
			t.Fatalf("the shell reads %d entries, want %d", len(got), len(want))
		}
		for i := range want {
			if !proto.Equal(entity.Config(got[i]), entity.Config(want[i])) {
				t.Fatalf("the shell reads %v, wrote %v", got[i], want[i])
			}
		}
	}
	readsBack(e)

	// VERIFY and RECONCILE_AND_COMMIT keep the state; the cookie follows.
	sh.MustSet(verify, prog)
	readsBack(e)
	sh.MustSet(reconcile, program(t, "onos-basic", 0x5ee1))
	readsBack(e)
	if ck := sh.Get(p4v1.GetForwardingPipelineConfigRequest_COOKIE_ONLY).GetCookie().GetCookie(); ck != 0x5ee1 {
		t.Fatalf("cookie after RECONCILE_AND_COMMIT: %#x", ck)
	}
	// VERIFY_AND_SAVE, then COMMIT: a new forwarding state.
	sh.MustSet(verifySave, program(t, "onos-basic", 0x5ee2))
	sh.MustSet(commit, nil)
	readsBack()
	if ck := sh.Get(p4v1.GetForwardingPipelineConfigRequest_COOKIE_ONLY).GetCookie().GetCookie(); ck != 0x5ee2 {
		t.Fatalf("cookie after VERIFY_AND_SAVE and COMMIT: %#x", ck)
	}
	kept := &p4v1.ForwardingPipelineConfig{}
	if err := proto.Unmarshal(j.state(t, vid).Pipeline, kept); err != nil || kept.GetCookie().GetCookie() != 0x5ee2 || !proto.Equal(kept.GetP4Info(), prog.GetP4Info()) {
		t.Fatalf("journalled pipeline: cookie %v (%v)", kept.GetCookie(), err)
	}

	// Another program: the target's ids differ from the controller's, so
	// it cannot reconcile its state with it; VERIFY and VERIFY_AND_COMMIT
	// go to the target, and ports keep being mapped.
	fw := program(t, "registers-firewall", 0xf1)
	if err := sh.Set(reconcile, fw); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "VERIFY_AND_COMMIT") {
		t.Fatalf("RECONCILE_AND_COMMIT of another program onto a renumbered target: %v", err)
	}
	sh.MustSet(verify, fw)
	sh.MustSet(verifyCommit, fw)
	if all := sh.Get(p4v1.GetForwardingPipelineConfigRequest_ALL); !proto.Equal(all.GetP4Info(), fw.GetP4Info()) ||
		!bytes.Equal(all.GetP4DeviceConfig(), fw.GetP4DeviceConfig()) || all.GetCookie().GetCookie() != 0xf1 {
		t.Fatalf("pipeline after pushing another program: cookie %v", all.GetCookie())
	}
	fwInfo := p4test.Index(t, fw.GetP4Info())
	fe := p4test.NewGen(fwInfo, 3).TableEntry(fwInfo.TableByName("MyIngress.check_ports"), nil, nil)
	sh.Write(&p4v1.Update{Type: p4v1.Update_INSERT, Entity: fe})
	tr, err := translate.New(fwInfo, fwInfo, translate.WithPorts(simtest.ShiftedPorts()))
	if err != nil {
		t.Fatal(err)
	}
	want := mustTranslateWith(t, tr, fe)
	if got, err := r.dst.Client.ReadAll(ctx, entity.Query(want)); err != nil || len(got) != 1 || !proto.Equal(entity.Config(got[0]), entity.Config(want)) {
		t.Fatalf("the target holds %v (%v), want %v (ports mapped)", got, err, want)
	}
	if got := sh.Read(entity.Query(fe)); len(got) != 1 || !proto.Equal(entity.Config(got[0]), entity.Config(fe)) {
		t.Fatalf("the shell reads %v, wrote %v", got, fe)
	}

	// The journal keeps the new program: a restarted proxy stands for the
	// target with it.
	st := j.state(t, vid)
	if st.PortMap != simtest.ShiftedPorts().String() || len(st.Offsets) != 0 {
		t.Fatalf("journalled: port map %q, %d offsets", st.PortMap, len(st.Offsets))
	}
	r.p.Close()
	r.dstB.Close()
	tb := proxytest.Backend(t, r.dst, "s2", info.DefaultPortRules)
	p2 := proxy.New(proxy.Options{Log: slog.New(slog.DiscardHandler)})
	if _, err := p2.AddMigratedDevice(ctx, vid, tb, st); err != nil {
		t.Fatal(err)
	}
	c2, _ := proxytest.Controller(t, proxytest.Serve(t, p2), vid, 1)
	if got, err := c2.ReadAll(ctx, entity.Query(fe)); err != nil || len(got) != 1 || !proto.Equal(entity.Config(got[0]), entity.Config(fe)) {
		t.Fatalf("after a restart the controller reads %v (%v), wrote %v", got, err, fe)
	}
	if ck, err := c2.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_COOKIE_ONLY); err != nil || ck.GetCookie().GetCookie() != 0xf1 {
		t.Fatalf("after a restart the cookie is %v (%v)", ck.GetCookie(), err)
	}
}

func canonEq(b []byte, v byte) bool {
	return len(bytes.TrimLeft(b, "\x00")) == 1 && bytes.TrimLeft(b, "\x00")[0] == v
}

// lockedBuffer is a log sink for the proxy's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Issue 15, point 1, during a migration (DESIGN.md step 4, a live mirror):
// VERIFY, and RECONCILE_AND_COMMIT of the running program (whose cookie
// the cut over then keeps), pass to the source; a push that would clear
// the source or change its program under the migration is refused with
// FAILED_PRECONDITION saying what is going on and what to do, logged, and
// nothing changes on either switch. After the cut over the same push is
// accepted.
//
// The switches answer as the spec says (profile spec), as in
// TestShellSessionAfterCutOver.
func TestPipelinePushDuringMigration(t *testing.T) {
	logs := &lockedBuffer{}
	r, c := liveRig(t, rigOptions{profile: p4rt.ProfileSpec, opts: proxy.Options{Log: slog.New(slog.NewTextHandler(logs, nil))}}, false)
	ctx := testCtx(t)
	in := r.src.Info
	e := portTernary(in, p4test.NewGen(in, 4), 3, 0x1ff)
	if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: e}}); err != nil {
		t.Fatal(err)
	}
	bothHold := func() {
		t.Helper()
		if got, err := r.src.Client.ReadAll(ctx, entity.Query(e)); err != nil || len(got) != 1 {
			t.Fatalf("the source holds %v (%v)", got, err)
		}
		if got, err := r.dst.Client.ReadAll(ctx, entity.Query(mustTranslate(t, r, e))); err != nil || len(got) != 1 {
			t.Fatalf("the target holds %v (%v)", got, err)
		}
	}
	prog := program(t, "onos-basic", 0)
	if err := c.SetPipelineConfig(ctx, verify, prog); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		a    setAction
		cfg  *p4v1.ForwardingPipelineConfig
		says string
	}{
		{verifyCommit, prog, "VERIFY_AND_COMMIT clears the forwarding state of s1"},
		{verifySave, prog, "VERIFY_AND_SAVE"},
		{commit, nil, "COMMIT"},
		{verifyCommit, program(t, "registers-firewall", 0), "another program"},
	} {
		err := c.SetPipelineConfig(ctx, tc.a, tc.cfg)
		if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), tc.says) ||
			!strings.Contains(err.Error(), "migrated onto s2") || !strings.Contains(err.Error(), "lime abort") {
			t.Fatalf("%s during a migration: %v", tc.a, err)
		}
		bothHold()
	}
	if n := strings.Count(logs.String(), "pipeline push refused during a migration"); n != 4 {
		t.Fatalf("%d refusals logged, want 4:\n%s", n, logs.String())
	}
	if err := c.SetPipelineConfig(ctx, reconcile, program(t, "onos-basic", 0xbeef)); err != nil {
		t.Fatal(err)
	}
	bothHold()
	if _, err := r.dev.CutOver(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if ck, err := c.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_COOKIE_ONLY); err != nil || ck.GetCookie().GetCookie() != 0xbeef {
		t.Fatalf("cookie after the cut over: %v (%v)", ck.GetCookie(), err)
	}
	if err := c.SetPipelineConfig(ctx, verifyCommit, prog); err != nil {
		t.Fatalf("VERIFY_AND_COMMIT of the same program after the cut over: %v", err)
	}
}
