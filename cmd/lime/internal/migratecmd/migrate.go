// Package migratecmd is `lime migrate`: ask a lime proxy to move one of
// its virtual devices onto another switch, and follow it.
package migratecmd

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/migrator/migrate"
	"github.com/lime-p4/lime/migrator/plan"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/migrator/service"
)

type flags struct {
	admin                      cli.AdminFlags
	ports                      cli.PortFlags
	device                     uint64
	to                         service.Endpoint
	fromGNMI, fromThrift       string
	hosts                      []uint
	cpuPort                    uint64
	trunk, pipeline            string
	planFile                   string
	settle                     time.Duration
	force, wait, retry, asJSON bool
}

// New returns the command.
func New(deps cli.Deps) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "migrate --plan FILE | --device VID --to-addr HOST:PORT --port-map MAP [--trunk S=T] ...",
		Short: "Live-migrate a network, or one virtual device, of a lime proxy onto new switches",
		Long: `Migrate --plan FILE moves a whole network: every virtual device the plan
names onto its new switch, and their hosts in host groups, as one ensemble
(DESIGN.md, "Migration of a network"). The plan (YAML) is checked whole
before anything is written, each problem named with its line:

  devices:
    - vid: 1                                # the virtual device at the proxy
      to: {addr: 127.0.0.1:50011, device_id: 11, gnmi: 127.0.0.1:50011, thrift: 127.0.0.1:9111}
      from: {gnmi: 127.0.0.1:50001, thrift: 127.0.0.1:9101}
      pipeline: pipelines/lime_router       # the target's compilation (relative to the file)
      ports: {1: 11, 2: 12, 3: 13, 255: 255}  # every port: virtual -> target
      hosts: [1, 2]                         # ports whose hosts move
      links: {3: "2:3"}                     # ports to another device of the plan (vid:port)
      cpu: 255                              # the CPU port (default 255 when mapped)
      trunk: "9=19"                         # source port = target port of the link joining them
  groups: [["1:1", "2:1"], ["1:2", "2:2"]]  # host groups in order (default: device by device)
  pause_after: [1]                          # stop after these groups (lime migrate --retry goes on)
  settle: 200ms                             # a host's new port up this long before its old goes down
  parallel: 4                               # device steps at once

Every device is validated first (all or nothing), then prepared (pipeline,
mirror, clone, catch-up, verify) concurrently; the new switches' link ports
and trunks come up; the host groups move in order (a group may span
switches; each host make before break); every device cuts over once every
host moved; the old network's links and trunks go down. lime status shows
the plan by device and by host group; lime abort --plan undoes it (before
any device cut over), lime migrate --retry runs its failed tasks again or
goes on from a pause. Exit status: 0 when every device cut over or the plan
paused as it says, 1 when a task failed or it was aborted, 2 on error.

Migrate --device asks the lime proxy (--admin) to move virtual device --device from
its switch onto the switch at --to-addr, while its controller keeps working
and traffic flows (DESIGN.md, "Migration of one virtual device"):

  validate   the target runs the same program (or gets --pipeline, its own
             compilation of it), holds nothing (unless --force), and the
             port map covers every port the state uses
  pipeline   the target's pipeline, with the source's cookie
  mirror     the proxy records every write from now on
  clone      the source's state onto the target (ids by name, ports by map)
  catch-up   the recorded writes replayed; every write reaches both since
  verify     source and target compared
  move-host  one host at a time, make before break: its target port up
             (gNMI), the state follows, its source port down; with --trunk,
             traffic between hosts on different switches crosses the trunk
  cut-over   the target is the device; the source is released

--port-map maps every port of the source to the target's (the CPU port
too); --hosts are the ports whose hosts move (default: every mapped port
but --cpu-port). Give the switches' gNMI addresses (--from-gnmi, --to-gnmi)
for lime to switch ports; without, hosts are moved by other means and lime
moves the state. Registers on bmv2 travel over Thrift (--from-thrift,
--to-thrift).

It follows the migration until it ends (--wait=false returns at once).
Exit status: 0 when cut over, 1 when it failed or was aborted (lime abort
undoes it; lime migrate --retry runs the failed step again), 2 on error.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          cli.UntilSignal(func(ctx context.Context) error { return run(ctx, deps, f) }),
	}
	fs := cmd.Flags()
	f.admin.Register(fs)
	f.ports.RegisterMap(fs) // the proxy's port rules apply
	fs.Uint64Var(&f.device, "device", 0, "the virtual device to migrate (its id at the proxy)")
	fs.StringVar(&f.to.Addr, "to-addr", "", "P4Runtime address of the target switch")
	fs.Uint64Var(&f.to.DeviceID, "to-device-id", 1, "P4Runtime device id of the target switch")
	fs.StringVar(&f.to.GNMI, "to-gnmi", "", "gNMI address of the target switch (to enable host ports)")
	fs.StringVar(&f.to.Thrift, "to-thrift", "", "bmv2 Thrift address of the target switch (registers)")
	fs.StringVar(&f.fromGNMI, "from-gnmi", "", "gNMI address of the source switch (to disable host ports)")
	fs.StringVar(&f.fromThrift, "from-thrift", "", "bmv2 Thrift address of the source switch (registers)")
	fs.UintSliceVar(&f.hosts, "hosts", nil, "source ports whose hosts move, in order (default: every mapped port but --cpu-port)")
	fs.Uint64Var(&f.cpuPort, "cpu-port", 255, "the CPU port, which maps but does not move")
	fs.StringVar(&f.trunk, "trunk", "", "SOURCE_PORT=TARGET_PORT of the link joining the two switches")
	fs.StringVar(&f.pipeline, "pipeline", "", "folder with the target's own compilation of the program (bmv2 JSON and P4Info), set on it")
	fs.BoolVar(&f.force, "force", false, "migrate onto a target that holds state already")
	fs.DurationVar(&f.settle, "settle", 0, "how long a host's new port is up, at least, before its old port goes down (the hosts' time to move to a new link: a bond's updelay)")
	fs.BoolVar(&f.wait, "wait", true, "follow the migration until it ends")
	fs.BoolVar(&f.retry, "retry", false, "run the failed step of --device's migration again (without --device: the plan's failed tasks)")
	fs.StringVar(&f.planFile, "plan", "", "a plan file (YAML): migrate the network it describes")
	fs.BoolVar(&f.asJSON, "json", false, "print the final status as JSON")
	return cmd
}

func (f *flags) spec() (service.Spec, error) {
	s := service.Spec{Device: f.device, Target: f.to, SourceGNMI: f.fromGNMI, SourceThrift: f.fromThrift, Force: f.force, Settle: f.settle}
	if f.device == 0 {
		return s, errors.New("--device: which virtual device?")
	}
	if f.to.Addr == "" {
		return s, errors.New("--to-addr: where to?")
	}
	pm, err := f.ports.PortMap()
	if err != nil {
		return s, err
	}
	if pm == nil {
		return s, errors.New("--port-map: map every port of the source to the target's (the CPU port too)")
	}
	s.PortMap = pm.String()
	if len(f.hosts) > 0 {
		for _, h := range f.hosts {
			s.Hosts = append(s.Hosts, uint64(h))
		}
	} else {
		for _, p := range pm.Numbers() {
			if p != f.cpuPort {
				s.Hosts = append(s.Hosts, p)
			}
		}
	}
	if f.trunk != "" {
		a, b, ok := strings.Cut(f.trunk, "=")
		sp, err1 := strconv.ParseUint(a, 10, 64)
		tp, err2 := strconv.ParseUint(b, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return s, fmt.Errorf("--trunk %q: want SOURCE_PORT=TARGET_PORT", f.trunk)
		}
		s.Trunk = &proxy.Trunk{Source: sp, Target: tp}
	}
	if f.pipeline != "" {
		prog, err := cli.LoadPipeline(f.pipeline)
		if err != nil {
			return s, err
		}
		s.Pipeline = &service.Pipeline{P4Info: prog.P4InfoText, DeviceConfig: prog.JSON}
	}
	return s, nil
}

func run(ctx context.Context, deps cli.Deps, f *flags) error {
	if f.planFile != "" || (f.retry && f.device == 0) {
		return runPlan(ctx, deps, f)
	}
	c, err := f.admin.Client()
	if err != nil {
		return &cli.ExitError{Code: 2, Err: err}
	}
	from := 0
	if f.retry {
		if f.device == 0 {
			return &cli.ExitError{Code: 2, Err: errors.New("--retry: which --device?")}
		}
		before, err := c.Status(ctx)
		if err != nil {
			return &cli.ExitError{Code: 2, Err: err}
		}
		from = cli.HistoryLen(before, f.device)
		if _, err := c.Retry(ctx, f.device); err != nil {
			return &cli.ExitError{Code: 2, Err: err}
		}
	} else {
		spec, err := f.spec()
		if err != nil {
			return &cli.ExitError{Code: 2, Err: err}
		}
		if _, err := c.Migrate(ctx, spec); err != nil {
			return &cli.ExitError{Code: 2, Err: err}
		}
	}
	if !f.wait {
		return nil
	}
	st, err := cli.Follow(ctx, c, f.device, from, deps.Err)
	if err != nil {
		return &cli.ExitError{Code: 2, Err: err}
	}
	if f.asJSON {
		if err := deps.PrintJSON(st); err != nil {
			return &cli.ExitError{Code: 2, Err: err}
		}
	}
	return outcome(st)
}

// outcome is the exit status of a migration that stopped: nil when it cut
// over, exit 1 otherwise.
func outcome(st service.DeviceStatus) error {
	m := st.Migration
	switch {
	case m.State.Step == migrate.Done:
		return nil
	case m.State.Failed != "":
		return &cli.ExitError{Code: 1, Err: fmt.Errorf("device %d: migration stopped at %v: %s (lime migrate --retry, or lime abort)", st.Device, m.State.Step, m.State.Failed)}
	case m.State.Step == migrate.Aborted:
		return &cli.ExitError{Code: 1, Err: fmt.Errorf("device %d: migration aborted", st.Device)}
	}
	return &cli.ExitError{Code: 1, Err: fmt.Errorf("device %d: migration at %v", st.Device, m.State.Step)}
}

// runPlan starts (or retries) a network migration and follows it.
func runPlan(ctx context.Context, deps cli.Deps, f *flags) error {
	c, err := f.admin.Client()
	if err != nil {
		return &cli.ExitError{Code: 2, Err: err}
	}
	from := 0
	if f.retry {
		before, err := c.Plan(ctx)
		if errors.Is(err, service.ErrNoPlan) {
			return &cli.ExitError{Code: 2, Err: errors.New("--retry: the proxy runs no plan (and no --device was given)")}
		}
		if err != nil {
			return &cli.ExitError{Code: 2, Err: err}
		}
		from = len(before.History)
		if _, err := c.RetryPlan(ctx); err != nil {
			return &cli.ExitError{Code: 2, Err: err}
		}
	} else {
		if f.device != 0 || f.to.Addr != "" {
			return &cli.ExitError{Code: 2, Err: errors.New("--plan names every device and its target: leave out --device and --to-*")}
		}
		p, err := cli.LoadPlan(f.planFile)
		if err != nil {
			return &cli.ExitError{Code: 2, Err: err}
		}
		fmt.Fprintf(deps.Err, "plan %s: %d devices, %d host groups\n", p.File, len(p.Devices), len(p.Groups))
		if _, err := c.StartPlan(ctx, p); err != nil {
			return &cli.ExitError{Code: 2, Err: err}
		}
	}
	if !f.wait {
		return nil
	}
	st, err := cli.FollowPlan(ctx, c, from, deps.Err)
	if err != nil {
		return &cli.ExitError{Code: 2, Err: err}
	}
	if f.asJSON {
		if err := deps.PrintJSON(st); err != nil {
			return &cli.ExitError{Code: 2, Err: err}
		}
	}
	return planOutcome(deps, st)
}

// planOutcome is the exit status of a plan that stopped: nil when every
// device cut over or it paused where it was told to, exit 1 otherwise.
func planOutcome(deps cli.Deps, st *service.PlanStatus) error {
	switch {
	case st.State.Phase == plan.PhaseDone:
		return nil
	case st.State.Paused != 0 && st.Error == "":
		fmt.Fprintf(deps.Err, "plan %s: paused after host group %d, as it says: lime migrate --retry goes on, lime abort --plan undoes it\n", st.File, st.State.Paused)
		return nil
	case st.State.Phase == plan.PhaseAborted:
		return &cli.ExitError{Code: 1, Err: fmt.Errorf("plan %s: aborted", st.File)}
	}
	why := st.Error
	if why == "" {
		why = "stopped"
	}
	return &cli.ExitError{Code: 1, Err: fmt.Errorf("plan %s: %s (lime migrate --retry, or lime abort --plan)", st.File, why)}
}
