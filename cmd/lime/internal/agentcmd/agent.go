package agentcmd

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/credentials"

	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/gnmi/bmv2ports"
)

// Defaults of the flags.
const (
	defaultListen = "127.0.0.1:9339" // gNMI's registered port, on loopback
	defaultThrift = "127.0.0.1:9090" // bmv2's default --thrift-port
)

type flags struct {
	listen   string
	thrift   string
	ports    []string
	netns    string
	target   string
	poll     time.Duration
	tls      cli.ServerTLSFlags
	insecure bool
}

// config is what the flags resolve to.
type config struct {
	listen string
	thrift string
	ports  []bmv2ports.Port
	target string
	poll   time.Duration
	creds  credentials.TransportCredentials // nil: plaintext
}

// New returns the command.
func New(deps cli.Deps) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "agent --thrift HOST:PORT --port NAME=ID@IFACE [--port ...]",
		Short: "Serve gNMI port control for a bmv2 switch (config/enabled, oper-status)",
		Long: `Agent is the gNMI port agent for a plain bmv2 switch (simple_switch_grpc has no
working gNMI). It serves /interfaces/interface[name=NAME] for each --port:
state/id is the bmv2 port number (the P4Runtime port id); setting
config/enabled to false takes the link down at its far end, the peer of a veth
interface (bmv2 1.15.5 stops reading every port while one of its own interfaces
is down; bmv2 keeps the port and reports it down, as bm_dev_mgr_remove_port
never returns), or the interface itself when it has no peer the agent reaches
(its namespace, or one in /var/run/netns); true brings the link up and, when
bmv2 does not have the port, adds it (bm_dev_mgr_add_port over Thrift),
undoing what was done if a step fails;
oper-status is UP only when the interface has carrier and bmv2 has the port
attached, and reaches ON_CHANGE subscribers as it changes (netlink events for
the link, a poll of bmv2's port list every --poll-interval). Counters are the
interface's statistics.

--port NAME=ID@IFACE (repeatable) names a port: NAME is the OpenConfig name
(default IFACE), ID the bmv2 port number, IFACE the Linux interface bmv2 uses
for it (as in simple_switch -i ID@IFACE), looked up in --netns if given.

gNMI is served in plaintext on loopback unless --tls-cert and --tls-key are
given; a non-loopback --listen needs TLS or --insecure. The agent runs until
SIGINT or SIGTERM.`,
		Example: `  lime agent --thrift 127.0.0.1:9090 --port h1=1@veth0 --port h2=2@veth2
  lime agent --listen 127.0.0.1:9340 --thrift 127.0.0.1:9091 --netns sw2 --port 1@s2-eth1`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.resolve()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve(ctx, deps, cfg)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.listen, "listen", defaultListen, "gNMI address to serve on (HOST:PORT)")
	fs.StringVar(&f.thrift, "thrift", defaultThrift, "bmv2's Thrift runtime server (simple_switch_grpc --thrift-port)")
	fs.StringArrayVar(&f.ports, "port", nil, "a port as NAME=ID@IFACE or ID@IFACE (repeatable)")
	fs.StringVar(&f.netns, "netns", "", "network namespace holding the interfaces: a name from \"ip netns\" or a path (default: the agent's own)")
	fs.StringVar(&f.target, "target", "lime", "gNMI target name the agent answers to (requests may also leave it empty)")
	fs.DurationVar(&f.poll, "poll-interval", bmv2ports.DefaultPollInterval,
		fmt.Sprintf("how often bmv2's port list is read for changes (%v to %v)", bmv2ports.MinPollInterval, bmv2ports.MaxPollInterval))
	f.tls.Register(fs, "gNMI")
	fs.BoolVar(&f.insecure, "insecure", false, "allow plaintext gNMI on a non-loopback --listen address")
	return cmd
}

// resolve checks the flags and turns them into a config; the errors name
// the flag.
func (f *flags) resolve() (*config, error) {
	cfg := &config{listen: f.listen, thrift: f.thrift, target: f.target, poll: f.poll}
	if f.target == "" {
		return nil, errors.New("--target: empty target name")
	}
	if f.poll < bmv2ports.MinPollInterval || f.poll > bmv2ports.MaxPollInterval {
		return nil, fmt.Errorf("--poll-interval %v: want %v to %v", f.poll, bmv2ports.MinPollInterval, bmv2ports.MaxPollInterval)
	}
	if _, _, err := net.SplitHostPort(f.thrift); err != nil {
		return nil, fmt.Errorf("--thrift %q: want HOST:PORT: %w", f.thrift, err)
	}
	host, _, err := net.SplitHostPort(f.listen)
	if err != nil {
		return nil, fmt.Errorf("--listen %q: want HOST:PORT: %w", f.listen, err)
	}
	ns, err := namespacePath(f.netns)
	if err != nil {
		return nil, err
	}
	if cfg.ports, err = parsePorts(f.ports, ns); err != nil {
		return nil, err
	}
	if cfg.creds, err = f.tls.Credentials(); err != nil {
		return nil, err
	}
	if cfg.creds == nil && !f.insecure && !loopback(host) {
		return nil, fmt.Errorf("--listen %s is not a loopback address: give --tls-cert and --tls-key, or --insecure to serve plaintext gNMI there", f.listen)
	}
	return cfg, nil
}

// namespacePath resolves --netns: a name made by "ip netns add" (under
// /var/run/netns) or a path (/proc/PID/ns/net); "" is the agent's own.
func namespacePath(ns string) (string, error) {
	if ns == "" {
		return "", nil
	}
	path := ns
	if !strings.Contains(ns, "/") {
		path = filepath.Join("/var/run/netns", ns)
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("--netns %q: no network namespace at %s (make one with \"ip netns add\", or give a path): %w", ns, path, err)
	}
	return path, nil
}

// loopback says whether a listen host reaches only this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
