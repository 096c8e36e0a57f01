//go:build linux

package netns

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	addrA = netip.MustParsePrefix("10.199.0.1/24")
	addrB = netip.MustParsePrefix("10.199.0.2/24")
)

// TestTwoNamespacesOverVeth: two namespaces joined by a veth pair reach
// each other with ICMP echo and UDP, with sockets opened from Go.
func TestTwoNamespacesOverVeth(t *testing.T) {
	a, b := New(t), New(t)
	Veth(t,
		End{NS: a, Name: "va", MAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, Addr: addrA},
		End{NS: b, Name: "vb", MAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, Addr: addrB})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Ping(ctx, addrB.Addr()); err != nil {
		t.Fatal(err)
	}
	if err := b.Ping(ctx, addrA.Addr()); err != nil {
		t.Fatal(err)
	}

	srv, err := b.ListenUDP(netip.AddrPortFrom(addrB.Addr(), 9999))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cli, err := a.DialUDP(netip.AddrPortFrom(addrB.Addr(), 9999))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if _, err := cli.Write([]byte("ping over udp")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, from, err := srv.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}
	if string(buf[:n]) != "ping over udp" || from.Addr() != addrA.Addr() {
		t.Fatalf("server got %q from %v", buf[:n], from)
	}
	if _, err := srv.WriteToUDPAddrPort([]byte("pong"), from); err != nil {
		t.Fatal(err)
	}
	cli.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err = cli.Read(buf); err != nil || string(buf[:n]) != "pong" {
		t.Fatalf("client got %q, %v", buf[:n], err)
	}
}

// TestLinkHelpers: Link finds a veth end; SetLinkUp takes it down and up
// again as LinkUp reports it; DeleteLink removes the pair, both ends (a veth's peer goes
// with it, as the kernel's veth driver does).
func TestLinkHelpers(t *testing.T) {
	a, b := New(t), New(t)
	Veth(t, End{NS: a, Name: "va"}, End{NS: b, Name: "vb"})
	for _, up := range []bool{false, true} {
		a.SetLinkUp(t, "va", up)
		if got := a.LinkUp(t, "va"); got != up {
			t.Errorf("after SetLinkUp(%v), LinkUp = %v", up, got)
		}
	}
	if l := a.Link(t, "va"); l.Attrs().Name != "va" || l.Type() != "veth" {
		t.Errorf("Link(va) = %s %s", l.Type(), l.Attrs().Name)
	}
	a.DeleteLink(t, "va")
	h, err := b.Netlink()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := h.LinkByName("vb"); err == nil {
		t.Error("vb is still there after its peer was deleted")
	}
}

func TestVethSettings(t *testing.T) {
	a, b := New(t), New(t)
	mac := net.HardwareAddr{2, 0, 0, 0, 0, 0x11}
	Veth(t, End{NS: a, Name: "va", MAC: mac, Addr: addrA}, End{NS: b, Name: "vb"})
	h, err := a.Netlink()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	l, err := h.LinkByName("va")
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Attrs().HardwareAddr; !bytes.Equal(got, mac) {
		t.Errorf("MAC %v, want %v", got, mac)
	}
	if l.Attrs().Flags&net.FlagUp == 0 {
		t.Error("va is not up")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipping the Exec check: iproute2's ip is not installed")
	}
	out, err := a.Exec(context.Background(), "ip", "-o", "addr", "show", "dev", "va")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), addrA.String()) {
		t.Errorf("ip addr in %s: %s; want %v", a, out, addrA)
	}
}

func TestVethOffloads(t *testing.T) {
	// Offloads are off by default, as bmv2's veth_setup.sh turns them off;
	// KeepOffloads leaves the kernel's defaults (veth: TX checksumming,
	// TSO and GSO on; GRO off).
	a, b := New(t), New(t)
	Veth(t, End{NS: a, Name: "off"}, End{NS: b, Name: "kept", KeepOffloads: true})
	for _, tc := range []struct {
		ns   *Namespace
		name string
		want map[string]bool
	}{
		{a, "off", map[string]bool{"tx-checksumming": false, "tcp-segmentation-offload": false,
			"generic-segmentation-offload": false, "generic-receive-offload": false}},
		{b, "kept", map[string]bool{"tx-checksumming": true, "tcp-segmentation-offload": true,
			"generic-segmentation-offload": true}},
	} {
		var got map[string]bool
		if err := tc.ns.Do(func() (err error) { got, err = getOffloads(tc.name); return err }); err != nil {
			t.Fatal(err)
		}
		for f, want := range tc.want {
			if got[f] != want {
				t.Errorf("%s: %s = %v, want %v", tc.name, f, got[f], want)
			}
		}
	}
}

func TestRefusesAddressOutsideOwnNamespaces(t *testing.T) {
	if err := Check(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	_, _, _, err := MakeVeth(End{Addr: addrA}, End{})
	if err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("MakeVeth with an address in the process's namespace: %v, want a refusal", err)
	}
	if _, _, _, err := MakeVeth(End{Name: "a-name-longer-than-15"}, End{}); err == nil {
		t.Fatal("MakeVeth accepted a 21-byte interface name")
	}
}

func TestCleanupRemovesEverything(t *testing.T) {
	var name, hostEnd string
	t.Run("make", func(t *testing.T) {
		ns := New(t)
		name = ns.Name()
		_, host := Veth(t, End{NS: ns, Name: "in"}, End{})
		hostEnd = host.Name
		if _, err := os.Stat(ns.Path()); err != nil {
			t.Fatal(err)
		}
		if _, err := net.InterfaceByName(hostEnd); err != nil {
			t.Fatalf("host-side end %s: %v", hostEnd, err)
		}
	})
	if name == "" {
		t.Skip("namespace not made")
	}
	if _, err := os.Stat(RunDir + "/" + name); !os.IsNotExist(err) {
		t.Errorf("namespace %s still mounted: %v", name, err)
	}
	if _, err := net.InterfaceByName(hostEnd); err == nil {
		t.Errorf("host-side veth end %s still exists", hostEnd)
	}
}
