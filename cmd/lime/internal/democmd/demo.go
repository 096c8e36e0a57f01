// Package democmd is `lime demo`: the main job on the embedded simulator.
// Two simulated bmv2 switches run in this process, joined by a trunk, with
// four hosts that each have a link to either switch. A controller,
// connected to lime proxy, programs the first with a stateful firewall and
// traffic flows through it; then lime migrate moves the switch, its whole
// state (table entries and the register values packets wrote) and its
// hosts, one at a time, onto the second switch, whose ports are numbered
// differently, while the controller keeps writing and traffic keeps
// flowing; the loss is counted, and the second switch ends up forwarding
// exactly as the first did.
package democmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"github.com/spf13/cobra"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/bmv2/sim/port"
	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/cmd/lime/internal/migratecmd"
	"github.com/lime-p4/lime/cmd/lime/internal/proxycmd"
	"github.com/lime-p4/lime/cmd/lime/internal/statuscmd"
	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/fwdemo"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/pipelines"
)

// New returns the command.
func New(deps cli.Deps) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Live-migrate a running simulated switch and its hosts onto another, with traffic",
		Long: `Demo runs two simulated bmv2 switches in this process, s1 and s2, joined by a
trunk; four hosts each have a link to either switch (s2's are down). lime proxy
stands for s1 before a controller, which programs it with p4lang's stateful
firewall (registers-firewall): a TCP flow opened from inside sets register bits
that let its replies in. Then lime migrate moves it all onto s2, whose ports
are numbered 11-14 instead of 1-4: s2 gets its own pipeline, the proxy records
the controller's writes, the state is cloned (registers over bmv2's Thrift API,
as on real bmv2), the writes are replayed and mirrored, the hosts move one at
a time (their s2 port up over gNMI, the state follows, their s1 port down),
and the proxy cuts over to s2. Traffic and the controller's writes go on
throughout; the demo counts what was lost.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := run(cmd.Context(), deps, dir); err != nil {
				return &cli.ExitError{Code: 1, Err: err}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "pipeline", "", "folder of the compiled registers-firewall program (default: shared/pipelines/registers-firewall beside the checkout)")
	return cmd
}

type demo struct {
	ctx  context.Context
	out  io.Writer
	deps cli.Deps
	step int
}

func (d *demo) say(format string, args ...any) { fmt.Fprintf(d.out, format+"\n", args...) }

func (d *demo) section(format string, args ...any) {
	d.step++
	fmt.Fprintf(d.out, "\n[%d] %s\n", d.step, fmt.Sprintf(format, args...))
}

// switchUp starts a simulated switch serving P4Runtime, gNMI and Thrift on
// loopback ports of its own: host ports eth<first>..eth<first+3> with the
// given ids, and a trunk port.
func switchUp(id uint64, name, first string, ids []uint32, trunk uint32) (*sim.Device, string, string, error) {
	var specs []sim.PortSpec
	for i, p := range ids {
		specs = append(specs, sim.PortSpec{Name: fmt.Sprintf("eth%s%d", first, i+1), ID: p})
	}
	specs = append(specs, sim.PortSpec{Name: "trunk", ID: trunk})
	dev, err := sim.New(sim.Options{Name: name, DeviceID: id, Profile: p4rt.ProfileBMv2, Ports: specs,
		CPUPort: 255, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, "", "", err
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", "", err
	}
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", "", err
	}
	go dev.Serve(lis)
	go dev.ServeThrift(tl)
	return dev, lis.Addr().String(), tl.Addr().String(), nil
}

func run(ctx context.Context, deps cli.Deps, dir string) error {
	if dir == "" {
		shared, err := fixtures.Dir()
		if err != nil {
			return fmt.Errorf("the demo needs the compiled registers-firewall program: %w (or give --pipeline)", err)
		}
		dir = filepath.Join(shared, fwdemo.Pipeline)
	}
	prog, err := pipelines.LoadDir(dir)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	d := &demo{ctx: ctx, out: deps.Out, deps: deps}
	d.say("lime demo: live-migrate a running switch, its whole state and its hosts, onto a new switch,")
	d.say("while its controller keeps working and traffic keeps flowing")

	s1, s1Addr, s1Thrift, err := switchUp(1, "s1", "", []uint32{1, 2, 3, 4}, 9)
	if err != nil {
		return err
	}
	defer s1.Close()
	s2, s2Addr, s2Thrift, err := switchUp(2, "s2", "1", []uint32{11, 12, 13, 14}, 19)
	if err != nil {
		return err
	}
	defer s2.Close()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		s1.Shutdown(sctx)
		s2.Shutdown(sctx)
	}()
	if _, err := port.Connect(s1.Port("trunk"), s2.Port("trunk")); err != nil {
		return err
	}
	for i := 1; i <= 4; i++ {
		s2.Port(fmt.Sprintf("eth1%d", i)).SetEnabled(false) // the hosts are not on s2 yet
	}
	hosts, err := fwdemo.AttachDual(s1, s2, "1")
	if err != nil {
		return err
	}
	defer hosts.Close()
	d.section("Two simulated bmv2 switches, joined by a trunk (s1 port 9 to s2 port 19)")
	d.say("    s1: P4Runtime+gNMI %s, Thrift %s, host ports 1-4", s1Addr, s1Thrift)
	d.say("    s2: P4Runtime+gNMI %s, Thrift %s, host ports 11-14 (down), no pipeline yet", s2Addr, s2Thrift)
	d.say("    hosts: h1 10.0.1.1, h2 10.0.2.2 inside; h3 10.0.3.3, h4 10.0.4.4 outside; host i has a link to")
	d.say("    s1 port i and to s2 port 1i, and sends through the one whose switch port is up")

	rules := "MyIngress.ipv4_forward/port"
	tmp, err := os.MkdirTemp("", "lime-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	proxyAddr, admin, stopProxy, err := d.proxy([]string{"--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
		"--device", "vid=1,addr=" + s1Addr, "--port-field", rules, "--journal", filepath.Join(tmp, "journal.db")})
	if err != nil {
		return err
	}
	defer stopProxy()

	ctl, in, err := controller(ctx, proxyAddr, prog, rules)
	if err != nil {
		return err
	}
	defer ctl.Close()
	ups, err := fwdemo.Entries(in, []uint32{1, 2, 3, 4})
	if err != nil {
		return err
	}
	if err := ctl.Write(ctx, ups); err != nil {
		return fmt.Errorf("controller writing through the proxy: %w", err)
	}
	d.section("A controller connects to the proxy (%s) as device 1, as it would to s1", proxyAddr)
	d.say("    it sets the pipeline: %s (cookie 0x1ee7), p4lang's stateful firewall: TCP from outside", dir)
	d.say("    passes only if a SYN from inside set its two bloom-filter register bits")
	d.say("    and writes %d table entries: a /32 route per host, the direction of every pair of ports", len(ups))

	d.section("Traffic through s1")
	if err := d.traffic(hosts, []flow{
		{"h3", "h1", fwdemo.SYN | fwdemo.ACK, false, "unsolicited, from outside"},
		{"h1", "h3", fwdemo.SYN, true, "opens a flow: packets set two register bits"},
		{"h3", "h1", fwdemo.SYN | fwdemo.ACK, true, "the reply of that flow"},
		{"h4", "h1", fwdemo.SYN, false, "another outsider"},
		{"h2", "h4", fwdemo.SYN, true, "h2 opens a flow to h4"},
	}); err != nil {
		return err
	}

	// During the migration: traffic of the open flows both ways, a new flow
	// opened, and the controller writing.
	var sent, delivered, writes atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var trafficErr, writeErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		trafficErr = d.background(hosts, stop, &sent, &delivered)
	}()
	go func() {
		defer wg.Done()
		writeErr = d.churn(ctl, in, stop, &writes)
	}()
	migrateErr := d.lime(migratecmd.New, "migrate", []string{"--admin", admin, "--device", "1",
		"--to-addr", s2Addr, "--to-device-id", "2", "--pipeline", dir,
		"--port-map", "1=11,2=12,3=13,4=14", "--trunk", "9=19",
		"--from-gnmi", s1Addr, "--to-gnmi", s2Addr, "--from-thrift", s1Thrift, "--to-thrift", s2Thrift})
	close(stop)
	wg.Wait()
	if migrateErr != nil {
		return migrateErr
	}
	if err := errors.Join(trafficErr, writeErr); err != nil {
		return err
	}
	lost := sent.Load() - delivered.Load()
	d.say("    meanwhile: %d TCP segments of open flows sent both ways, %d delivered, %d lost;", sent.Load(), delivered.Load(), lost)
	d.say("    the controller wrote %d times through the proxy: recorded while s2 was cloned, replayed, then", writes.Load())
	d.say("    written to both switches until the cut over")
	if err := d.lime(statuscmd.New, "status", []string{"--admin", admin}); err != nil {
		return err
	}

	hosts.Drain()
	d.section("After the migration: s1's host ports are down; traffic goes through s2")
	for i := 1; i <= 4; i++ {
		if s1.Port(fmt.Sprintf("eth%d", i)).Enabled() {
			return fmt.Errorf("s1 port %d is still up", i)
		}
	}
	if err := d.traffic(hosts, []flow{
		{"h3", "h1", fwdemo.ACK, true, "the flow h1 opened on s1: its register bits came along"},
		{"h4", "h2", fwdemo.ACK, true, "the flow h2 opened on s1"},
		{"h3", "h2", fwdemo.ACK, true, "the flow h2 opened during the migration"},
		{"h4", "h1", fwdemo.SYN, false, "an outsider is still blocked"},
		{"h1", "h4", fwdemo.SYN, true, "a new flow opened on s2"},
		{"h4", "h1", fwdemo.SYN | fwdemo.ACK, true, "and its reply"},
	}); err != nil {
		return err
	}
	if lost > 0 {
		d.say("\ndemo OK: s2 is the switch now, with s1's whole state; %d of %d segments were lost on the way", lost, sent.Load())
	} else {
		d.say("\ndemo OK: s2 is the switch now, with s1's whole state; no segment was lost on the way")
	}
	return nil
}

// proxy runs `lime proxy` in the background, its output indented in the
// demo's, and returns its P4Runtime and admin addresses, and how to stop it.
func (d *demo) proxy(args []string) (string, string, func(), error) {
	d.section("$ lime proxy %s", strings.Join(args, " "))
	out := indented{d.out}
	ctx, cancel := context.WithCancel(d.ctx)
	addr, admin, wait, err := proxycmd.Run(ctx, cli.Deps{Out: out, Err: out, Log: slog.New(slog.DiscardHandler)}, args...)
	if err != nil {
		cancel()
		return "", "", nil, fmt.Errorf("lime proxy: %w", err)
	}
	return addr, admin, func() { cancel(); wait() }, nil
}

// indented writes what it is given with each line indented.
type indented struct{ w io.Writer }

func (x indented) Write(p []byte) (int, error) {
	for _, l := range strings.SplitAfter(string(p), "\n") {
		if l != "" {
			if _, err := io.WriteString(x.w, "    "+l); err != nil {
				return 0, err
			}
		}
	}
	return len(p), nil
}

// background sends the open flows' segments both ways until stop, and
// opens a new flow (h2 to h3) at the start.
func (d *demo) background(n *fwdemo.Net, stop <-chan struct{}, sent, delivered *atomic.Int64) error {
	if ok, err := n.Send(d.ctx, "h2", "h3", 40000, 80, fwdemo.SYN, time.Second); err != nil || !ok {
		return fmt.Errorf("h2 opening a flow to h3: delivered %v, %v", ok, err)
	}
	pairs := [][2]string{{"h1", "h3"}, {"h3", "h1"}, {"h2", "h4"}, {"h4", "h2"}, {"h3", "h2"}}
	for i := 0; ; i++ {
		select {
		case <-stop:
			return nil
		case <-time.After(500 * time.Microsecond):
		}
		p := pairs[i%len(pairs)]
		sport, dport := uint16(40000), uint16(80)
		if !fwdemo.HostByName(p[0]).Internal {
			sport, dport = dport, sport
		}
		sent.Add(1)
		ok, err := n.Send(d.ctx, p[0], p[1], sport, dport, fwdemo.ACK, 200*time.Millisecond)
		if err != nil {
			return err
		}
		if ok {
			delivered.Add(1)
		}
	}
}

// churn has the controller add and remove a route through the proxy until
// stop.
func (d *demo) churn(c *client.Client, in *info.Info, stop <-chan struct{}, writes *atomic.Int64) error {
	lpm := in.TableByName("MyIngress.ipv4_lpm")
	drop := in.ActionByName("MyIngress.drop")
	for i := 0; ; i++ {
		select {
		case <-stop:
			return nil
		case <-time.After(2 * time.Millisecond):
		}
		e := &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: lpm.ID,
			Match:  []*p4v1.FieldMatch{{FieldId: lpm.Fields[0].ID, FieldMatchType: &p4v1.FieldMatch_Lpm{Lpm: &p4v1.FieldMatch_LPM{Value: []byte{10, 9, byte(i >> 8), byte(i)}, PrefixLen: 32}}}},
			Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: drop.ID}}}}}}
		typ := p4v1.Update_INSERT
		if i%2 == 1 {
			typ = p4v1.Update_DELETE
			e.GetTableEntry().Match[0].GetLpm().Value = []byte{10, 9, byte((i - 1) >> 8), byte(i - 1)}
			e.GetTableEntry().Action = nil
		}
		if err := c.Write(d.ctx, []*p4v1.Update{{Type: typ, Entity: e}}); err != nil {
			return fmt.Errorf("the controller's write %d through the proxy: %w", i, err)
		}
		writes.Add(1)
	}
}

// controller plays the controller: primary of device 1 at the proxy, sets
// the pipeline.
func controller(ctx context.Context, addr string, prog *pipelines.Program, portField string) (*client.Client, *info.Info, error) {
	c, err := client.Dial(ctx, addr, client.DialOptions{DeviceID: 1, Insecure: true, ElectionID: &client.ElectionID{High: 1},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, nil, err
	}
	if _, err := c.Arbitrate(ctx); err != nil {
		c.Close()
		return nil, nil, err
	}
	if err := c.SetPipeline(ctx, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, prog.P4Info, prog.JSON, 0x1ee7); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("setting the pipeline through the proxy: %w", err)
	}
	in, err := info.New(prog.P4Info, info.WithPortRules(info.DefaultPortRules.Merge(info.PortRules{Names: []string{portField}})))
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, in, nil
}

type flow struct {
	from, to string
	flags    byte
	want     bool
	why      string
}

func (d *demo) traffic(n *fwdemo.Net, flows []flow) error {
	for _, f := range flows {
		sport, dport := uint16(40000), uint16(80)
		if !fwdemo.HostByName(f.from).Internal {
			sport, dport = dport, sport
		}
		got, err := n.Send(d.ctx, f.from, f.to, sport, dport, f.flags, 300*time.Millisecond)
		if err != nil {
			return err
		}
		verdict := map[bool]string{true: "delivered", false: "dropped"}[got]
		d.say("    %s -> %s  TCP %-7s %-10s (%s)", f.from, f.to, flagNames(f.flags), verdict, f.why)
		if got != f.want {
			return fmt.Errorf("%s -> %s was %s, expected %s", f.from, f.to, verdict, map[bool]string{true: "delivered", false: "dropped"}[f.want])
		}
	}
	return nil
}

func flagNames(f byte) string {
	var s []string
	if f&fwdemo.SYN != 0 {
		s = append(s, "SYN")
	}
	if f&fwdemo.ACK != 0 {
		s = append(s, "ACK")
	}
	return strings.Join(s, "/")
}

// lime runs a lime verb in this process, showing its command line.
func (d *demo) lime(verb func(cli.Deps) *cobra.Command, name string, args []string) error {
	d.section("$ lime %s %s", name, strings.Join(args, " "))
	cmd := verb(cli.Deps{Out: d.out, Err: d.out, Log: slog.New(slog.DiscardHandler)})
	cmd.SetArgs(args)
	if err := cmd.ExecuteContext(d.ctx); err != nil {
		var ee *cli.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("lime %s exited %d: %w", name, ee.Code, ee.Err)
		}
		return fmt.Errorf("lime %s: %w", name, err)
	}
	return nil
}
