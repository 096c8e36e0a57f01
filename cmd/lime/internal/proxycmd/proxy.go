// Package proxycmd is `lime proxy`: the mirroring P4Runtime proxy that
// controllers connect to instead of their switches, with the admin API that
// runs migrations (lime migrate, status, abort).
package proxycmd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/migrator/migrate"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/migrator/service"
	"github.com/lime-p4/lime/p4/client"
)

type flags struct {
	listen, admin, journal string
	tokenFile              string
	devices                []string
	electionHigh           uint64
	electionLow            uint64
	ports                  cli.PortFlags
	timeout                time.Duration
	tls                    cli.ServerTLSFlags       // towards the controllers
	switchTLS              cli.ClientTLSFlags       // towards the switches
	serving                func(p4rt, admin string) // told once the proxy serves
}

// switches is the TLS towards the switches; nil (plaintext) when no
// --switch-* flag is given.
func (f *flags) switches() (*client.TLSOptions, error) {
	t := f.switchTLS.TLS("")
	if t == nil {
		return nil, nil
	}
	if _, err := t.Config(); err != nil {
		return nil, fmt.Errorf("--switch-ca/--switch-cert/--switch-key: %w", err)
	}
	return t, nil
}

// New returns the command.
func New(deps cli.Deps) *cobra.Command { return newCommand(deps, nil) }

// Run runs lime proxy with args in the background, in this process (lime
// demo, tests), until ctx ends. It returns once the proxy serves, with its
// P4Runtime and admin addresses and wait, which gives the command's error
// once it ended.
func Run(ctx context.Context, deps cli.Deps, args ...string) (p4rt, admin string, wait func() error, err error) {
	type addrs struct{ p4rt, admin string }
	serving := make(chan addrs, 1)
	cmd := newCommand(deps, func(p, a string) { serving <- addrs{p, a} })
	cmd.SetArgs(args)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	select {
	case a := <-serving:
		return a.p4rt, a.admin, func() error { return <-done }, nil
	case err := <-done:
		if err == nil {
			err = errors.New("lime proxy ended before it served")
		}
		return "", "", nil, err
	}
}

func newCommand(deps cli.Deps, serving func(p4rt, admin string)) *cobra.Command {
	f := &flags{serving: serving}
	cmd := &cobra.Command{
		Use:   "proxy --device vid=1,addr=HOST:PORT[,device-id=N][,gnmi=HOST:PORT][,listen=HOST:PORT] ...",
		Short: "Run the mirroring P4Runtime proxy that controllers talk to during migrations",
		Long: `Proxy stands for switches before their controllers. Point the controller at
--listen (for ONOS: basic.managementAddress grpc://HOST:PORT?device_id=VID)
instead of the switch: it keeps its device id, P4Info, cookie and ports,
while lime migrate moves the switch's state and hosts onto another switch.

Each --device gives a virtual device id (what the controller uses) and the
physical switch behind it: vid=1,addr=127.0.0.1:50001[,device-id=1]
[,gnmi=HOST:PORT][,listen=HOST:PORT]. The proxy becomes the primary controller of each switch
(election id --election-high:--election-low, above the controller's) and
arbitrates the controllers itself, per the P4Runtime spec. With the
switch's gNMI (a Stratum switch's or the simulator's own address, lime
agent's for bmv2), the proxy also serves gNMI on --listen: the interfaces
of the switch the controller knows, each in the state of the switch that
carries its host during and after a migration (targets are device ids).
It answers gNOI's System.Time on --listen too, with which ONOS's Stratum
drivers probe a device's reachability; it refuses reboots.

A device given listen=HOST:PORT also has an address of its own, as a
switch has: P4Runtime, gNMI and gNOI, where a gNMI request that names no
target is that device's (one naming another device is refused). ONOS's
gNMI drivers name none: with several devices, give each its own address
and point ONOS there.

The admin API (--admin, JSON over HTTP) starts, aborts and retries
migrations and reports status and Prometheus metrics (/metrics). It lets
in only clients that send its bearer token (Authorization: Bearer TOKEN;
lime migrate, status and abort send the one in --admin-token-file), or,
with --tls-client-ca, a verified client certificate; everyone else gets
401. The token is read from --admin-token-file (default: beside the
journal, lime-proxy.token), which the proxy creates (mode 0600, 256 random
bits) when absent. Beyond loopback the admin API is served only over TLS
(--tls-cert). Migrations are journalled in --journal and resume when the
proxy restarts. The proxy runs until SIGINT or SIGTERM.

Controllers reach --listen in plaintext, or over TLS with --tls-cert and
--tls-key (and mutual TLS with --tls-client-ca); so does the admin API. The proxy reaches the
switches (their P4Runtime and gNMI, and the targets of migrations) in
plaintext, or over TLS with --switch-ca (and --switch-cert/--switch-key for
mutual TLS).`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          cli.UntilSignal(func(ctx context.Context) error { return run(ctx, deps, f) }),
	}
	fs := cmd.Flags()
	fs.StringVar(&f.listen, "listen", "127.0.0.1:9559", "P4Runtime address controllers connect to")
	fs.StringVar(&f.admin, "admin", "127.0.0.1:9560", "admin API address (HTTP: status, migrate, abort, metrics)")
	fs.StringVar(&f.journal, "journal", "lime-proxy.db", "file that journals migrations (bbolt)")
	fs.StringVar(&f.tokenFile, "admin-token-file", "", "file holding the admin API's bearer token, created when absent (default: the journal's name with .token)")
	fs.StringArrayVar(&f.devices, "device", nil, "a virtual device and the switch behind it: vid=N,addr=HOST:PORT[,device-id=N][,gnmi=HOST:PORT][,listen=HOST:PORT, its own address] (repeatable)")
	fs.Uint64Var(&f.electionHigh, "election-high", 1, "high 64 bits of the proxy's election id towards the switches")
	fs.Uint64Var(&f.electionLow, "election-low", 0, "low 64 bits of the proxy's election id towards the switches")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Second, "how long to wait for each switch to answer at start")
	f.tls.Register(fs, "P4Runtime and gNMI")
	f.switchTLS.Register(fs, "switch-", "switches (P4Runtime and gNMI)")
	f.ports.RegisterRules(fs) // the port map comes with each migration (lime migrate)
	return cmd
}

// deviceSpec is one --device.
type deviceSpec struct {
	vid, deviceID uint64
	addr, gnmi    string
	listen        string // the device's own address (none: only --listen)
}

func parseDevice(s string) (deviceSpec, error) {
	var d deviceSpec
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return d, fmt.Errorf("--device %q: %q is not KEY=VALUE", s, kv)
		}
		var err error
		switch k {
		case "vid":
			d.vid, err = strconv.ParseUint(v, 10, 64)
		case "device-id":
			d.deviceID, err = strconv.ParseUint(v, 10, 64)
		case "addr":
			d.addr = v
		case "gnmi":
			d.gnmi = v
		case "listen":
			d.listen = v
		default:
			return d, fmt.Errorf("--device %q: unknown key %q (want vid, addr, device-id, gnmi, listen)", s, k)
		}
		if err != nil {
			return d, fmt.Errorf("--device %q: %s: %w", s, k, err)
		}
	}
	if d.vid == 0 || d.addr == "" {
		return d, fmt.Errorf("--device %q: vid and addr are required", s)
	}
	if d.deviceID == 0 {
		d.deviceID = d.vid
	}
	return d, nil
}

func run(ctx context.Context, deps cli.Deps, f *flags) error {
	if len(f.devices) == 0 {
		return &cli.ExitError{Code: 2, Err: errors.New("no --device: give at least one virtual device and its switch")}
	}
	rules := f.ports.Rules()
	eid := client.ElectionID{High: f.electionHigh, Low: f.electionLow}
	adminTLS, err := f.tls.Config()
	if err != nil {
		return &cli.ExitError{Code: 2, Err: err}
	}
	if err := checkAdminAddr(f.admin, adminTLS != nil); err != nil {
		return &cli.ExitError{Code: 2, Err: err}
	}
	auth, tokenNote, err := f.adminAuth()
	if err != nil {
		return &cli.ExitError{Code: 2, Err: err}
	}
	creds, err := f.tls.Credentials()
	if err != nil {
		return &cli.ExitError{Code: 2, Err: err}
	}
	switchTLS, err := f.switches()
	if err != nil {
		return &cli.ExitError{Code: 2, Err: err}
	}
	j, err := migrate.OpenJournal(f.journal)
	if err != nil {
		return &cli.ExitError{Code: 2, Err: err}
	}
	defer j.Close()
	svcOpts := service.Options{ElectionID: eid, Rules: rules, Journal: j, TLS: switchTLS, Log: deps.Log, Auth: auth}
	p := proxy.New(proxy.Options{Log: deps.Log, Shadows: j, CutOvers: j})
	var backends []*proxy.Backend
	defer func() {
		p.Close()
		for _, b := range backends {
			b.Close()
		}
	}()
	var own []deviceSpec // the devices with an address of their own
	for _, s := range f.devices {
		d, err := parseDevice(s)
		if err != nil {
			return &cli.ExitError{Code: 2, Err: err}
		}
		if d.listen != "" {
			own = append(own, d)
		}
		// A device the journal says was cut over stands for its new switch.
		dctx, cancel := context.WithTimeout(ctx, f.timeout)
		target, st, err := service.Migrated(dctx, j, d.vid, svcOpts)
		if err == nil && target != nil {
			backends = append(backends, target)
			_, err = p.AddMigratedDevice(dctx, d.vid, target, *st)
			cancel()
			if err != nil {
				return &cli.ExitError{Code: 2, Err: err}
			}
			deps.Log.Info("device migrated before: standing for its new switch", "device", d.vid, "switch", target.Name, "not", d.addr)
			continue
		}
		if err != nil {
			cancel()
			return &cli.ExitError{Code: 2, Err: fmt.Errorf("device %d: %w", d.vid, err)}
		}
		b, g, err := svcOpts.DialBackend(dctx, d.addr, d.deviceID, d.gnmi)
		cancel()
		if err != nil {
			return &cli.ExitError{Code: 2, Err: fmt.Errorf("device %d: %w", d.vid, err)}
		}
		backends = append(backends, b)
		if g != nil {
			defer g.Close()
		}
		if _, err := p.AddDevice(d.vid, b); err != nil {
			return &cli.ExitError{Code: 2, Err: err}
		}
	}
	svc := service.New(p, svcOpts)
	defer svc.Close()
	// Migrations the journal holds take up where they stood before the
	// proxy serves: a device whose hosts were on its target reads as the
	// controller wrote it only once its mirror is attached again.
	if err := svc.Restore(ctx); err != nil {
		deps.Log.Warn("restoring journalled migrations", "err", err)
	}

	lis, err := net.Listen("tcp", f.listen)
	if err != nil {
		return &cli.ExitError{Code: 2, Err: fmt.Errorf("--listen: %w", err)}
	}
	alis, err := net.Listen("tcp", f.admin)
	if err != nil {
		lis.Close()
		return &cli.ExitError{Code: 2, Err: fmt.Errorf("--admin: %w", err)}
	}
	owns, err := listenOwn(own)
	if err != nil {
		lis.Close()
		alis.Close()
		return &cli.ExitError{Code: 2, Err: err}
	}
	gopts := []grpc.ServerOption{grpc.MaxRecvMsgSize(64 << 20)}
	security := ""
	if creds != nil {
		gopts, security = append(gopts, grpc.Creds(creds)), " (P4Runtime, gNMI and gNOI over TLS)"
	}
	g := grpc.NewServer(gopts...)
	proxy.Register(g, p)
	gn := proxy.RegisterGNMI(g, p)
	defer gn.Close()
	proxy.RegisterGNOI(g)
	servers := []*grpc.Server{g}
	for _, o := range owns { // a device's own address: no gNMI target names it
		og := grpc.NewServer(gopts...)
		proxy.Register(og, p)
		gpb.RegisterGNMIServer(og, gn.ForDevice(o.vid))
		proxy.RegisterGNOI(og)
		servers = append(servers, og)
	}
	hs := &http.Server{Handler: svc.Handler(), ReadHeaderTimeout: 10 * time.Second, TLSConfig: adminTLS,
		ErrorLog: slog.NewLogLogger(deps.Log.Handler(), slog.LevelDebug)} // failed handshakes, bad requests
	if adminTLS != nil {
		alis = tls.NewListener(alis, adminTLS)
		security = " (P4Runtime, gNMI, gNOI and the admin API over TLS)"
	}
	errc := make(chan error, 2+len(owns))
	go func() { errc <- g.Serve(lis) }()
	go func() { errc <- hs.Serve(alis) }()
	for i, o := range owns {
		go func() { errc <- servers[1+i].Serve(o.lis) }()
	}
	fmt.Fprintf(deps.Out, "lime proxy: P4Runtime on %s, admin API on %s%s\n  admin token: %s\n", lis.Addr(), alis.Addr(), security, tokenNote)
	for _, d := range p.Devices() {
		note := ""
		if d.Migrated() {
			note = " (migrated onto it before, per the journal)"
		}
		fmt.Fprintf(deps.Out, "  device %d -> %s%s\n", d.ID(), d.Authoritative().Name, note)
	}
	for _, o := range owns {
		fmt.Fprintf(deps.Out, "  device %d also on %s (P4Runtime, gNMI and gNOI: an address of its own)\n", o.vid, o.lis.Addr())
	}
	if f.serving != nil {
		f.serving(lis.Addr().String(), alis.Addr().String())
	}
	svc.Start()
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(sctx)
	stopped := make(chan struct{})
	go func() { // at once: a server draining a controller's stream must not keep another accepting
		var wg sync.WaitGroup
		for _, s := range servers {
			wg.Go(s.GracefulStop)
		}
		wg.Wait()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-sctx.Done():
		for _, s := range servers {
			s.Stop()
		}
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, grpc.ErrServerStopped) {
		return &cli.ExitError{Code: 2, Err: err}
	}
	return nil
}

// ownListener is the listener of a device's own address.
type ownListener struct {
	vid uint64
	lis net.Listener
}

// listenOwn listens on the own addresses of devices; on an error it
// closes what it opened and names the device.
func listenOwn(devices []deviceSpec) ([]ownListener, error) {
	var out []ownListener
	for _, d := range devices {
		l, err := net.Listen("tcp", d.listen)
		if err != nil {
			for _, o := range out {
				o.lis.Close()
			}
			return nil, fmt.Errorf("--device vid=%d: listen=%s: %w", d.vid, d.listen, err)
		}
		out = append(out, ownListener{d.vid, l})
	}
	return out, nil
}

// checkAdminAddr refuses an admin API beyond loopback without TLS: its
// token would cross the network in the clear.
func checkAdminAddr(addr string, withTLS bool) error {
	if withTLS {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--admin %s: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--admin %s is beyond loopback: serve the admin API over TLS (--tls-cert, --tls-key) or keep it on 127.0.0.1", addr)
}

// adminAuth is the admin API's credential: the token of --admin-token-file
// (made when absent), and verified client certificates with
// --tls-client-ca. note says where the token is, for the user.
func (f *flags) adminAuth() (auth *service.Auth, note string, err error) {
	path := f.tokenFile
	if path == "" {
		path = strings.TrimSuffix(f.journal, filepath.Ext(f.journal)) + ".token"
	}
	token, created, err := service.LoadOrCreateToken(path)
	if err != nil {
		return nil, "", fmt.Errorf("--admin-token-file: %w", err)
	}
	note = path
	if created {
		note += " (made now)"
	}
	hint := "lime migrate, status and abort send the one in --admin-token-file " + path
	if f.tls.ClientCA != "" {
		hint += ", or a client certificate signed by --tls-client-ca"
	}
	return &service.Auth{Token: token, ClientCerts: f.tls.ClientCA != "", Hint: hint}, note, nil
}
