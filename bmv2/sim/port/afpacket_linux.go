//go:build linux

package port

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// IfaceOption configures AttachInterface.
type IfaceOption func(*ifaceConfig)

type ifaceConfig struct {
	nsPath      string
	mirrorAdmin bool
	log         *slog.Logger
}

// InNamespace finds the interface in the network namespace at path (e.g.
// /var/run/netns/NAME or /proc/PID/ns/net) instead of the caller's.
func InNamespace(path string) IfaceOption { return func(c *ifaceConfig) { c.nsPath = path } }

// MirrorAdmin makes the port's admin state drive the interface: disabling
// the port sets the link down (the host behind it sees its carrier go),
// enabling sets it up. Without it the interface is never reconfigured.
func MirrorAdmin() IfaceOption { return func(c *ifaceConfig) { c.mirrorAdmin = true } }

// WithLogger sets where the attachment logs (default slog.Default()).
func WithLogger(l *slog.Logger) IfaceOption { return func(c *ifaceConfig) { c.log = l } }

// virtio_net_hdr, which PACKET_VNET_HDR puts before every frame.
const (
	vnetHdrLen        = 10
	vnetNeedsCsum     = 1 // VIRTIO_NET_HDR_F_NEEDS_CSUM
	maxFrame          = 65535
	vlanTagLen        = 4
	etherTypeVLAN     = 0x8100
	etherTypeQinQ     = 0x88a8
	tpacketAuxdataLen = int(unsafe.Sizeof(unix.TpacketAuxdata{}))
)

// Iface is a port's attachment to a Linux network interface through an
// AF_PACKET socket: frames arriving on the interface enter the switch
// through the port, frames the switch sends out of the port leave through
// the interface. The port has carrier while the interface is up and
// running.
//
// The socket is promiscuous, skips the frames the kernel reports as
// outgoing, re-inserts VLAN tags the kernel moved into metadata, and
// completes checksums left to offload (CHECKSUM_PARTIAL, as veth sends
// them). Frames larger than the interface's MTU (plus the Ethernet header
// and one VLAN tag) are not sent: Transmit fails with ErrFrame and counts an
// OutError. GSO super-frames larger than the MTU cannot be carried and are
// counted as InErrors; turn TSO/GSO/GRO off on the interface (as bmv2's
// veth_setup.sh does) for TCP traffic.
type Iface struct {
	p      *Port
	name   string
	index  int
	mirror bool
	log    *slog.Logger

	ns   netns.NsHandle
	nl   *netlink.Handle
	file *os.File
	rc   syscall.RawConn

	mtu      atomic.Int64
	carrierA atomic.Bool
	closed   atomic.Bool
	gsoWarn  sync.Once

	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

// AttachInterface plugs p, which must be unattached, into the Linux network
// interface ifname. It needs CAP_NET_RAW (and CAP_NET_ADMIN with
// MirrorAdmin).
func AttachInterface(p *Port, ifname string, opts ...IfaceOption) (*Iface, error) {
	if p == nil {
		return nil, fmt.Errorf("port: AttachInterface %q: nil port", ifname)
	}
	cfg := ifaceConfig{log: slog.Default()}
	for _, o := range opts {
		o(&cfg)
	}
	i := &Iface{p: p, name: ifname, mirror: cfg.mirrorAdmin, log: cfg.log, ns: netns.None(), done: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			i.release()
		}
	}()
	if cfg.nsPath != "" {
		ns, err := netns.GetFromPath(cfg.nsPath)
		if err != nil {
			return nil, fmt.Errorf("port %s: network namespace %s: %w", p.name, cfg.nsPath, err)
		}
		i.ns = ns
	}
	nl, err := netlink.NewHandleAt(i.ns)
	if err != nil {
		return nil, fmt.Errorf("port %s: netlink: %w", p.name, err)
	}
	i.nl = nl
	link, err := nl.LinkByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("port %s: interface %q: %w", p.name, ifname, err)
	}
	i.index = link.Attrs().Index

	// Follow the link's state before reading it, so no change is missed.
	updates := make(chan netlink.LinkUpdate, 64)
	subOpts := netlink.LinkSubscribeOptions{ErrorCallback: func(err error) {
		if !i.closed.Load() {
			i.log.Warn("port: netlink link updates", "port", p.name, "iface", ifname, "err", err)
		}
	}}
	if i.ns.IsOpen() {
		subOpts.Namespace = &i.ns
	}
	if err := netlink.LinkSubscribeWithOptions(updates, i.done, subOpts); err != nil {
		return nil, fmt.Errorf("port %s: subscribe to link updates of %q: %w", p.name, ifname, err)
	}
	i.wg.Add(1)
	go i.watchLoop(updates)

	var fd int
	if err := inNetns(i.ns, func() error {
		var err error
		fd, err = openPacketSocket(i.index)
		return err
	}); err != nil {
		return nil, fmt.Errorf("port %s: AF_PACKET socket on %q: %w", p.name, ifname, err)
	}
	i.file = os.NewFile(uintptr(fd), "packet:"+ifname)
	if i.rc, err = i.file.SyscallConn(); err != nil {
		return nil, fmt.Errorf("port %s: socket on %q: %w", p.name, ifname, err)
	}
	if err := p.attach(i); err != nil {
		return nil, err
	}
	if link, err = nl.LinkByIndex(i.index); err != nil {
		p.detachFrom(i)
		return nil, fmt.Errorf("port %s: interface %q: %w", p.name, ifname, err)
	}
	i.mtu.Store(int64(link.Attrs().MTU))
	i.carrierA.Store(linkCarrier(link.Attrs()))
	ok = true
	if i.mirror {
		i.adminChanged(p)
	}
	p.refreshCarrier(i)
	i.wg.Add(1)
	go i.readLoop()
	return i, nil
}

// Name returns the interface name.
func (i *Iface) Name() string { return i.name }

// Index returns the interface index.
func (i *Iface) Index() int { return i.index }

// MTU returns the interface's MTU as last reported by the kernel.
func (i *Iface) MTU() int { return int(i.mtu.Load()) }

// Close unplugs the port and closes the socket; the interface is left as it
// is.
func (i *Iface) Close() error {
	i.close()
	return nil
}

func openPacketSocket(index int) (int, error) {
	// Protocol 0 until bound, so no frame of another interface is queued.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	fail := func(what string, err error) (int, error) {
		unix.Close(fd)
		return -1, fmt.Errorf("%s: %w", what, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VNET_HDR, 1); err != nil {
		return fail("PACKET_VNET_HDR", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_AUXDATA, 1); err != nil {
		return fail("PACKET_AUXDATA", err)
	}
	// Kernels before 4.20 lack it; outgoing frames are then skipped by type.
	_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: index}); err != nil {
		return fail("bind", err)
	}
	mreq := unix.PacketMreq{Ifindex: int32(index), Type: unix.PACKET_MR_PROMISC}
	if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
		return fail("promiscuous mode", err)
	}
	return fd, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// linkCarrier: the link is admin-up and running (lower layer up).
func linkCarrier(a *netlink.LinkAttrs) bool {
	if a.Flags&net.FlagUp == 0 {
		return false
	}
	switch a.OperState {
	case netlink.OperUp:
		return true
	case netlink.OperUnknown:
		return a.RawFlags&unix.IFF_LOWER_UP != 0
	default:
		return false
	}
}

func (i *Iface) watchLoop(updates <-chan netlink.LinkUpdate) {
	defer i.wg.Done()
	for u := range updates { // closed by netlink once i.done is closed
		if int(u.Index) != i.index || u.Link == nil {
			continue
		}
		if u.Header.Type == unix.RTM_DELLINK {
			i.carrierA.Store(false)
		} else {
			a := u.Link.Attrs()
			i.mtu.Store(int64(a.MTU))
			i.carrierA.Store(linkCarrier(a))
		}
		if !i.closed.Load() {
			i.p.refreshCarrier(i)
		}
	}
}

// recheckCarrier asks the kernel for the interface's carrier now: a frame
// arrived while the last netlink event said there was none, and the event
// that brings it may not have been read yet (the peer that brought the link
// up sends at once).
func (i *Iface) recheckCarrier() {
	l, err := i.nl.LinkByIndex(i.index)
	if err != nil || !linkCarrier(l.Attrs()) {
		return
	}
	i.carrierA.Store(true)
	if !i.closed.Load() {
		i.p.refreshCarrier(i)
	}
}

func (i *Iface) readLoop() {
	defer i.wg.Done()
	buf := make([]byte, vnetHdrLen+maxFrame)
	oob := make([]byte, unix.CmsgSpace(tpacketAuxdataLen))
	for {
		var (
			n, oobn int
			from    unix.Sockaddr
			rerr    error
		)
		err := i.rc.Read(func(fd uintptr) bool {
			n, oobn, _, from, rerr = unix.Recvmsg(int(fd), buf, oob, unix.MSG_TRUNC)
			return rerr != unix.EAGAIN
		})
		if err != nil {
			return // the socket was closed
		}
		if rerr != nil {
			if rerr == unix.EINTR || rerr == unix.ENETDOWN {
				continue // ENETDOWN: the interface went down (carrier follows from netlink)
			}
			if i.closed.Load() {
				return
			}
			i.p.c.inErrors.Add(1)
			i.log.Warn("port: receive", "port", i.p.name, "iface", i.name, "err", rerr)
			continue
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
			continue
		}
		if n > len(buf) {
			i.p.c.inErrors.Add(1) // truncated
			continue
		}
		frame, err := i.decode(buf[:n], oob[:oobn])
		if err != nil {
			i.p.c.inErrors.Add(1)
			continue
		}
		if !i.carrierA.Load() {
			i.recheckCarrier()
		}
		i.p.receive(frame)
	}
}

// decode turns what the socket gave (virtio_net_hdr + frame, auxdata) into
// a complete frame the port may keep.
func (i *Iface) decode(data, oob []byte) ([]byte, error) {
	if len(data) < vnetHdrLen {
		return nil, fmt.Errorf("%d bytes, no virtio_net_hdr: %w", len(data), ErrFrame)
	}
	hdr, pkt := data[:vnetHdrLen], data[vnetHdrLen:]
	flags, gsoType := hdr[0], hdr[1]
	csumStart := int(binary.NativeEndian.Uint16(hdr[6:8]))
	csumOffset := int(binary.NativeEndian.Uint16(hdr[8:10]))
	if gsoType != 0 && len(pkt) > int(i.mtu.Load())+ethHeaderLen+vlanTagLen {
		i.gsoWarn.Do(func() {
			i.log.Warn("port: GSO super-frame larger than the MTU dropped; turn TSO/GSO/GRO off on the interface",
				"port", i.p.name, "iface", i.name, "bytes", len(pkt))
		})
		return nil, fmt.Errorf("GSO frame of %d bytes: %w", len(pkt), ErrFrame)
	}
	frame := make([]byte, len(pkt), len(pkt)+vlanTagLen)
	copy(frame, pkt)
	if flags&vnetNeedsCsum != 0 {
		if err := completeChecksum(frame, csumStart, csumOffset); err != nil {
			return nil, err
		}
	}
	if tci, tpid, ok := vlanFromAuxdata(oob); ok && len(frame) >= 12 {
		frame = frame[:len(frame)+vlanTagLen]
		copy(frame[12+vlanTagLen:], frame[12:len(frame)-vlanTagLen])
		binary.BigEndian.PutUint16(frame[12:], tpid)
		binary.BigEndian.PutUint16(frame[14:], tci)
	}
	return frame, nil
}

// completeChecksum does what a NIC does for CHECKSUM_PARTIAL: the one's
// complement sum from start to the end of the frame (the checksum field
// already holds the pseudo-header sum) is complemented into start+offset.
func completeChecksum(frame []byte, start, offset int) error {
	if start >= len(frame) || start+offset+2 > len(frame) {
		return fmt.Errorf("checksum at %d+%d outside a %d-byte frame: %w", start, offset, len(frame), ErrFrame)
	}
	var sum uint32
	b := frame[start:]
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	c := ^uint16(sum)
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(frame[start+offset:], c)
	return nil
}

func vlanFromAuxdata(oob []byte) (tci, tpid uint16, ok bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, 0, false
	}
	for _, m := range msgs {
		if m.Header.Level != unix.SOL_PACKET || m.Header.Type != unix.PACKET_AUXDATA || len(m.Data) < tpacketAuxdataLen {
			continue
		}
		var aux unix.TpacketAuxdata
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&aux)), tpacketAuxdataLen), m.Data)
		if aux.Status&unix.TP_STATUS_VLAN_VALID == 0 {
			return 0, 0, false
		}
		tpid = etherTypeVLAN
		if aux.Status&unix.TP_STATUS_VLAN_TPID_VALID != 0 && aux.Vlan_tpid != 0 {
			tpid = aux.Vlan_tpid
		}
		return aux.Vlan_tci, tpid, true
	}
	return 0, 0, false
}

func (i *Iface) carrier(*Port) bool { return i.carrierA.Load() && !i.closed.Load() }

func (i *Iface) transmit(_ *Port, frame []byte) error {
	if i.closed.Load() {
		return ErrClosed
	}
	limit := int(i.mtu.Load()) + ethHeaderLen
	if et := binary.BigEndian.Uint16(frame[12:14]); et == etherTypeVLAN || et == etherTypeQinQ {
		limit += vlanTagLen
	}
	if len(frame) > limit {
		return fmt.Errorf("%d-byte frame exceeds MTU %d of %s: %w", len(frame), i.mtu.Load(), i.name, ErrFrame)
	}
	pkt := make([]byte, vnetHdrLen+len(frame)) // zero virtio_net_hdr: no offload
	copy(pkt[vnetHdrLen:], frame)
	var werr error
	err := i.rc.Write(func(fd uintptr) bool {
		_, werr = unix.Write(int(fd), pkt)
		return werr != unix.EAGAIN
	})
	if err != nil {
		return fmt.Errorf("send on %s: %w", i.name, ErrClosed)
	}
	if werr != nil {
		return fmt.Errorf("send on %s: %w", i.name, werr)
	}
	return nil
}

func (i *Iface) adminChanged(p *Port) {
	if !i.mirror || i.closed.Load() {
		return
	}
	link := &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: i.index, Name: i.name}}
	var err error
	if p.Enabled() {
		err = i.nl.LinkSetUp(link)
	} else {
		err = i.nl.LinkSetDown(link)
	}
	if err != nil {
		i.log.Warn("port: mirror admin state on interface", "port", p.name, "iface", i.name, "enabled", p.Enabled(), "err", err)
	}
}

func (i *Iface) close() {
	i.once.Do(func() {
		i.p.detachFrom(i)
		i.release()
	})
}

// release frees what AttachInterface acquired; it is also its cleanup on
// failure.
func (i *Iface) release() {
	i.closed.Store(true)
	select {
	case <-i.done:
	default:
		close(i.done)
	}
	if i.file != nil {
		i.file.Close()
	}
	i.wg.Wait()
	if i.nl != nil {
		i.nl.Close()
	}
	if i.ns.IsOpen() {
		i.ns.Close()
	}
}

// inNetns runs fn with the calling thread in network namespace ns (the
// caller's own when ns is not open). The work runs on a locked thread of a
// fresh goroutine; if the thread cannot be switched back, the goroutine ends
// locked and Go discards the thread.
func inNetns(ns netns.NsHandle, fn func() error) error {
	if !ns.IsOpen() {
		return fn()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- fmt.Errorf("current network namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			errc <- fmt.Errorf("enter network namespace: %w", err)
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("leave network namespace: %w", err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}
