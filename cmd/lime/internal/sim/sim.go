// Package sim is `lime sim`: start simulated P4 switches (P4Runtime, gNMI
// and optionally bmv2's Thrift API on each) from flags or a YAML topology,
// and run them until interrupted.
package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/signal"
	"strconv"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/bmv2/sim/topo"
	"github.com/lime-p4/lime/cmd/lime/internal/cli"
)

type flags struct {
	topology        string
	devices         int
	pipeline        string
	address         string
	basePort        int
	ports           int
	profile         string
	thriftBasePort  int
	cpuPort         uint32
	shutdownTimeout time.Duration
	tls             cli.ServerTLSFlags
}

// New returns the command.
func New(deps cli.Deps) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "sim [--topology FILE | --devices N --pipeline DIR ...]",
		Short: "Run simulated P4 switches (P4Runtime, gNMI, bmv2 Thrift) until interrupted",
		Long: `Sim starts simulated switches in this process. Each serves P4Runtime and gNMI
on its own address (as a real switch does) and, with --thrift-base-port or a
topology's thrift address, bmv2's Thrift runtime API; each forwards packets
with the bmv2 JSON of its pipeline.

Without --topology, --devices switches s1..sN get device ids 1..N, P4Runtime
addresses ADDRESS:BASE-PORT+i-1 and ports eth1..ethP (ids 1..P), and load the
--pipeline folder (a bmv2 JSON and its P4Info, e.g.
../shared/pipelines/onos-basic; "none" for no pipeline). A --base-port of 0
gives every device an ephemeral port. --topology FILE reads devices, ports
(possibly on Linux interfaces), links and pipelines from YAML (see
bmv2/sim/testdata/two-switches.yaml); the flags that describe devices
cannot be given beside it, but at their defaults (e.g. --pipeline none).

Profile bmv2 answers as simple_switch_grpc does; profile spec adds the
optional P4Runtime features bmv2 lacks. With --tls-cert and --tls-key every
switch serves P4Runtime and gNMI over TLS (mutual TLS with
--tls-client-ca), as a Stratum switch set up with certificates does. The
switches run until SIGINT or SIGTERM, then stop gracefully within
--shutdown-timeout.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return run(ctx, deps, f, describes(cmd.Flags()))
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.topology, "topology", "", "YAML topology file (devices, ports, links, pipelines)")
	fs.IntVar(&f.devices, "devices", 1, "number of switches")
	fs.StringVar(&f.pipeline, "pipeline", "none", `folder with a bmv2 JSON and its P4Info to load, a program name, or "none"`)
	fs.StringVar(&f.address, "address", "127.0.0.1", "address to listen on")
	fs.IntVar(&f.basePort, "base-port", 50001, "P4Runtime/gNMI port of the first switch (the others follow; 0: ephemeral)")
	fs.IntVar(&f.ports, "ports", 4, "ports per switch (eth1..ethN, ids 1..N)")
	fs.StringVar(&f.profile, "profile", "bmv2", "bmv2 (answer as simple_switch_grpc) or spec (the spec's optional features)")
	fs.IntVar(&f.thriftBasePort, "thrift-base-port", 0, "Thrift port of the first switch (the others follow; 0: no Thrift)")
	fs.Uint32Var(&f.cpuPort, "cpu-port", 0, "CPU port (default: the pipeline's cpu_port.txt, else 255)")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 5*time.Second, "bound on the graceful stop")
	f.tls.Register(fs, "P4Runtime and gNMI")
	return cmd
}

// deviceFlags are the flags that describe devices without a topology.
var deviceFlags = []string{"devices", "pipeline", "address", "base-port", "ports", "profile", "thrift-base-port", "cpu-port"}

// describes reports whether a flag was given a value other than its
// default: only such a device flag conflicts with --topology (a script's
// `--pipeline none` next to it asks for nothing the topology must not do).
func describes(fs *pflag.FlagSet) func(name string) bool {
	return func(name string) bool {
		fl := fs.Lookup(name)
		return fl != nil && fl.Changed && fl.Value.String() != fl.DefValue
	}
}

// fromFlags builds the topology the flags describe.
func fromFlags(f *flags) (*topo.Topology, error) {
	if f.devices < 1 {
		return nil, fmt.Errorf("--devices %d: need at least 1", f.devices)
	}
	if f.ports < 0 {
		return nil, fmt.Errorf("--ports %d: cannot be negative", f.ports)
	}
	if _, err := p4rt.ParseProfile(f.profile); err != nil {
		return nil, fmt.Errorf("--profile: %w", err)
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"base-port", f.basePort}, {"thrift-base-port", f.thriftBasePort}} {
		if p.v < 0 || (p.v > 0 && p.v+f.devices-1 > 65535) {
			return nil, fmt.Errorf("--%s %d: ports %d..%d do not fit 1..65535", p.name, p.v, p.v, p.v+f.devices-1)
		}
	}
	t := &topo.Topology{Profile: f.profile, Pipeline: f.pipeline}
	for i := 1; i <= f.devices; i++ {
		port := 0
		if f.basePort > 0 {
			port = f.basePort + i - 1
		}
		d := topo.Device{Name: "s" + strconv.Itoa(i), DeviceID: uint64(i), CPUPort: f.cpuPort,
			P4Runtime: net.JoinHostPort(f.address, strconv.Itoa(port))}
		if f.thriftBasePort > 0 {
			d.Thrift = net.JoinHostPort(f.address, strconv.Itoa(f.thriftBasePort+i-1))
		}
		for p := 1; p <= f.ports; p++ {
			if f.cpuPort != 0 && uint32(p) == f.cpuPort {
				return nil, fmt.Errorf("--ports %d: port id %d is the CPU port", f.ports, p)
			}
			d.Ports = append(d.Ports, topo.Port{Name: "eth" + strconv.Itoa(p), ID: uint32(p)})
		}
		t.Devices = append(t.Devices, d)
	}
	return t, t.Validate()
}

func run(ctx context.Context, deps cli.Deps, f *flags, describes func(string) bool) error {
	fail := func(err error) error { return &cli.ExitError{Code: 2, Err: err} }
	var t *topo.Topology
	var err error
	if f.topology != "" {
		for _, name := range deviceFlags {
			if describes(name) {
				return fail(fmt.Errorf("--%s describes devices: it cannot be combined with --topology", name))
			}
		}
		t, err = topo.Load(f.topology)
	} else {
		t, err = fromFlags(f)
	}
	if err != nil {
		return fail(err)
	}
	creds, err := f.tls.Credentials()
	if err != nil {
		return fail(err)
	}
	n, err := topo.Start(t, topo.Options{Logger: deps.Log, Creds: creds})
	if err != nil {
		return fail(err)
	}
	tw := tabwriter.NewWriter(deps.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tDEVICE_ID\tP4RUNTIME+GNMI\tTHRIFT\tPORTS\tPIPELINE")
	for _, r := range n.Devices() {
		thrift, pipe := r.ThriftAddr, r.Pipeline
		if thrift == "" {
			thrift = "-"
		}
		if pipe == "" {
			pipe = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%s\n", r.Spec.Name, r.Spec.DeviceID, r.Addr, thrift, len(r.Spec.Ports), pipe)
	}
	tw.Flush()
	deps.Log.Info("simulator running; stop with SIGINT or SIGTERM", "devices", len(n.Devices()))

	var serveErr error
	select {
	case <-ctx.Done():
		deps.Log.Info("stopping", "reason", context.Cause(ctx))
	case serveErr = <-n.Err():
		deps.Log.Error("a server failed; stopping", "err", serveErr)
	}
	sctx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	n.Shutdown(sctx)
	if serveErr != nil {
		return fail(serveErr)
	}
	if errors.Is(sctx.Err(), context.DeadlineExceeded) {
		deps.Log.Warn("graceful stop exceeded its bound; servers were stopped forcibly", "timeout", f.shutdownTimeout)
	}
	return nil
}
