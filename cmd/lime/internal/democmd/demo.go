// Package democmd is `lime demo`: the main job on the embedded simulator.
// Two simulated bmv2 switches run in this process; a controller programs
// the first with a stateful firewall and traffic flows through it; `lime
// clone` copies its whole state (table entries and the register values
// that packets wrote) onto the second, whose ports are numbered
// differently; `lime diff` checks the copy; the hosts move to the second
// switch and their traffic is forwarded exactly as before.
package democmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"github.com/spf13/cobra"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/cmd/lime/internal/clonecmd"
	"github.com/lime-p4/lime/cmd/lime/internal/diffcmd"
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
		Short: "Clone a running simulated switch onto another, with traffic through both",
		Long: `Demo runs two simulated bmv2 switches in this process. A controller programs the
first with p4lang's stateful firewall (registers-firewall) and hosts send TCP
through it: a flow opened from inside sets register bits that let its replies in.
Then lime clone copies the switch's whole state, registers included (over bmv2's
Thrift API, as on real bmv2), onto the second switch, whose ports are numbered
11-14 instead of 1-4; lime diff compares them; and the hosts, moved to the second
switch, see their traffic forwarded exactly as before.`,
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
// loopback ports of its own.
func switchUp(id uint64, name string, ports []uint32) (*sim.Device, string, string, error) {
	dev, err := sim.New(sim.Options{Name: name, DeviceID: id, Profile: p4rt.ProfileBMv2, Ports: fwdemo.PortSpecs(ports...),
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
	d.say("lime demo: clone a running switch's whole state onto a new switch, with traffic through both")

	srcPorts, dstPorts := []uint32{1, 2, 3, 4}, []uint32{11, 12, 13, 14}
	s1, s1Addr, s1Thrift, err := switchUp(1, "s1", srcPorts)
	if err != nil {
		return err
	}
	defer s1.Close()
	s2, s2Addr, s2Thrift, err := switchUp(2, "s2", dstPorts)
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

	d.section("Source switch s1 (bmv2 profile): P4Runtime %s, Thrift %s, ports 1-4", s1Addr, s1Thrift)
	d.say("    program: %s (p4lang tutorials' stateful firewall: TCP from outside passes only if a SYN from", dir)
	d.say("    inside set its two bloom-filter register bits)")
	d.say("    hosts: h1 10.0.1.1 (port 1), h2 10.0.2.2 (port 2) inside; h3 10.0.3.3 (port 3), h4 10.0.4.4 (port 4) outside")
	ctl, in, err := controller(ctx, s1Addr, prog)
	if err != nil {
		return err
	}
	defer ctl.Close()
	ups, err := fwdemo.Entries(in, srcPorts)
	if err != nil {
		return err
	}
	if err := ctl.Write(ctx, ups); err != nil {
		return fmt.Errorf("controller writing to s1: %w", err)
	}
	d.say("    a controller set the pipeline (cookie 0x1ee7) and wrote %d table entries: a /32 route per host,", len(ups))
	d.say("    and the direction (inside->outside or back) of every pair of ports")

	n1, err := fwdemo.Attach(s1)
	if err != nil {
		return err
	}
	defer n1.Close()
	d.section("Traffic through s1")
	if err := d.traffic(n1, []flow{
		{"h3", "h1", fwdemo.SYN | fwdemo.ACK, false, "unsolicited, from outside"},
		{"h1", "h3", fwdemo.SYN, true, "opens a flow: packets set two register bits"},
		{"h3", "h1", fwdemo.SYN | fwdemo.ACK, true, "the reply of that flow"},
		{"h4", "h1", fwdemo.SYN, false, "another outsider"},
		{"h2", "h4", fwdemo.SYN, true, "h2 opens a flow to h4"},
	}); err != nil {
		return err
	}

	d.section("Target switch s2 (bmv2 profile): P4Runtime %s, Thrift %s, ports 11-14 (empty, no pipeline yet)", s2Addr, s2Thrift)
	common := []string{"--from-addr", s1Addr, "--from-thrift", s1Thrift, "--to-addr", s2Addr, "--to-device-id", "2", "--to-thrift", s2Thrift,
		"--port-map", "1=11,2=12,3=13,4=14", "--port-field", "MyIngress.ipv4_forward/port"}
	cloneArgs := append([]string{"--pipeline", dir, "--no-progress"}, common...)
	if err := d.lime(clonecmd.New, "clone", cloneArgs); err != nil {
		return err
	}
	if err := d.lime(diffcmd.New, "diff", append(common, "--volatile")); err != nil {
		return err
	}

	n1.Close()
	n2, err := fwdemo.Attach(s2)
	if err != nil {
		return err
	}
	defer n2.Close()
	d.section("The hosts move to s2; traffic through s2")
	if err := d.traffic(n2, []flow{
		{"h3", "h1", fwdemo.ACK, true, "the flow h1 opened on s1: its register bits came along"},
		{"h4", "h2", fwdemo.ACK, true, "the flow h2 opened on s1"},
		{"h4", "h1", fwdemo.SYN, false, "an outsider is still blocked"},
		{"h1", "h4", fwdemo.SYN, true, "a new flow opened on s2"},
		{"h4", "h1", fwdemo.SYN | fwdemo.ACK, true, "and its reply"},
	}); err != nil {
		return err
	}
	d.say("\ndemo OK: s2 holds s1's whole state, ports renumbered, and forwards exactly as s1 did")
	return nil
}

// controller plays the controller: primary on s1, sets the pipeline.
func controller(ctx context.Context, addr string, prog *pipelines.Program) (*client.Client, *info.Info, error) {
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
		return nil, nil, fmt.Errorf("setting s1's pipeline: %w", err)
	}
	in, err := info.New(prog.P4Info, info.WithPortRules(info.DefaultPortRules.Merge(info.PortRules{Names: []string{"MyIngress.ipv4_forward/port"}})))
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
	cmd := verb(cli.Deps{Out: d.out, Err: d.deps.Err, Log: slog.New(slog.DiscardHandler)})
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
