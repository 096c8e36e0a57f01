package proxycmd_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	spb "github.com/openconfig/gnoi/system"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	gstatus "google.golang.org/grpc/status"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/bmv2/sim/port"
	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/cmd/lime/internal/proxycmd"
	gnmiclient "github.com/lime-p4/lime/gnmi/client"
	"github.com/lime-p4/lime/internal/freeport"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/internal/syncbuf"
	"github.com/lime-p4/lime/internal/testcert"
	"github.com/lime-p4/lime/p4/client"
)

// runProxy runs `lime proxy` with args until the test ends; err is its
// failure to start.
func runProxy(t *testing.T, args ...string) (addr string, out *syncbuf.Buffer, err error) {
	t.Helper()
	out = &syncbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	args = append([]string{"--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--journal", filepath.Join(t.TempDir(), "j.db"), "--timeout", "3s"}, args...)
	addr, _, wait, err := proxycmd.Run(ctx, cli.Deps{Out: out, Err: out, Log: slog.New(slog.DiscardHandler)}, args...)
	if err != nil {
		cancel()
		return "", out, err
	}
	t.Cleanup(func() {
		cancel()
		if err := wait(); err != nil {
			t.Errorf("lime proxy: %v", err)
		}
	})
	return addr, out, nil
}

// TLS both ways: the proxy reaches a switch that serves P4Runtime over TLS
// (--switch-ca), and serves controllers over TLS (--tls-cert, --tls-key),
// gNOI's System.Time included;
// a plaintext controller gets nowhere, and a proxy without the switch's CA
// does not start, naming the switch.
func TestProxyTLS(t *testing.T) {
	ca := testcert.NewCA(t, "lime test CA")
	loopback := []net.IP{net.ParseIP("127.0.0.1")}
	switchCert := ca.Issue(t, "switch", x509.ExtKeyUsageServerAuth, nil, loopback)
	proxyCertFile, proxyKeyFile := ca.Issue(t, "proxy", x509.ExtKeyUsageServerAuth, nil, loopback).WriteFiles(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	sw := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, Cookie: 3,
		TLS: &tls.Config{Certificates: []tls.Certificate{switchCert.TLS}}, ClientTLS: &client.TLSOptions{CA: ca.Pool()}})

	addr, out, err := runProxy(t, "--device", "vid=1,addr="+sw.Addr, "--election-high", "10",
		"--switch-ca", caFile, "--tls-cert", proxyCertFile, "--tls-key", proxyKeyFile)
	if err != nil {
		t.Fatalf("lime proxy: %v\n%s", err, out)
	}
	if !strings.Contains(out.String(), "over TLS") {
		t.Errorf("lime proxy does not say it serves TLS:\n%s", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, addr, client.DialOptions{DeviceID: 1, TLS: &client.TLSOptions{CA: ca.Pool()}, ElectionID: &client.ElectionID{High: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.Arbitrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg, err := c.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_P4INFO_AND_COOKIE)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GetCookie().GetCookie() != 3 || len(cfg.GetP4Info().GetTables()) != len(sw.Info.Tables) {
		t.Fatalf("pipeline through the proxy: cookie %d, %d tables; the switch has cookie 3, %d tables",
			cfg.GetCookie().GetCookie(), len(cfg.GetP4Info().GetTables()), len(sw.Info.Tables))
	}

	// gNOI on the same address, as ONOS's Stratum drivers probe it.
	before := time.Now()
	tr, err := spb.NewSystemClient(c.Conn()).Time(ctx, &spb.TimeRequest{})
	if err != nil {
		t.Fatalf("gNOI System.Time through lime proxy: %v", err)
	}
	if at := time.Unix(0, int64(tr.GetTime())); at.Before(before) || at.After(time.Now()) {
		t.Errorf("gNOI System.Time: %v, not between the call's start %v and end", at, before)
	}

	pctx, pcancel := context.WithTimeout(ctx, time.Second)
	defer pcancel()
	if pc, err := client.Dial(pctx, addr, client.DialOptions{DeviceID: 1, Insecure: true}); err == nil {
		pc.Close()
		t.Error("a plaintext controller reached the TLS proxy")
	}

	_, out, err = runProxy(t, "--device", "vid=1,addr="+sw.Addr, "--election-high", "10")
	if err == nil || !strings.Contains(err.Error(), sw.Addr) {
		t.Fatalf("proxy without the switch's CA: %v, want an error naming %s\n%s", err, sw.Addr, out)
	}
	if _, _, err := runProxy(t, "--device", "vid=1,addr="+sw.Addr, "--switch-cert", proxyCertFile); err == nil || !strings.Contains(err.Error(), "--switch-key") {
		t.Fatalf("--switch-cert without --switch-key: %v", err)
	}
}

// A device given listen=HOST:PORT has an address of its own, as a switch
// has: P4Runtime, gNMI and gNOI, where a gNMI request that names no target
// (or the device) is that device's, and one naming another is refused (ONOS's gNMI drivers, OpenConfigGnmiDeviceDescription-
// Discovery, name none). On the shared --listen, such a request is refused
// once the proxy stands for two devices, saying what to do.
func TestDeviceOwnAddress(t *testing.T) {
	start := func(id uint64, ports ...string) *simtest.Device {
		var specs []sim.PortSpec
		for i, n := range ports {
			specs = append(specs, sim.PortSpec{Name: n, ID: uint32(i + 1)})
		}
		return simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, DeviceID: id, Ports: specs})
	}
	s1, s2 := start(1, "s1-eth1"), start(2, "s2-eth1", "s2-eth2")
	own := freeport.Addr(t)
	addr, out, err := runProxy(t, "--device", "vid=1,addr="+s1.Addr+",gnmi="+s1.Addr,
		"--device", "vid=2,addr="+s2.Addr+",gnmi="+s2.Addr+",listen="+own, "--election-high", "10")
	if err != nil {
		t.Fatalf("lime proxy: %v\n%s", err, out)
	}
	if !strings.Contains(out.String(), "device 2 also on "+own) {
		t.Errorf("lime proxy does not say where device 2 is served:\n%s", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	names := func(at string) ([]string, error) {
		g, err := gnmiclient.Dial(ctx, at, gnmiclient.WithInsecure())
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		ifs, err := g.Interfaces(ctx) // no target, as ONOS asks
		var out []string
		for _, p := range ifs {
			out = append(out, p.Name)
		}
		return out, err
	}
	if got, err := names(own); err != nil || strings.Join(got, " ") != "s2-eth1 s2-eth2" {
		t.Fatalf("gNMI interfaces on device 2's own address: %v, %v; want s2-eth1 s2-eth2", got, err)
	}
	for target, want := range map[string]codes.Code{"2": codes.OK, "1": codes.NotFound} {
		conn, err := grpc.NewClient(own, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		_, err = gpb.NewGNMIClient(conn).Get(ctx, &gpb.GetRequest{Prefix: &gpb.Path{Target: target},
			Path: []*gpb.Path{{Elem: []*gpb.PathElem{{Name: "interfaces"}}}}})
		conn.Close()
		if gstatus.Code(err) != want {
			t.Errorf("gNMI Get of target %s on device 2's own address: %v, want %v", target, err, want)
		}
	}
	if _, err := port.ConnectHost(s2.Sim.Port("s2-eth2"), "h22"); err != nil { // its link up
		t.Fatal(err)
	}
	onosRequests(t, ctx, own, "s2-eth2", func() { s2.Sim.Port("s2-eth2").SetEnabled(false) })
	if _, err := names(addr); gstatus.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "listen=") {
		t.Fatalf("gNMI with no target on the shared address of two devices: %v; want INVALID_ARGUMENT naming listen=", err)
	}
	c, err := client.Dial(ctx, own, client.DialOptions{DeviceID: 2, Insecure: true, ElectionID: &client.ElectionID{High: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg, err := c.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_COOKIE_ONLY)
	if err != nil || cfg.GetCookie() == nil {
		t.Fatalf("P4Runtime on device 2's own address: %v, %v", cfg, err)
	}
	if _, err := spb.NewSystemClient(c.Conn()).Time(ctx, &spb.TimeRequest{}); err != nil {
		t.Fatalf("gNOI System.Time on device 2's own address: %v", err)
	}

	// An address that cannot be had is named with its device.
	if _, out, err := runProxy(t, "--device", "vid=1,addr="+s1.Addr+",listen="+own, "--election-high", "11"); err == nil || !strings.Contains(err.Error(), "vid=1: listen="+own) {
		t.Fatalf("a device's own address in use: %v, want an error naming vid=1 and listen=%s\n%s", err, own, out)
	}
}

// onosRequests sends, at addr, the gNMI requests ONOS's gNMI drivers send,
// as they send them (no target): the state of every interface, PROTO
// encoded, key "..." (OpenConfigGnmiDeviceDescriptionDiscovery), and a
// subscription to port's state, STREAM, updates only, ON_CHANGE, no
// encoding (GnmiDeviceStateSubscriber). down takes port down; ONOS then
// expects a notification whose updates carry its oper-status, a string
// scalar.
func onosRequests(t *testing.T, ctx context.Context, addr, port string, down func()) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	g := gpb.NewGNMIClient(conn)
	r, err := g.Get(ctx, &gpb.GetRequest{Type: gpb.GetRequest_ALL, Encoding: gpb.Encoding_PROTO, Path: []*gpb.Path{{Elem: []*gpb.PathElem{
		{Name: "interfaces"}, {Name: "interface", Key: map[string]string{"name": "..."}}, {Name: "state"}}}}})
	if err != nil {
		t.Fatalf("ONOS's Get at %s: %v", addr, err)
	}
	ifindex := false
	for _, n := range r.GetNotification() {
		for _, u := range n.GetUpdate() {
			el := u.GetPath().GetElem()
			if len(el) == 4 && el[1].GetKey()["name"] == port && el[3].GetName() == "ifindex" {
				ifindex = true
			}
		}
	}
	if !ifindex {
		t.Fatalf("ONOS's Get at %s: no state/ifindex of %s in %v", addr, port, r)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub, err := g.Subscribe(sctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: &gpb.SubscriptionList{
		Mode: gpb.SubscriptionList_STREAM, UpdatesOnly: true,
		Subscription: []*gpb.Subscription{{Mode: gpb.SubscriptionMode_ON_CHANGE, Path: &gpb.Path{Elem: []*gpb.PathElem{
			{Name: "interfaces"}, {Name: "interface", Key: map[string]string{"name": port}}, {Name: "state"}}}}}}}}); err != nil {
		t.Fatal(err)
	}
	m, err := sub.Recv()
	if err != nil || !m.GetSyncResponse() {
		t.Fatalf("ONOS's subscription at %s: %v, %v; want the sync response first (updates only)", addr, m, err)
	}
	down()
	for range 20 {
		m, err := sub.Recv()
		if err != nil {
			t.Fatalf("ONOS's subscription at %s: %v", addr, err)
		}
		for _, u := range m.GetUpdate().GetUpdate() {
			el := u.GetPath().GetElem()
			if len(el) > 0 && el[len(el)-1].GetName() == "oper-status" && u.GetVal().GetStringVal() == "DOWN" {
				return
			}
		}
	}
	t.Fatalf("ONOS's subscription at %s: no oper-status DOWN for %s", addr, port)
}
