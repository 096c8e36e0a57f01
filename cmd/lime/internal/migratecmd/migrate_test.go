package migratecmd_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"github.com/spf13/cobra"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/cmd/lime/internal/abortcmd"
	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/cmd/lime/internal/clitest"
	"github.com/lime-p4/lime/cmd/lime/internal/migratecmd"
	"github.com/lime-p4/lime/cmd/lime/internal/proxycmd"
	"github.com/lime-p4/lime/cmd/lime/internal/statuscmd"
	gnmiclient "github.com/lime-p4/lime/gnmi/client"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/internal/proxytest"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/internal/syncbuf"
	"github.com/lime-p4/lime/migrator/service"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
	"google.golang.org/protobuf/proto"
)

var rules = info.DefaultPortRules.Merge(info.PortRules{Names: []string{"*.set_egress_port/port"}})

// tokenFile holds the admin token of every proxy the tests start; the
// commands they run find it in $LIME_ADMIN_TOKEN.
var tokenFile string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lime-migratecmd-")
	if err != nil {
		panic(err)
	}
	tokenFile = filepath.Join(dir, "admin.token")
	tok, _, err := service.LoadOrCreateToken(tokenFile)
	if err != nil {
		panic(err)
	}
	os.Setenv(cli.TokenEnv, tok)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func exec(t *testing.T, verb func(cli.Deps) *cobra.Command, args ...string) (string, int) {
	t.Helper()
	return clitest.Exec(t, verb, args...)
}

// startProxy runs `lime proxy` until the test ends and returns its
// P4Runtime and admin addresses.
func startProxy(t *testing.T, args ...string) (p4rtAddr, admin string) {
	t.Helper()
	p4rtAddr, admin, _, stop := runProxy(t, filepath.Join(t.TempDir(), "j.db"), args...)
	t.Cleanup(stop)
	return p4rtAddr, admin
}

// runProxy runs `lime proxy` with journal until stop, and returns its
// addresses and what it printed.
func runProxy(t *testing.T, journal string, args ...string) (p4rtAddr, admin string, out *syncbuf.Buffer, stop func()) {
	t.Helper()
	out = &syncbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	p4rtAddr, admin, wait, err := proxycmd.Run(ctx, cli.Deps{Out: out, Err: out, Log: slog.New(slog.DiscardHandler)},
		append([]string{"--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--journal", journal, "--admin-token-file", tokenFile}, args...)...)
	if err != nil {
		cancel()
		t.Fatalf("lime proxy: %v\n%s", err, out.String())
	}
	return p4rtAddr, admin, out, func() {
		cancel()
		if err := wait(); err != nil {
			t.Errorf("lime proxy: %v", err)
		}
	}
}

type world struct {
	src, dst    *simtest.Device
	addr, admin string
}

// newWorld: two simulated switches (the target with no pipeline), lime proxy
// standing for the source as device 7, and a controller connected to it
// that wrote some state.
func newWorld(t *testing.T) *world {
	src := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, DeviceID: 1, Cookie: 5, Rules: &rules,
		Ports: []sim.PortSpec{{Name: "eth1", ID: 1}, {Name: "eth2", ID: 2}, {Name: "trunk", ID: 9}}})
	dst := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, DeviceID: 2, Cookie: 5,
		Ports: []sim.PortSpec{{Name: "eth11", ID: 11}, {Name: "eth12", ID: 12}, {Name: "trunk", ID: 19}}})
	w := &world{src: src, dst: dst}
	// The test devices' own clients hold election id 1:0.
	w.addr, w.admin = startProxy(t, "--device", "vid=7,addr="+src.Addr+",device-id=1,gnmi="+src.Addr, "--port-field", "*.set_egress_port/port", "--election-high", "10")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	c, _ := proxytest.Controller(t, w.addr, 7, 1)
	simtest.Populate(t, ctx, c, src.Info, p4test.NewGen(src.Info, 2).State(10), nil)
	return w
}

func (w *world) migrateArgs(extra ...string) []string {
	return append([]string{"--admin", w.admin, "--device", "7", "--to-addr", w.dst.Addr, "--to-device-id", "2",
		"--port-map", "1=11,2=12,3=13,4=14,5=15,6=16,7=17,8=18,255=255", "--hosts", "1,2", "--trunk", "9=19",
		"--from-gnmi", w.src.Addr, "--to-gnmi", w.dst.Addr}, extra...)
}

// lime proxy + lime migrate, as the README shows them: every step reported,
// exit 0, the controller's state on the target, the source's host ports
// down, lime status saying so.
func TestMigrateCommand(t *testing.T) {
	w := newWorld(t)
	out, code := exec(t, migratecmd.New, w.migrateArgs()...)
	if code != 0 {
		t.Fatalf("lime migrate: exit %d\n%s", code, out)
	}
	for _, step := range []string{"validate", "pipeline", "mirror", "clone", "catch-up", "verify", "move-host 1", "move-host 2", "cut-over"} {
		if !strings.Contains(out, step) {
			t.Errorf("output lacks step %q:\n%s", step, out)
		}
	}
	if w.src.Sim.Port("eth1").Enabled() || !w.dst.Sim.Port("eth11").Enabled() {
		t.Error("host ports were not switched")
	}
	out, code = exec(t, statuscmd.New, "--admin", w.admin, "--json")
	var status struct {
		Devices []service.DeviceStatus `json:"devices"`
	}
	err := json.Unmarshal([]byte(out), &status)
	sts := status.Devices
	if code != 0 || err != nil || len(sts) != 1 || sts[0].Authoritative != w.dst.Addr ||
		sts[0].Migration == nil || sts[0].Migration.State.Step.String() != "done" {
		t.Fatalf("lime status: exit %d\n%s", code, out)
	}
	ctx := context.Background()
	// The proxy's gNMI shows the controller's interfaces, now the target's.
	g, err := gnmiclient.Dial(ctx, w.addr, gnmiclient.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	w.dst.Sim.Port("eth12").SetEnabled(false)
	ifs, err := g.Interfaces(ctx)
	if err != nil || len(ifs) != 2 || ifs[0].Name != "eth1" || !ifs[0].Enabled || ifs[1].Name != "eth2" || ifs[1].Enabled {
		t.Fatalf("the proxy's interfaces after the migration: %+v %v", ifs, err)
	}
	n := 0
	for e, err := range w.dst.Client.Read(ctx, &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{}}}) {
		if err != nil {
			t.Fatal(err)
		}
		if !e.GetTableEntry().GetIsDefaultAction() {
			n++
		}
	}
	if n == 0 {
		t.Fatal("the target holds no table entry")
	}
	if out, code := exec(t, migratecmd.New, w.migrateArgs()...); code != 2 || !strings.Contains(out, "was migrated onto") {
		t.Fatalf("a second migration of a migrated device: exit %d: %s", code, out)
	}
}

// A migration refused at validation (the target holds state) exits 1 and
// says why; lime abort then undoes it and exits 0.
func TestMigrateFailsThenAbort(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	e := p4test.NewGen(w.dst.Info, 3).TableEntry(w.dst.Info.TableByName("ingress.table0_control.table0"), nil, nil)
	if err := w.dst.Client.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: e}}); err != nil {
		t.Fatal(err)
	}
	out, code := exec(t, migratecmd.New, w.migrateArgs()...)
	if code != 1 || !strings.Contains(out, "holds 1 table entries") {
		t.Fatalf("lime migrate onto a target holding state: exit %d\n%s", code, out)
	}
	out, code = exec(t, abortcmd.New, "--admin", w.admin, "--device", "7")
	if code != 0 {
		t.Fatalf("lime abort: exit %d\n%s", code, out)
	}
	got, err := w.dst.Client.ReadAll(ctx, entity.Query(e))
	if err != nil || len(got) != 1 {
		t.Fatalf("aborting before anything was written touched the target: %v %v", got, err)
	}
	if _, code := exec(t, migratecmd.New, "--admin", w.admin); code != 2 {
		t.Fatalf("lime migrate without --device: exit %d", code)
	}
}

// A proxy that restarts after a cut over stands for the device on its new
// switch (from the journal), though --device still names the old one: the
// controller reads what it wrote, with its pipeline and cookie, and
// counters that did not go back.
func TestProxyRestartAfterCutOver(t *testing.T) {
	src := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, DeviceID: 1, Cookie: 5, Rules: &rules,
		Ports: []sim.PortSpec{{Name: "eth1", ID: 1}, {Name: "eth2", ID: 2}}})
	dst := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, DeviceID: 2, Cookie: 5,
		Ports: []sim.PortSpec{{Name: "eth11", ID: 11}, {Name: "eth12", ID: 12}}})
	journal := filepath.Join(t.TempDir(), "j.db")
	device := []string{"--device", "vid=7,addr=" + src.Addr + ",device-id=1,gnmi=" + src.Addr, "--port-field", "*.set_egress_port/port", "--election-high", "10"}
	addr, admin, _, stop := runProxy(t, journal, device...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	read := func(addr string) ([]*p4v1.Entity, *p4v1.ForwardingPipelineConfig) {
		c, err := client.Dial(ctx, addr, client.DialOptions{DeviceID: 7, Insecure: true, ElectionID: &client.ElectionID{Low: 1}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		all, err := c.ReadAll(ctx, &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{
			TableId: src.Info.TableByName("ingress.table0_control.table0").ID, CounterData: &p4v1.CounterData{}}}})
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := c.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_P4INFO_AND_COOKIE)
		if err != nil {
			t.Fatal(err)
		}
		return all, cfg
	}
	c, err := client.Dial(ctx, addr, client.DialOptions{DeviceID: 7, Insecure: true, ElectionID: &client.ElectionID{Low: 1}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Arbitrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	simtest.Populate(t, ctx, c, src.Info, p4test.NewGen(src.Info, 8).State(10), nil)
	s.Close()
	c.Close()
	out, code := exec(t, migratecmd.New, "--admin", admin, "--device", "7", "--to-addr", dst.Addr, "--to-device-id", "2",
		"--port-map", "1=11,2=12,3=13,4=14,5=15,6=16,7=17,8=18,255=255", "--hosts", "1,2", "--to-gnmi", dst.Addr)
	if code != 0 {
		t.Fatalf("lime migrate: exit %d\n%s", code, out)
	}
	before, _ := read(addr)
	stop()

	addr, _, printed, stop := runProxy(t, journal, device...)
	defer stop()
	if !strings.Contains(printed.String(), "device 7 -> "+dst.Addr+" (migrated onto it before") {
		t.Fatalf("the restarted proxy stands for:\n%s", printed.String())
	}
	after, cfg := read(addr)
	if cfg.GetCookie().GetCookie() != 5 || !proto.Equal(cfg.GetP4Info(), src.Info.Proto) {
		t.Fatalf("pipeline after the restart: cookie %v", cfg.GetCookie())
	}
	if len(after) != len(before) || len(after) == 0 {
		t.Fatalf("%d entries after the restart, %d before", len(after), len(before))
	}
	for i := range after {
		if !proto.Equal(entity.Config(after[i]), entity.Config(before[i])) {
			t.Fatalf("entry %d after the restart %v, before %v", i, after[i], before[i])
		}
		if a, b := after[i].GetTableEntry().GetCounterData(), before[i].GetTableEntry().GetCounterData(); a.GetPacketCount() < b.GetPacketCount() {
			t.Fatalf("entry %d: counter went back from %v to %v", i, b, a)
		}
	}
}
