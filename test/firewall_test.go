//go:build linux

package test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/fwdemo"
	"github.com/lime-p4/lime/migrator/clone"
	"github.com/lime-p4/lime/migrator/diff"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/test/lab"
)

// scenarioTimeout bounds one scenario, switch starts included.
const scenarioTimeout = 5 * time.Minute

// Issue 7, on real bmv2: the stateful firewall (registers decide
// forwarding) cloned between two simple_switch_grpc switches with lime
// clone and checked with lime diff; the copy forwards like the original.
// Runs wherever simple_switch_grpc is on PATH or a Docker engine answers,
// as root (veth pairs); skips elsewhere, saying what it looked for.
func TestRealBMv2CloneFirewall(t *testing.T) {
	cloneFirewall(t, lab.RealBMv2(t))
}

// The same scenario, in CI, on the simulator (bmv2 profile, Thrift served
// by the simulator): hosts on in-memory links, and on veth pairs driven
// with AF_PACKET when root.
func TestSimCloneFirewall(t *testing.T) {
	for _, links := range []lab.Links{lab.Memory, lab.Veth} {
		t.Run(links.String(), func(t *testing.T) { cloneFirewall(t, lab.Sim{Links: links}) })
	}
}

// The same scenario through the real-bmv2 backend (bmv2/launch, the
// command line, Thrift port, -i N@veth), with this test binary standing in
// for simple_switch_grpc.
func TestStandInBMv2CloneFirewall(t *testing.T) {
	cloneFirewall(t, lab.StandInBMv2(t))
}

// cloneFirewall plays fwdemo's scenario on backend b (DESIGN.md, protocol
// steps 2-4, with the hosts then moved to the copy):
//
//  1. s1 (ports 1-4) gets the firewall and its entries from a controller;
//     traffic through it opens flows from inside, which sets bloom-filter
//     register bits (P4Runtime register access is UNIMPLEMENTED on bmv2, so
//     only Thrift sees them).
//  2. lime clone copies s1 onto s2 (ports 11-14, pipeline pushed by lime
//     with s1's cookie), registers over --from-thrift/--to-thrift.
//  3. lime diff finds them equal, volatile values (registers) included.
//  4. On s2 the flows opened on s1 pass and outsiders are still dropped.
//  5. A copy made without Thrift (s3) reports the registers unreadable
//     and drops the established flow: the registers decide forwarding.
func cloneFirewall(t *testing.T, b lab.Backend) {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
	defer cancel()
	fx, s1, s2 := startFirewallPair(t, b)
	ctl := lab.NewController(t, s1, fx.Dir, 0x1ee7, rules)
	ups, err := fwdemo.Entries(ctl.Info, srcPorts)
	if err != nil {
		t.Fatal(err)
	}
	if err := ctl.Client.Write(ctx, ups); err != nil {
		t.Fatalf("controller writing the firewall's entries to s1: %v", err)
	}

	n1 := newFwNet(t, s1, srcPorts)
	n1.expect(t, ctx, []probe{
		{"h3", "h1", fwdemo.SYN | fwdemo.ACK, false, "unsolicited, from outside"},
		{"h1", "h3", fwdemo.SYN, true, "h1 opens a flow: sets two register bits"},
		{"h3", "h1", fwdemo.SYN | fwdemo.ACK, true, "the reply of that flow"},
		{"h4", "h1", fwdemo.SYN, false, "another outsider"},
		{"h2", "h4", fwdemo.SYN, true, "h2 opens a flow to h4"},
	})
	cells, set := registerCells(t, ctx, ctl)
	if set < 2 {
		t.Fatalf("after two flows opened from inside, s1 has %d register bits set, want at least 2", set)
	}

	common := []string{"--from-addr", s1.Addr, "--from-device-id", "1", "--from-thrift", s1.Thrift,
		"--to-addr", s2.Addr, "--to-device-id", "2", "--to-thrift", s2.Thrift,
		"--port-map", portMap, "--port-field", portField}
	r := runLime(t, ctx, 0, append([]string{"clone", "--pipeline", fx.Dir, "--no-progress", "--json"}, common...)...)
	var res clone.Result
	if err := r.JSON(&res); err != nil {
		t.Fatal(err)
	}
	if !res.OK() {
		t.Fatalf("clone result not OK:\n%s", r)
	}
	if got := res.Kinds[entity.KindTableEntry]; got == nil || got.Inserted != int64(len(ups)) {
		t.Errorf("clone inserted %+v table entries, want the controller's %d", got, len(ups))
	}
	// bmv2 resets registers on a pipeline push, so exactly the cells set on
	// s1 differ on the fresh s2 and are written.
	if got := res.Kinds[entity.KindRegister]; got == nil || got.Read != int64(cells) || got.Modified != int64(set) {
		t.Errorf("clone registers %+v, want %d read and the %d set ones written", got, cells, set)
	}

	r = runLime(t, ctx, 0, append([]string{"diff", "--volatile"}, common...)...)
	if !strings.Contains(r.Stdout, "equal") {
		t.Errorf("lime diff exited 0 without saying equal:\n%s", r)
	}
	r = runLime(t, ctx, 0, append([]string{"diff", "--json"}, common...)...)
	var rep diff.Report
	if err := r.JSON(&rep); err != nil {
		t.Fatal(err)
	}
	tot := rep.Total()
	if !rep.Equal() || tot.VolatileDifferent != 0 {
		t.Fatalf("diff after clone: %+v\n%s", tot, r)
	}
	if c := rep.Kinds[entity.KindTableEntry]; c == nil || c.Compared != int64(len(ups)) {
		t.Errorf("diff compared %+v table entries, want %d", c, len(ups))
	}
	if c := rep.Kinds[entity.KindRegister]; c == nil || c.Compared != int64(cells) {
		t.Errorf("diff compared %+v register cells, want all %d", c, cells)
	}

	// The hosts move to s2.
	n2 := newFwNet(t, s2, dstPorts)
	n2.expect(t, ctx, []probe{
		{"h3", "h1", fwdemo.ACK, true, "the flow h1 opened on s1: its register bits came along"},
		{"h4", "h2", fwdemo.ACK, true, "the flow h2 opened on s1"},
		{"h4", "h1", fwdemo.SYN, false, "an outsider is still blocked"},
		{"h3", "h2", fwdemo.ACK, false, "no flow between h2 and h3 was ever opened"},
		{"h1", "h4", fwdemo.SYN, true, "a new flow opened on s2"},
		{"h4", "h1", fwdemo.SYN | fwdemo.ACK, true, "and its reply"},
	})

	// Without Thrift the registers stay behind: lime says so (exit 1), and
	// the copy drops the established flow though it routes like s1.
	s3 := b.Start(t, lab.Spec{Name: "s3", DeviceID: 3, Ports: dstPorts, CPUPort: 255})
	r = runLime(t, ctx, 1, "clone", "--pipeline", fx.Dir, "--no-progress", "--json",
		"--from-addr", s1.Addr, "--to-addr", s3.Addr, "--to-device-id", "3",
		"--port-map", portMap, "--port-field", portField)
	var bare clone.Result
	if err := r.JSON(&bare); err != nil {
		t.Fatal(err)
	}
	if len(bare.Unreadable) == 0 || !strings.Contains(bare.Unreadable[0].What, "register") {
		t.Fatalf("a clone without Thrift should report the registers unreadable:\n%s", r)
	}
	n3 := newFwNet(t, s3, dstPorts)
	n3.expect(t, ctx, []probe{
		{"h3", "h1", fwdemo.ACK, false, "the flow h1 opened on s1: its register bits stayed behind"},
		{"h1", "h3", fwdemo.SYN, true, "routes and directions came along"},
	})
}

// The firewall scenarios' two switches: s1 on srcPorts, s2 on dstPorts
// (renumbered as portMap says), both with CPU port 255; the firewall's
// forwarding table names its egress port in portField.
const (
	portField = "MyIngress.ipv4_forward/port"
	portMap   = "1=11,2=12,3=13,4=14"
)

var (
	srcPorts = []uint32{1, 2, 3, 4}
	dstPorts = []uint32{11, 12, 13, 14}
	rules    = info.DefaultPortRules.Merge(info.PortRules{Names: []string{portField}})
)

// startFirewallPair starts s1 and s2 on backend b and returns them with
// the compiled firewall.
func startFirewallPair(t *testing.T, b lab.Backend) (fixtures.Pipeline, *lab.Switch, *lab.Switch) {
	t.Helper()
	t.Logf("backend %s", b.Name())
	fx := fixtures.Get(t, fwdemo.Pipeline)
	s1 := b.Start(t, lab.Spec{Name: "s1", DeviceID: 1, Ports: srcPorts, CPUPort: 255})
	s2 := b.Start(t, lab.Spec{Name: "s2", DeviceID: 2, Ports: dstPorts, CPUPort: 255})
	t.Logf("source %s\ntarget %s", s1, s2)
	return fx, s1, s2
}

// registerCells counts the cells of every register of the controller's
// switch, over Thrift, and how many are non-zero.
func registerCells(t *testing.T, ctx context.Context, ctl *lab.Controller) (cells, set int) {
	t.Helper()
	if len(ctl.Info.Registers) == 0 {
		t.Fatal("the program has no registers")
	}
	for _, reg := range ctl.Info.Registers {
		vals, err := ctl.Thrift.RegisterReadAll(ctx, reg.Name)
		if err != nil {
			t.Fatalf("reading %s over Thrift: %v", reg.Name, err)
		}
		cells += len(vals)
		for _, v := range vals {
			if v != 0 {
				set++
			}
		}
	}
	return cells, set
}
