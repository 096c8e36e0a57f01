//go:build linux

package netns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// ListenUDP opens a UDP socket inside the namespace bound to addr.
func (n *Namespace) ListenUDP(addr netip.AddrPort) (*net.UDPConn, error) {
	var c *net.UDPConn
	err := n.Do(func() error {
		var err error
		c, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("netns %s: listen udp %v: %w", n.name, addr, err)
	}
	return c, nil
}

// DialUDP opens a UDP socket inside the namespace connected to raddr.
func (n *Namespace) DialUDP(raddr netip.AddrPort) (*net.UDPConn, error) {
	var c *net.UDPConn
	err := n.Do(func() error {
		var err error
		c, err = net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(raddr))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("netns %s: dial udp %v: %w", n.name, raddr, err)
	}
	return c, nil
}

// maxPings bounds Ping's attempts whatever ctx allows.
const maxPings = 100

// Ping sends ICMP echo requests from inside the namespace to the IPv4
// address dst, one every 100ms, until one is answered (nil), ctx ends, or
// 100 went unanswered. It uses a raw ICMP socket, so it needs no ping
// binary.
func (n *Namespace) Ping(ctx context.Context, dst netip.Addr) error {
	if !dst.Is4() {
		return fmt.Errorf("netns %s: ping %v: only IPv4 is supported", n.name, dst)
	}
	var c *icmp.PacketConn
	if err := n.Do(func() error {
		var err error
		c, err = icmp.ListenPacket("ip4:icmp", "0.0.0.0")
		return err
	}); err != nil {
		return fmt.Errorf("netns %s: icmp socket: %w", n.name, err)
	}
	defer c.Close()
	id := os.Getpid() & 0xffff
	buf := make([]byte, 1500)
	for seq := 1; seq <= maxPings; seq++ {
		msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: id, Seq: seq, Data: []byte("lime-netns-ping")}}
		wb, err := msg.Marshal(nil)
		if err != nil {
			return fmt.Errorf("netns %s: ping: %w", n.name, err)
		}
		if _, err := c.WriteTo(wb, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
			return fmt.Errorf("netns %s: ping %v: %w", n.name, dst, err)
		}
		deadline := time.Now().Add(100 * time.Millisecond)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		if err := c.SetReadDeadline(deadline); err != nil {
			return err
		}
		for {
			nr, from, err := c.ReadFrom(buf)
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					break
				}
				return fmt.Errorf("netns %s: ping %v: %w", n.name, dst, err)
			}
			if ip, ok := from.(*net.IPAddr); !ok || !ip.IP.Equal(dst.AsSlice()) {
				continue
			}
			rm, err := icmp.ParseMessage(1, buf[:nr])
			if err != nil || rm.Type != ipv4.ICMPTypeEchoReply {
				continue
			}
			if e, ok := rm.Body.(*icmp.Echo); ok && e.ID == id && e.Seq == seq {
				return nil
			}
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("netns %s: ping %v: no reply: %w", n.name, dst, err)
		}
	}
	return fmt.Errorf("netns %s: ping %v: no reply to %d requests", n.name, dst, maxPings)
}
