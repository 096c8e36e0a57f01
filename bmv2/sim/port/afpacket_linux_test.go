//go:build linux

package port

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/lime-p4/lime/internal/netns"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// bridge is the test's switch: two devices, each forwarding between its
// two ports, joined by an in-memory wire: h1 - s1=[A | X]=wire=[Y | B]=s2 - h2.
type bridge struct {
	sw, h1, h2 *netns.Namespace
	a, x, y, b *Port
	ia, ib     *Iface
	wire       *Wire
}

var (
	mac1  = net.HardwareAddr{2, 0, 0, 0, 1, 1}
	mac2  = net.HardwareAddr{2, 0, 0, 0, 1, 2}
	addr1 = netip.MustParsePrefix("10.199.1.1/24")
	addr2 = netip.MustParsePrefix("10.199.1.2/24")
)

func forward(to *Port) Handler { return func(_ *Port, f []byte) { _ = to.Transmit(f) } }

func newBridge(t *testing.T, keepOffloads bool, opts ...IfaceOption) *bridge {
	t.Helper()
	br := &bridge{sw: netns.New(t), h1: netns.New(t), h2: netns.New(t)}
	netns.Veth(t, netns.End{NS: br.h1, Name: "eth0", MAC: mac1, Addr: addr1, KeepOffloads: keepOffloads}, netns.End{NS: br.sw, Name: "s1"})
	netns.Veth(t, netns.End{NS: br.h2, Name: "eth0", MAC: mac2, Addr: addr2, KeepOffloads: keepOffloads}, netns.End{NS: br.sw, Name: "s2"})
	br.a, br.x, br.y, br.b = mustPort(t, "a", 1), mustPort(t, "x", 2), mustPort(t, "y", 1), mustPort(t, "b", 2)
	br.a.SetHandler(forward(br.x))
	br.x.SetHandler(forward(br.a))
	br.y.SetHandler(forward(br.b))
	br.b.SetHandler(forward(br.y))
	var err error
	if br.wire, err = Connect(br.x, br.y); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { br.wire.Close() })
	opts = append([]IfaceOption{InNamespace(br.sw.Path())}, opts...)
	if br.ia, err = AttachInterface(br.a, "s1", opts...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { br.ia.Close() })
	if br.ib, err = AttachInterface(br.b, "s2", opts...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { br.ib.Close() })
	waitFor(t, "ports up", func() bool { return br.a.Oper() == OperUp && br.b.Oper() == OperUp })
	return br
}

// waitFor polls cond every 10ms for at most 5s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func udpExchange(t *testing.T, br *bridge, port uint16) {
	t.Helper()
	srv, err := br.h2.ListenUDP(netip.AddrPortFrom(addr2.Addr(), port))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cli, err := br.h1.DialUDP(netip.AddrPortFrom(addr2.Addr(), port))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	payload := bytes.Repeat([]byte("lime"), 300) // 1200 bytes: near the MTU
	if _, err := cli.Write(payload); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2000)
	srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, from, err := srv.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("h2 did not get the datagram: %v", err)
	}
	if !bytes.Equal(buf[:n], payload) {
		t.Fatalf("h2 got %d bytes, want the %d sent", n, len(payload))
	}
	if _, err := srv.WriteToUDPAddrPort([]byte("reply"), from); err != nil {
		t.Fatal(err)
	}
	cli.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err = cli.Read(buf); err != nil || string(buf[:n]) != "reply" {
		t.Fatalf("h1 got %q, %v", buf[:n], err)
	}
}

// TestAFPacketBridgesNamespaces: two hosts with their own kernel stacks
// reach each other through AF_PACKET ports and an in-memory wire.
func TestAFPacketBridgesNamespaces(t *testing.T) {
	for _, tc := range []struct {
		name         string
		keepOffloads bool
	}{
		// As bmv2's veth_setup.sh leaves veths.
		{"offloads off", false},
		// TX checksum offload on: frames arrive CHECKSUM_PARTIAL and the
		// port completes the checksum.
		{"offloads on", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			br := newBridge(t, tc.keepOffloads)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := br.h1.Ping(ctx, addr2.Addr()); err != nil {
				t.Fatal(err)
			}
			udpExchange(t, br, 7000)
			ca, cb := br.a.Counters(), br.b.Counters()
			if ca.InPkts == 0 || ca.OutPkts == 0 || cb.InPkts == 0 || cb.OutPkts == 0 {
				t.Errorf("counters a %+v b %+v: want traffic both ways", ca, cb)
			}
			if ca.InErrors != 0 || cb.InErrors != 0 || ca.OutErrors != 0 || cb.OutErrors != 0 {
				t.Errorf("errors counted: a %+v b %+v", ca, cb)
			}
		})
	}
}

// TestAFPacketAdminAndCarrier: disabling a port stops traffic and enabling
// restores it; the port's carrier follows the interface; MirrorAdmin
// carries the admin state to the interface, so the host sees its link go.
func TestAFPacketAdminAndCarrier(t *testing.T) {
	br := newBridge(t, false, MirrorAdmin())
	var mu sync.Mutex
	var seen []OperStatus
	defer br.a.Watch(func(_ *Port, st Status) { mu.Lock(); seen = append(seen, st.Oper); mu.Unlock() })()

	hostLink := func() netlink.LinkOperState { return br.h1.Link(t, "eth0").Attrs().OperState }

	br.a.SetEnabled(false)
	if br.a.Oper() != OperDown {
		t.Fatalf("disabled port oper %v, want DOWN", br.a.Oper())
	}
	waitFor(t, "h1's link to go down", func() bool { return hostLink() != netlink.OperUp })
	short, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	if err := br.h1.Ping(short, addr2.Addr()); err == nil {
		t.Error("ping went through a disabled port")
	}
	cancel()

	br.a.SetEnabled(true)
	waitFor(t, "port a up again", func() bool { return br.a.Oper() == OperUp })
	waitFor(t, "h1's link up again", func() bool { return hostLink() == netlink.OperUp })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := br.h1.Ping(ctx, addr2.Addr()); err != nil {
		t.Fatalf("after re-enabling: %v", err)
	}

	// Carrier follows the interface: s1 down makes the port
	// LOWER_LAYER_DOWN, s1 up brings it back.
	br.sw.SetLinkUp(t, "s1", false)
	waitFor(t, "a LOWER_LAYER_DOWN", func() bool { return br.a.Oper() == OperLowerLayerDown })
	br.sw.SetLinkUp(t, "s1", true)
	waitFor(t, "a UP", func() bool { return br.a.Oper() == OperUp })

	mu.Lock()
	defer mu.Unlock()
	// Enabling may pass through LOWER_LAYER_DOWN while the interface
	// comes back up.
	want := []OperStatus{OperDown, OperUp, OperLowerLayerDown, OperUp}
	if !subsequence(want, seen) {
		t.Fatalf("watched %v, want %v in that order", seen, want)
	}
}

// subsequence reports whether want appears in got in order.
func subsequence(want, got []OperStatus) bool {
	i := 0
	for _, o := range got {
		if i < len(want) && o == want[i] {
			i++
		}
	}
	return i == len(want)
}

// TestAFPacketFrames: outgoing frames are not read back, VLAN tags the
// kernel moved into metadata are restored, frames over the MTU are refused.
func TestAFPacketFrames(t *testing.T) {
	br := newBridge(t, false)
	got := make(chan []byte, 64)
	br.a.SetHandler(func(_ *Port, f []byte) { got <- f })

	// Sent out of a: h1 drops them (not its MAC); a must not see them.
	out := ethFrame(net.HardwareAddr{2, 9, 9, 9, 9, 9}, mac2, 0x88b5, bytes.Repeat([]byte{0xab}, 60))
	for i := 0; i < 5; i++ {
		if err := br.a.Transmit(out); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case f := <-got:
		t.Fatalf("a read back a frame: %x", f)
	case <-time.After(200 * time.Millisecond):
	}

	// A tagged frame from h1 arrives with its tag.
	tagged := append(append(append([]byte{}, mac2...), mac1...), 0x81, 0x00, 0x20, 0x0a, 0x88, 0xb5)
	tagged = append(tagged, bytes.Repeat([]byte{0xcd}, 60)...)
	sendRaw(t, br.h1, "eth0", tagged)
	select {
	case f := <-got:
		if !bytes.Equal(f, tagged) {
			t.Fatalf("a got\n%x\nwant\n%x", f, tagged)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("tagged frame not received")
	}

	// MTU: 1500-byte payload fits, 1501 does not (one tag allowed extra).
	for _, tc := range []struct {
		frame []byte
		ok    bool
	}{
		{ethFrame(mac1, mac2, 0x88b5, make([]byte, 1500)), true},
		{ethFrame(mac1, mac2, 0x88b5, make([]byte, 1501)), false},
		{append(append(append([]byte{}, mac1...), mac2...), append([]byte{0x81, 0, 0, 1, 0x88, 0xb5}, make([]byte, 1500)...)...), true},
	} {
		err := br.a.Transmit(tc.frame)
		if tc.ok && err != nil {
			t.Errorf("%d-byte frame: %v", len(tc.frame), err)
		}
		if !tc.ok && !errors.Is(err, ErrFrame) {
			t.Errorf("%d-byte frame: %v, want ErrFrame", len(tc.frame), err)
		}
	}
	if c := br.a.Counters(); c.OutErrors != 1 {
		t.Errorf("out-errors %d, want 1", c.OutErrors)
	}
}

// sendRaw sends one frame out of ifname inside ns with a packet socket.
func sendRaw(t *testing.T, ns *netns.Namespace, ifname string, frame []byte) {
	t.Helper()
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		return unix.Sendto(fd, frame, 0, &unix.SockaddrLinklayer{Ifindex: ifi.Index, Halen: 6})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAttachInterfaceErrors(t *testing.T) {
	if err := netns.Check(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	ns := netns.New(t)
	p := mustPort(t, "p", 1)
	if _, err := AttachInterface(p, "nosuch0", InNamespace(ns.Path())); err == nil {
		t.Error("attached to a missing interface")
	}
	if _, err := AttachInterface(p, "lo", InNamespace("/nonexistent/ns")); err == nil {
		t.Error("attached in a missing namespace")
	}
	if p.Attached() {
		t.Error("failed attach left the port attached")
	}
	h, err := ConnectHost(p, "h")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := AttachInterface(p, "lo", InNamespace(ns.Path())); !errors.Is(err, ErrAttached) {
		t.Errorf("attach of an attached port: %v, want ErrAttached", err)
	}
}
