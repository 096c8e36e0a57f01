// Package democmd is `lime demo`: the main job on the embedded simulator,
// the live migration of a whole network (DESIGN.md, "Migration of a
// network"). Three simulated bmv2 switches in a line, s1 -- s2 -- s3, run
// lime_router with two hosts each; s2's stateful firewall guards h21 (its
// register values decide what reaches it). A controller writes through
// lime proxy as ONOS does, every host talks to every other, and lime migrate
// --plan moves the network, host group by host group, onto three new
// switches cabled the same way, while the controller keeps writing and the
// traffic keeps flowing; the demo counts what was lost, and shows the new
// network carrying everything, the flows opened on the old one included.
package democmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/cmd/lime/internal/migratecmd"
	"github.com/lime-p4/lime/cmd/lime/internal/proxycmd"
	"github.com/lime-p4/lime/cmd/lime/internal/statuscmd"
	"github.com/lime-p4/lime/internal/netdemo"
	"github.com/lime-p4/lime/migrator/service"
	"github.com/lime-p4/lime/pipelines"
)

// rate is the traffic between the hosts, datagrams per second in all.
const rate = 1200

// New returns the command.
func New(deps cli.Deps) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Live-migrate a running network of simulated switches and its hosts onto new switches, with traffic",
		Long: `Demo runs, in this process, three simulated bmv2 switches in a line, s1 -- s2
-- s3, each with two hosts, running lime's lime_router program: a route per
host, and on s2 a stateful firewall that lets datagrams reach h21 only on
flows h21 opened (two bloom-filter register bits per flow). A controller
connects to lime proxy, which stands for the three switches, and programs them
as ONOS would; every host sends to every other host, 1,200 datagrams per
second in all.

Then lime migrate --plan moves the whole network onto three new switches,
t1 -- t2 -- t3, cabled the same way with ports numbered +10, each joined to
its old switch by a trunk: every device is validated, then prepared (its own
pipeline, mirror, clone with the register values, catch-up, verify), the new
fabric comes up, the hosts move in three groups that span the switches
(make before break), every device cuts over, and the old network goes down.
The controller keeps writing and the traffic keeps flowing throughout; the
demo counts every datagram and ends with a report.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := run(cmd.Context(), deps); err != nil {
				return &cli.ExitError{Code: 1, Err: err}
			}
			return nil
		},
	}
}

type demo struct {
	ctx  context.Context
	out  io.Writer
	step int
}

func (d *demo) say(format string, args ...any) { fmt.Fprintf(d.out, format+"\n", args...) }

func (d *demo) section(format string, args ...any) {
	d.step++
	fmt.Fprintf(d.out, "\n[%d] %s\n", d.step, fmt.Sprintf(format, args...))
}

func run(ctx context.Context, deps cli.Deps) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	d := &demo{ctx: ctx, out: deps.Out}
	d.say("lime demo: live-migrate a whole network, three switches and their six hosts, onto three new")
	d.say("switches, while its controller keeps writing and every host keeps talking to every other")
	quiet := slog.New(slog.DiscardHandler)
	prog, err := pipelines.Get(pipelines.LimeRouter)
	if err != nil {
		return err
	}
	sn, err := netdemo.StartSim(netdemo.SimOptions{Log: quiet})
	if err != nil {
		return err
	}
	defer sn.Close()
	d.showNetwork(sn)

	tmp, err := os.MkdirTemp("", "lime-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	token := filepath.Join(tmp, "admin.token") // the proxy makes it
	args := []string{"--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--journal", filepath.Join(tmp, "journal.db"), "--admin-token-file", token}
	for s := 1; s <= netdemo.Switches; s++ {
		args = append(args, "--device", fmt.Sprintf("vid=%d,addr=%s,gnmi=%s", s, sn.OldT[s].Addr, sn.OldT[s].GNMI))
	}
	for _, f := range pipelines.RouterPortFields {
		args = append(args, "--port-field", f)
	}
	proxyAddr, admin, stopProxy, err := d.proxy(args)
	if err != nil {
		return err
	}
	defer stopProxy()

	ctl, err := netdemo.NewController(ctx, proxyAddr, prog, 0x1ee7, quiet)
	if err != nil {
		return err
	}
	defer ctl.Close()
	if err := ctl.Install(ctx); err != nil {
		return err
	}
	d.section("A controller connects to the proxy (%s) as devices 1, 2 and 3, as ONOS would to s1..s3", proxyAddr)
	d.say("    it probes the cookie, sets lime_router (cookie 0x1ee7) and writes %d entries: on each switch a /32 route", ctl.Writes)
	d.say("    per host (its own port, or the link towards its switch), and on s2 the firewall's guard of h21's port")

	traffic := d.listen(sn)
	d.section("Traffic through the old network")
	if err := d.openFlows(sn); err != nil {
		return err
	}

	planFile, err := d.writePlan(tmp, sn, prog)
	if err != nil {
		return err
	}
	d.say("\n    from now on every host sends to every other host, %d datagrams/s in all, each numbered;", rate)
	d.say("    the controller modifies routes (DELETE then INSERT, as ONOS does) and polls their counters")
	lctx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var churnErr error
	wg.Add(2)
	go func() { defer wg.Done(); traffic.Run(lctx, rate) }()
	go func() { defer wg.Done(); churnErr = ctl.Churn(lctx, 5*time.Millisecond) }()
	time.Sleep(time.Second) // the network at work before the plan, and after
	migrateErr := d.lime(deps, migratecmd.New, "migrate", []string{"--admin", admin, "--admin-token-file", token, "--plan", planFile})
	if migrateErr == nil {
		time.Sleep(time.Second)
	}
	stopLoad()
	wg.Wait()
	time.Sleep(200 * time.Millisecond) // what is in flight arrives
	if err := errors.Join(migrateErr, churnErr); err != nil {
		return err
	}
	rep := traffic.Report()
	if err := d.report(admin, token, traffic, rep, ctl); err != nil {
		return err
	}
	if err := d.lime(deps, statuscmd.New, "status", []string{"--admin", admin, "--admin-token-file", token}); err != nil {
		return err
	}
	if err := ctl.Check(ctx); err != nil {
		return err
	}
	if err := d.after(sn); err != nil {
		return err
	}
	if err := rep.Clean(); err != nil {
		return err
	}
	d.say("\ndemo OK: t1..t3 are the network now, with s1..s3's whole state; %d datagrams sent, none lost; the", rep.Sent)
	d.say("controller's %d writes all read back as it wrote them", ctl.Writes)
	return nil
}

// showNetwork draws the network.
func (d *demo) showNetwork(sn *netdemo.SimNet) {
	d.section("Six simulated bmv2 switches in this process (P4Runtime and gNMI, Thrift for registers)")
	d.say("    old:  s1 3 ---- 3 s2 4 ---- 3 s3     lime_router; s2's firewall guards h21")
	d.say("    new:  t1 13 -- 13 t2 14 -- 13 t3     the same cabling, ports +10, all down; no program yet")
	d.say("    trunks: s1:9 -- t1:19, s2:9 -- t2:19, s3:9 -- t3:19 (down)")
	for s := 1; s <= netdemo.Switches; s++ {
		d.say("    s%d %s   t%d %s", s, sn.OldT[s].Addr, s, sn.NewT[s].Addr)
	}
	var hs []string
	for _, h := range netdemo.Hosts {
		hs = append(hs, fmt.Sprintf("%s %s (s%d:%d, t%d:%d)", h.Name, h.IP, h.Switch, h.Port, h.Switch, h.Port+netdemo.NewOffset))
	}
	d.say("    hosts, each with a link to its old and its new switch, using the one whose port is up:")
	for i := 0; i < len(hs); i += 2 {
		d.say("      %s   %s", hs[i], hs[i+1])
	}
}

// proxy runs `lime proxy` in the background, its output indented in the
// demo's, and returns its P4Runtime and admin addresses, and how to stop it.
func (d *demo) proxy(args []string) (string, string, func(), error) {
	d.section("$ lime proxy %s", strings.Join(args, " "))
	out := newIndented(d.out)
	ctx, cancel := context.WithCancel(d.ctx)
	addr, admin, wait, err := proxycmd.Run(ctx, cli.Deps{Out: out, Err: out, Log: slog.New(slog.DiscardHandler)}, args...)
	if err != nil {
		cancel()
		return "", "", nil, fmt.Errorf("lime proxy: %w", err)
	}
	return addr, admin, func() { cancel(); wait() }, nil
}

// probe is a single datagram whose fate the demo shows.
type probe struct {
	from, to string
	dport    uint16
	want     bool
	why      string
}

// listen has every host pass what it receives to the traffic (or to the
// prober), and returns the traffic.
func (d *demo) listen(sn *netdemo.SimNet) *netdemo.Traffic {
	var senders []netdemo.Sender
	for _, h := range sn.Hosts {
		senders = append(senders, h)
	}
	t := netdemo.NewTraffic(senders, netdemo.AllPairs())
	for i, h := range sn.Hosts {
		go h.Listen(d.ctx, func(dg netdemo.Datagram, withMAC bool) {
			if dg.Seq >= netdemo.ProbeSeq {
				probes.Got(i, dg)
				return
			}
			t.DeliverDatagram(i, dg, withMAC)
		})
	}
	return t
}

var probes = netdemo.NewProbes()

// send sends the probes in order and shows each one's fate.
func (d *demo) send(sn *netdemo.SimNet, ps []probe) error {
	for _, pr := range ps {
		a, b := netdemo.HostByName(pr.from), netdemo.HostByName(pr.to)
		got, err := probes.Send(sn.Hosts[a.Index()], *a, *b, pr.dport, 300*time.Millisecond)
		if err != nil {
			return err
		}
		verdict := map[bool]string{true: "delivered", false: "dropped"}
		d.say("    %s -> %s  udp/%-5d %-10s (%s)", pr.from, pr.to, pr.dport, verdict[got], pr.why)
		if got != pr.want {
			return fmt.Errorf("%s -> %s was %s, expected %s", pr.from, pr.to, verdict[got], verdict[pr.want])
		}
	}
	return nil
}

// openFlows has the guarded host open a flow to every other host.
func (d *demo) openFlows(sn *netdemo.SimNet) error {
	g := netdemo.HostByName("h21")
	ps := []probe{{"h11", "h21", g.UDPPort, false, "h21 is guarded: nobody may reach it unasked"}}
	for _, h := range netdemo.Hosts {
		if h.Name != g.Name {
			ps = append(ps, probe{g.Name, h.Name, h.UDPPort, true, "h21 opens a flow: sets two register bits on s2"})
		}
	}
	ps = append(ps, probe{"h31", "h21", g.UDPPort, true, "a reply on the flow h21 opened, across two links"},
		probe{"h11", "h21", 7777, false, "another port: a flow h21 never opened"})
	return d.send(sn, ps)
}

// writePlan writes the new switches' program and the plan file into dir,
// and shows the plan.
func (d *demo) writePlan(dir string, sn *netdemo.SimNet, prog *pipelines.Program) (string, error) {
	pdir := filepath.Join(dir, "lime_router")
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(pdir, "lime_router.json"), prog.JSON, 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(pdir, "lime_router.p4info.txt"), prog.P4InfoText, 0o644); err != nil {
		return "", err
	}
	text := netdemo.PlanFile(sn.OldT, sn.NewT, "lime_router", netdemo.Groups)
	file := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		return "", err
	}
	d.section("The plan: %s", file)
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		d.say("    %s", l)
	}
	return file, nil
}

// lime runs a lime verb in this process, showing its command line.
func (d *demo) lime(deps cli.Deps, verb func(cli.Deps) *cobra.Command, name string, args []string) error {
	d.section("$ lime %s %s", name, strings.Join(args, " "))
	out := newIndented(d.out)
	cmd := verb(cli.Deps{Out: out, Err: out, Log: slog.New(slog.DiscardHandler)})
	cmd.SetArgs(args)
	if err := cmd.ExecuteContext(d.ctx); err != nil {
		return fmt.Errorf("lime %s: %w", name, err)
	}
	return nil
}

// report shows the traffic by host group, and the migration by device and
// by host.
func (d *demo) report(admin, tokenFile string, t *netdemo.Traffic, rep netdemo.Report, ctl *netdemo.Controller) error {
	token, err := service.ReadToken(tokenFile)
	if err != nil {
		return err
	}
	c := &service.Client{Addr: admin, Token: token}
	pl, err := c.Plan(d.ctx)
	if err != nil {
		return err
	}
	devs, err := c.Status(d.ctx)
	if err != nil {
		return err
	}
	d.section("Report")
	d.say("    traffic between every pair of hosts: %d datagrams sent, %d delivered, %d lost; %d controller writes",
		rep.Sent, rep.Delivered, rep.Lost, ctl.Writes)
	w := tabwriter.NewWriter(d.out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "    GROUP\tHOSTS\tMOVES TOOK\tSENT MEANWHILE\tDELIVERED\tLOST\t")
	for g, grp := range pl.Groups {
		var from, to time.Time
		for _, h := range pl.History {
			if h.Phase != "hosts" || !strings.HasPrefix(h.Task, "move-host ") || !inGroup(grp.Hosts, h) {
				continue
			}
			if from.IsZero() || h.Start.Before(from) {
				from = h.Start
			}
			if end := h.Start.Add(h.Took); end.After(to) {
				to = end
			}
		}
		sent, got := t.Window(from, to)
		fmt.Fprintf(w, "    %d\t%s\t%v\t%d\t%d\t%d\t\n", g+1, strings.Join(hostNames(grp.Hosts), " "), to.Sub(from).Round(time.Millisecond), sent, got, sent-got)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	d.say("")
	w = tabwriter.NewWriter(d.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "    DEVICE\tNOW ON\tCLONED\tWRITES MIRRORED\tSTEPS")
	for _, ds := range pl.Devices {
		st, _ := service.Of(devs, ds.Device)
		var steps []string
		for _, tr := range ds.Took {
			steps = append(steps, fmt.Sprintf("%s %v", tr.Task, tr.Took.Round(time.Millisecond)))
		}
		cloned := int64(0)
		if st.Migration != nil {
			cloned = st.Migration.Cloned
		}
		fmt.Fprintf(w, "    %d\tt%d\t%d\t%d\t%s\n", ds.Device, ds.Device, cloned, st.Stats.Mirrored, strings.Join(steps, ", "))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	d.say("")
	w = tabwriter.NewWriter(d.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "    HOST\tGROUP\tITS MOVE TOOK\tLOST AT ITS MOVE (to or from it)")
	for _, h := range netdemo.Hosts {
		for _, tr := range pl.History {
			if tr.Device == uint64(h.Switch) && tr.Task == fmt.Sprintf("move-host %d", h.Port) && tr.Error == "" {
				lost := rep.LostBetween(h.Name, tr.Start, tr.Start.Add(tr.Took))
				fmt.Fprintf(w, "    %s\t%d\t%v\t%d\n", h.Name, groupOf(pl, h), tr.Took.Round(time.Millisecond), lost)
			}
		}
	}
	return w.Flush()
}

func inGroup(hosts []string, h service.TaskRecord) bool {
	var port uint64
	fmt.Sscanf(h.Task, "move-host %d", &port)
	return slices.Contains(hosts, fmt.Sprintf("%d:%d", h.Device, port))
}

// hostNames names the hosts of "vid:port" refs.
func hostNames(refs []string) []string {
	var out []string
	for _, r := range refs {
		var s, p int
		fmt.Sscanf(r, "%d:%d", &s, &p)
		out = append(out, fmt.Sprintf("h%d%d", s, p))
	}
	return out
}

func groupOf(pl *service.PlanStatus, h netdemo.Host) int {
	ref := fmt.Sprintf("%d:%d", h.Switch, h.Port)
	for i, g := range pl.Groups {
		if slices.Contains(g.Hosts, ref) {
			return i + 1
		}
	}
	return 0
}

// after shows the network after the plan: the old one down, the new one
// carrying everything, the flows opened on the old one included.
func (d *demo) after(sn *netdemo.SimNet) error {
	d.section("After the plan: the old network's ports are down; the new network carries everything")
	for s := 1; s <= netdemo.Switches; s++ {
		for _, p := range sn.Old[s].Ports().List() {
			if p.Enabled() {
				return fmt.Errorf("s%d port %s is still up", s, p.Name())
			}
		}
	}
	for _, h := range sn.Hosts {
		if h.OnOld() {
			return fmt.Errorf("%s is still on the old network", h.Host.Name)
		}
	}
	g := netdemo.HostByName("h21").UDPPort
	return d.send(sn, []probe{
		{"h11", "h21", g, true, "the flow h21 opened on s2: its register bits came along to t2"},
		{"h32", "h21", g, true, "another flow opened on the old network"},
		{"h11", "h21", 7777, false, "still a flow h21 never opened"},
		{"h11", "h32", netdemo.HostByName("h32").UDPPort, true, "t1 -> t2 -> t3, the new network's two links"},
	})
}

// indented writes what it is given with each line indented.
type indented struct {
	w   io.Writer
	mid *bool // the last write did not end a line
}

func newIndented(w io.Writer) indented { return indented{w: w, mid: new(bool)} }

func (x indented) Write(p []byte) (int, error) {
	for _, l := range strings.SplitAfter(string(p), "\n") {
		if l == "" {
			continue
		}
		if !*x.mid {
			l = "    " + l
		}
		if _, err := io.WriteString(x.w, l); err != nil {
			return 0, err
		}
		*x.mid = !strings.HasSuffix(l, "\n")
	}
	return len(p), nil
}
