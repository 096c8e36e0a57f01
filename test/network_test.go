//go:build linux

package test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/gnmi"
	gnmiclient "github.com/lime-p4/lime/gnmi/client"
	"github.com/lime-p4/lime/internal/netdemo"
	"github.com/lime-p4/lime/internal/netdemo/kernelhosts"
	"github.com/lime-p4/lime/migrator/service"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/pipelines"
	"github.com/lime-p4/lime/test/lab"
)

// networkRate is the traffic between the hosts during a plan, datagrams per
// second in all (every ordered pair of the six hosts in turn).
const networkRate = 1200

// network is the scenario of internal/netdemo on switches of some kind
// (the simulator in this process, or real simple_switch_grpc), with lime
// proxy standing for s1..s3 and a controller writing through it as ONOS
// does.
type network struct {
	t        testing.TB
	ctx      context.Context
	old, new map[int]netdemo.Target // the switches, by number
	hosts    []netdemo.HostPort
	ctl      *netdemo.Controller
	admin    string
	addr     string
	journal  string
	proxy    *lab.Daemon
	plan     string // the plan file
	traffic  *netdemo.Traffic
	stop     context.CancelFunc
	restart  func(name string) error // see switches
	wg       sync.WaitGroup
	churn    error
}

// switches is a network's switches and hosts, as a backend starts them:
// the new switches' ports and the old ones' trunks down.
type switches struct {
	old, new map[int]netdemo.Target
	hosts    []netdemo.HostPort
	// settle is the plan's: the hosts' time to take a link that comes up.
	settle time.Duration
	// restart restarts switch "sN" or "tN" (its pipeline and state gone,
	// as simple_switch_grpc started again); nil where the backend cannot.
	restart func(name string) error
}

// simSwitches starts the network on the simulator, with hosts on
// in-memory links (Memory) or Linux hosts in network namespaces (Veth:
// AF_PACKET, as root).
func simSwitches(t testing.TB, links lab.Links) switches {
	t.Helper()
	sn, err := netdemo.StartSim(netdemo.SimOptions{NoHosts: links == lab.Veth})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sn.Close)
	sw := switches{old: sn.OldT, new: sn.NewT, restart: func(name string) error {
		var n int
		if _, err := fmt.Sscanf(name[1:], "%d", &n); err != nil {
			return fmt.Errorf("no switch %q", name)
		}
		d := sn.Old[n]
		if name[0] == 't' {
			d = sn.New[n]
		}
		if d == nil {
			return fmt.Errorf("no switch %q", name)
		}
		return d.Restart()
	}}
	if links == lab.Veth {
		for _, h := range kernelhosts.Attach(t, sn, kernelhosts.Options{}) {
			sw.hosts = append(sw.hosts, h)
		}
	} else {
		for _, h := range sn.Hosts {
			sw.hosts = append(sw.hosts, h)
		}
	}
	return sw
}

// startNetwork starts the scenario on sw.
func startNetwork(t testing.TB, ctx context.Context, sw switches) *network {
	t.Helper()
	n := &network{t: t, ctx: ctx, old: sw.old, new: sw.new, hosts: sw.hosts, journal: filepath.Join(t.TempDir(), "journal.db"), restart: sw.restart}
	n.startProxy()
	prog, err := pipelines.Get(pipelines.LimeRouter)
	if err != nil {
		t.Fatal(err)
	}
	n.ctl, err = netdemo.NewController(ctx, n.addr, prog, 0x1ee7, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.ctl.Close)
	if err := n.ctl.Install(ctx); err != nil {
		t.Fatal(err)
	}
	var senders []netdemo.Sender
	for i, h := range n.hosts {
		senders = append(senders, h)
		lctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			h.Listen(lctx, func(d netdemo.Datagram, withMAC bool) { n.deliver(i, d, withMAC) })
			close(done)
		}()
		t.Cleanup(func() { cancel(); <-done })
	}
	n.traffic = netdemo.NewTraffic(senders, netdemo.AllPairs())
	dir, err := filepath.Abs("../pipelines/lime_router")
	if err != nil {
		t.Fatal(err)
	}
	n.plan = filepath.Join(t.TempDir(), "plan.yaml")
	text := netdemo.PlanFile(sw.old, sw.new, dir, netdemo.Groups)
	if sw.settle > 0 {
		text += fmt.Sprintf("settle: %v\n", sw.settle)
	}
	if err := os.WriteFile(n.plan, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return n
}

// deliver passes what host i received to the traffic, and the probes'
// frames to whoever waits for them.
func (n *network) deliver(i int, d netdemo.Datagram, withMAC bool) {
	if d.Seq >= netdemo.ProbeSeq {
		probes.Got(i, d)
		return
	}
	n.traffic.DeliverDatagram(i, d, withMAC)
}

// token is the file of the proxy's admin token, which it makes beside
// its journal.
func (n *network) token() string { return strings.TrimSuffix(n.journal, ".db") + ".token" }

// adminClient reaches the proxy's admin API.
func (n *network) adminClient() *service.Client {
	n.t.Helper()
	tok, err := service.ReadToken(n.token())
	if err != nil {
		n.t.Fatal(err)
	}
	return &service.Client{Addr: n.admin, Token: tok}
}

// startProxy starts lime proxy (again) on the journal, standing for
// s1..s3.
func (n *network) startProxy() { n.startProxyEnv(nil) }

// startProxyEnv is startProxy with env added to the proxy's environment.
func (n *network) startProxyEnv(env []string) {
	args := []string{"proxy", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--journal", n.journal}
	if n.addr != "" { // the same addresses again, for the controller
		args = []string{"proxy", "--listen", n.addr, "--admin", n.admin, "--journal", n.journal}
	}
	for s := 1; s <= netdemo.Switches; s++ {
		o := n.old[s]
		args = append(args, "--device", fmt.Sprintf("vid=%d,addr=%s,gnmi=%s", s, o.Addr, o.GNMI))
	}
	for _, f := range pipelines.RouterPortFields {
		args = append(args, "--port-field", f)
	}
	d, m := limeTool(n.t).StartEnv(n.t, env, regexp.MustCompile(`P4Runtime on (\S+), admin API on (\S+)`), args...)
	n.proxy, n.addr, n.admin = d, m[1], m[2]
}

// startLoad starts the traffic between every pair of hosts and the
// controller's churn; stopLoad ends them.
func (n *network) startLoad() {
	ctx, cancel := context.WithCancel(n.ctx)
	n.stop = cancel
	n.wg.Add(2)
	go func() { defer n.wg.Done(); n.traffic.Run(ctx, networkRate) }()
	go func() { defer n.wg.Done(); n.churn = n.ctl.Churn(ctx, 5*time.Millisecond) }()
}

func (n *network) stopLoad() netdemo.Report {
	n.t.Helper()
	n.stop()
	n.wg.Wait()
	time.Sleep(300 * time.Millisecond) // what is in flight arrives
	if n.churn != nil {
		n.t.Fatalf("the controller: %v", n.churn)
	}
	return n.traffic.Report()
}

// openFlows has the guarded host send to every other host first: its
// firewall lets their datagrams in from then on. A datagram to it on a
// port it never used is dropped.
func (n *network) openFlows() {
	n.t.Helper()
	g := netdemo.HostByName("h21")
	for _, h := range netdemo.Hosts {
		if h.Name != g.Name {
			n.probe(g.Name, h.Name, h.UDPPort, true, "the guarded host opens a flow")
		}
	}
	n.probe("h11", "h21", kernelhosts.ProbePort, false, "a flow the guarded host never opened")
	n.probe("h32", "h21", g.UDPPort, true, "the reply of a flow it opened")
}

// probe sends one datagram and checks its fate.
func (n *network) probe(from, to string, dport uint16, want bool, why string) {
	n.t.Helper()
	a, b := netdemo.HostByName(from), netdemo.HostByName(to)
	wait := dropWait
	if want {
		wait = deliverWait
	}
	got, err := probes.Send(n.hosts[a.Index()], *a, *b, dport, wait)
	if err != nil {
		n.t.Fatalf("%s -> %s (%s): %v", from, to, why, err)
	}
	verdict := map[bool]string{true: "delivered", false: "dropped"}
	n.t.Logf("%s -> %s udp/%d: %s (%s)", from, to, dport, verdict[got], why)
	if got != want {
		n.t.Fatalf("%s -> %s udp/%d (%s): %s, want %s", from, to, dport, why, verdict[got], verdict[want])
	}
}

// DESIGN.md "Migration of a network", on the simulator, with hosts on
// in-memory links and, as root, Linux hosts in network namespaces (their
// kernels send and receive; AF_PACKET ports): three switches in
// a line (h11 -> h31 crosses two links), two hosts on each, the stateful
// firewall of s2 guarding h21, a controller writing through the proxy to
// every device as ONOS does, and traffic between every pair of hosts at
// 1,200 datagrams/s; lime migrate --plan moves it all onto t1..t3 in three
// host groups. Nothing is lost: no datagram, no controller write; every
// virtual device reads back what the controller wrote, and lime diff finds
// each new switch equal to its virtual device. Afterwards the old network's
// ports are down and the new one carries everything, the flows the guarded
// host opened on the old network included.
func TestSimNetworkMigration(t *testing.T) {
	for _, links := range []lab.Links{lab.Memory, lab.Veth} {
		t.Run(links.String(), func(t *testing.T) { networkMigration(t, simSwitches(t, links)) })
	}
}

// The same scenario on real simple_switch_grpc (the shared build, in CI
// too): every switch a process of its own, its ports veth interfaces (the
// links between switches and the trunks are veth pairs), lime agent giving
// each switch the gNMI bmv2 lacks, registers over Thrift, and Linux hosts
// in network namespaces. As root; skips where no real bmv2 is found.
func TestRealBMv2NetworkMigration(t *testing.T) {
	networkMigration(t, bmv2Switches(t, false))
}

func networkMigration(t *testing.T, sw switches) {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
	defer cancel()
	n := startNetwork(t, ctx, sw)
	n.openFlows()
	n.startLoad()
	r := runLime(t, ctx, 0, "migrate", "--admin", n.admin, "--admin-token-file", n.token(), "--plan", n.plan)
	rep := n.stopLoad()
	t.Logf("lime migrate --plan:\n%s", r.Stderr)
	t.Logf("traffic: %d datagrams sent, %d delivered, %d lost; the controller wrote %d updates", rep.Sent, rep.Delivered, rep.Lost, n.ctl.Writes)
	if err := rep.Clean(); err != nil {
		n.explainLosses(rep)
		t.Fatal(err)
	}
	for _, phase := range []string{"[validate]", "[prepare]", "[fabric]", "[hosts] group 1: 1:1 3:1", "[hosts] group 2: 2:1 2:2", "[hosts] group 3: 1:2 3:2", "[cut-over]", "[teardown]"} {
		if !strings.Contains(r.Stderr, phase) {
			t.Errorf("lime migrate --plan did not report %q", phase)
		}
	}
	n.checkMigrated()
	st := runLime(t, ctx, 0, "status", "--admin", n.admin, "--admin-token-file", n.token())
	for _, want := range []string{`PLAN \S+: done, ended`, `(?m)^1\s+1:1 3:1\s+done`, `(?m)^3\s+1:2 3:2\s+done`,
		`(?m)^2\s+\S+\s+done\s+done\s+\[1 2\]\s+validate \S+, pipeline`} {
		if !regexp.MustCompile(want).MatchString(st.Stdout) {
			t.Errorf("lime status does not say %q:\n%s", want, st.Stdout)
		}
	}
}

// checkMigrated checks the network after its plan: what the controller
// wrote reads back; each new switch equals its virtual device; the old
// network is down and the new one forwards, the guarded host's flows
// included.
func (n *network) checkMigrated() {
	t := n.t
	if err := n.ctl.Check(n.ctx); err != nil {
		t.Fatal(err)
	}
	for s := 1; s <= netdemo.Switches; s++ {
		nt := n.new[s]
		n.diffMigrated(s)
		n.checkPorts(fmt.Sprintf("s%d", s), n.old[s], func(uint32) bool { return false }, "after the plan")
		n.checkPorts(fmt.Sprintf("t%d", s), nt, func(p uint32) bool { return p != netdemo.TrunkNew }, "after the plan")
	}
	n.probe("h11", "h21", kernelhosts.ProbePort, false, "still a flow the guarded host never opened")
	for _, h := range netdemo.Hosts {
		if h.Name != "h21" {
			n.probe(h.Name, "h21", netdemo.HostByName("h21").UDPPort, true, "a flow opened on the old network")
		}
	}
	n.probe("h11", "h32", netdemo.HostByName("h32").UDPPort, true, "across the new network's two links")
}

// diffMigrated checks with lime diff that virtual device s equals its new
// switch.
func (n *network) diffMigrated(s int) {
	n.t.Helper()
	nt := n.new[s]
	args := []string{"diff", "--from-addr", n.addr, "--from-device-id", fmt.Sprint(s), "--from-thrift", nt.Thrift,
		"--to-addr", nt.Addr, "--to-device-id", fmt.Sprint(nt.DeviceID), "--to-thrift", nt.Thrift,
		"--port-map", portMapOf(s)}
	for _, f := range pipelines.RouterPortFields {
		args = append(args, "--port-field", f)
	}
	runLime(n.t, n.ctx, 0, args...)
}

// portMapOf is old switch s's port map onto its new switch.
func portMapOf(s int) string {
	var parts []string
	for _, p := range netdemo.HostPorts {
		parts = append(parts, fmt.Sprintf("%d=%d", p, p+netdemo.NewOffset))
	}
	for p := range netdemo.LinkPorts(s) {
		parts = append(parts, fmt.Sprintf("%d=%d", p, p+netdemo.NewOffset))
	}
	return strings.Join(parts, ",")
}

// probes are single datagrams sent to see whether they pass.
var probes = netdemo.NewProbes()

// pausedNetwork starts the scenario on the simulator (in-memory links),
// the traffic and the controller's writes, and runs the plan until it
// pauses after host group g, as its file says.
func pausedNetwork(t *testing.T, ctx context.Context, g int) *network {
	t.Helper()
	n := startNetwork(t, ctx, simSwitches(t, lab.Memory))
	n.withPause(g)
	n.openFlows()
	n.startLoad()
	r := runLime(t, ctx, 0, "migrate", "--admin", n.admin, "--admin-token-file", n.token(), "--plan", n.plan)
	if !strings.Contains(r.Stderr, fmt.Sprintf("paused after host group %d", g)) {
		t.Fatalf("the plan did not pause after group %d:\n%s", g, r)
	}
	return n
}

// withPause writes the plan again with pause_after groups.
func (n *network) withPause(groups ...int) {
	n.t.Helper()
	b, err := os.ReadFile(n.plan)
	if err != nil {
		n.t.Fatal(err)
	}
	var g []string
	for _, x := range groups {
		g = append(g, fmt.Sprint(x))
	}
	b = append(b, []byte("pause_after: ["+strings.Join(g, ", ")+"]\n")...)
	if err := os.WriteFile(n.plan, b, 0o644); err != nil {
		n.t.Fatal(err)
	}
}

// DESIGN.md "Migration of a network": abort at any point reverses all of
// it on every device. Two of the three host groups moved (the plan pauses
// there, as its file says), then lime abort --plan: every host comes back
// to the old network (newest group first, each make before break), the new
// fabric goes down, the new switches are cleared. Traffic between every
// pair of hosts and the controller's writes go on throughout: nothing is
// lost, and the old network forwards as before, the guarded host's flows
// included.
func TestSimNetworkAbort(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
	defer cancel()
	n := pausedNetwork(t, ctx, 2)
	moved := 0
	for _, h := range n.hosts {
		if !h.OnOld() {
			moved++
		}
	}
	if moved != 4 {
		t.Fatalf("%d hosts on the new network after two groups, want 4", moved)
	}
	a := runLime(t, ctx, 0, "abort", "--admin", n.admin, "--admin-token-file", n.token(), "--plan")
	rep := n.stopLoad()
	t.Logf("lime abort --plan:\n%s", a.Stderr)
	t.Logf("traffic: %d datagrams sent, %d delivered, %d lost; the controller wrote %d updates", rep.Sent, rep.Delivered, rep.Lost, n.ctl.Writes)
	if err := rep.Clean(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[move-back] group 2: 2:1 2:2", "[move-back] group 1: 1:1 3:1", "[fabric-down]", "[undo]", "device 1: clear"} {
		if !strings.Contains(a.Stderr, want) {
			t.Errorf("lime abort --plan did not report %q", want)
		}
	}
	if err := n.ctl.Check(ctx); err != nil {
		t.Fatalf("%v (the controller reconnected: %v)", err, n.ctl.Reconnects)
	}
	for s := 1; s <= netdemo.Switches; s++ {
		n.checkPorts(fmt.Sprintf("s%d", s), n.old[s], func(p uint32) bool { return p != netdemo.TrunkPort }, "after the abort")
		n.checkPorts(fmt.Sprintf("t%d", s), n.new[s], func(uint32) bool { return false }, "after the abort")
		if held := n.entries(n.new[s]); held != 0 {
			t.Errorf("t%d holds %d table entries after the abort", s, held)
		}
	}
	for i, h := range n.hosts {
		if !h.OnOld() {
			t.Errorf("%s is not back on the old network", netdemo.Hosts[i].Name)
		}
	}
	for _, h := range netdemo.Hosts {
		if h.Name != "h21" {
			n.probe(h.Name, "h21", netdemo.HostByName("h21").UDPPort, true, "a flow opened before the plan")
		}
	}
	n.probe("h11", "h21", kernelhosts.ProbePort, false, "still a flow the guarded host never opened")
}

// DESIGN.md "Faults" and "Migration of a network": a proxy killed
// (SIGKILL) between two host groups — the first moved, the plan paused —
// and started again on its journal stands for the devices as before (the
// hosts of group 1 stay on the new network, what the old switches send to
// them through the trunks reads as the controller wrote it), and lime
// migrate --retry takes the plan to its end. Traffic flows throughout
// (the switches forward without the proxy); the controller reconnects and
// goes on writing; nothing is lost.
func TestSimNetworkRestartBetweenGroups(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
	defer cancel()
	n := pausedNetwork(t, ctx, 1)
	n.proxy.Kill()
	time.Sleep(200 * time.Millisecond) // the controller finds it gone
	n.startProxy()
	st := runLime(t, ctx, 0, "status", "--admin", n.admin, "--admin-token-file", n.token())
	if !regexp.MustCompile(`PLAN \S+: hosts, paused.* \(group 1 of 3\), paused after group 1`).MatchString(st.Stdout) {
		t.Fatalf("after the restart, lime status says:\n%s", st.Stdout)
	}
	r := runLime(t, ctx, 0, "migrate", "--admin", n.admin, "--admin-token-file", n.token(), "--retry")
	rep := n.stopLoad()
	t.Logf("lime migrate --retry:\n%s", r.Stderr)
	t.Logf("traffic: %d datagrams sent, %d delivered, %d lost; the controller wrote %d updates", rep.Sent, rep.Delivered, rep.Lost, n.ctl.Writes)
	if err := rep.Clean(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[hosts] group 2: 2:1 2:2", "[hosts] group 3: 1:2 3:2", "[teardown]"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("lime migrate --retry did not report %q", want)
		}
	}
	n.checkMigrated()
}

// entries counts the table entries a switch holds (read directly, as any
// client may).
func (n *network) entries(sw netdemo.Target) int {
	n.t.Helper()
	c, err := client.Dial(n.ctx, sw.Addr, client.DialOptions{DeviceID: sw.DeviceID, Insecure: true})
	if err != nil {
		n.t.Fatal(err)
	}
	defer c.Close()
	got, err := c.ReadAll(n.ctx, &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{}}})
	if err != nil {
		n.t.Fatalf("reading %s: %v", sw.Addr, err)
	}
	return len(got)
}

// explainLosses logs each datagram lost beside the plan's tasks that ran
// when it was sent.
func (n *network) explainLosses(rep netdemo.Report) {
	c := n.adminClient()
	pl, err := c.Plan(n.ctx)
	if err != nil {
		n.t.Logf("plan status: %v", err)
		return
	}
	byPair := map[string]int{}
	for _, l := range rep.Losses {
		byPair[l.From+"->"+l.To]++
	}
	n.t.Logf("lost by pair: %v", byPair)
	for i, l := range rep.Losses {
		if i == 20 {
			n.t.Logf("... %d more", len(rep.Losses)-i)
			break
		}
		var during []string
		for _, h := range pl.History {
			if !l.Sent.Before(h.Start) && l.Sent.Before(h.Start.Add(h.Took)) {
				during = append(during, fmt.Sprintf("device %d %s", h.Device, h.Task))
			}
		}
		n.t.Logf("lost %s -> %s #%d sent at %s, during %v", l.From, l.To, l.Seq, l.Sent.Format("15:04:05.000000"), during)
	}
}

// interfaces reads switch sw's interfaces over gNMI.
func (n *network) interfaces(name string, sw netdemo.Target) []gnmi.PortState {
	n.t.Helper()
	g, err := gnmiclient.Dial(n.ctx, sw.GNMI, gnmiclient.WithInsecure())
	if err != nil {
		n.t.Fatal(err)
	}
	defer g.Close()
	ifs, err := g.Interfaces(n.ctx)
	if err != nil {
		n.t.Fatalf("%s's gNMI: %v", name, err)
	}
	return ifs
}

// portEnabled reports whether port p of switch sw is enabled (gNMI).
func (n *network) portEnabled(name string, sw netdemo.Target, p uint32) bool {
	n.t.Helper()
	for _, x := range n.interfaces(name, sw) {
		if x.ID == p {
			return x.Enabled
		}
	}
	n.t.Fatalf("%s has no port %d", name, p)
	return false
}

// checkPorts checks over gNMI that each port of switch sw is enabled as
// up says (by port id).
func (n *network) checkPorts(name string, sw netdemo.Target, up func(uint32) bool, when string) {
	n.t.Helper()
	ifs := n.interfaces(name, sw)
	for _, p := range ifs {
		if p.Enabled != up(p.ID) {
			n.t.Errorf("%s port %d (%s): enabled %v %s", name, p.ID, p.Name, p.Enabled, when)
		}
	}
}
