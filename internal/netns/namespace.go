//go:build linux

package netns

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// RunDir is where named namespaces are bind-mounted, as by "ip netns add".
const RunDir = "/var/run/netns"

var seq atomic.Uint64

// Namespace is a named network namespace a test made.
type Namespace struct {
	name string
	h    vnetns.NsHandle
}

// Check reports why network namespaces cannot be made here, or nil.
func Check() error {
	if uid := os.Geteuid(); uid != 0 {
		return fmt.Errorf("network namespaces need root (running as uid %d)", uid)
	}
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		return fmt.Errorf("kernel without network namespaces (/proc/self/ns/net: %v)", err)
	}
	return nil
}

// New makes a network namespace named lime-<pid>-<n>, with its loopback up
// and IPv6 disabled (so only the traffic a test sends crosses its links),
// and removes it when the test ends. It skips the test when namespaces
// cannot be made here.
func New(t testing.TB) *Namespace {
	t.Helper()
	if err := Check(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	name := fmt.Sprintf("lime-%d-%d", os.Getpid(), seq.Add(1))
	h, err := create(name)
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			t.Skipf("skipping: creating network namespace %s is not permitted here: %v", name, err)
		}
		t.Fatalf("netns: create %s: %v", name, err)
	}
	n := &Namespace{name: name, h: h}
	t.Cleanup(func() {
		if err := n.remove(); err != nil {
			t.Errorf("netns: remove %s: %v", name, err)
		}
	})
	if err := n.Do(func() error {
		if err := os.WriteFile("/proc/sys/net/ipv6/conf/all/disable_ipv6", []byte("1"), 0o644); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("disable IPv6: %w", err)
		}
		if err := os.WriteFile("/proc/sys/net/ipv6/conf/default/disable_ipv6", []byte("1"), 0o644); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("disable IPv6: %w", err)
		}
		return nil
	}); err != nil {
		t.Fatalf("netns %s: %v", name, err)
	}
	nl, err := n.Netlink()
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	lo, err := nl.LinkByName("lo")
	if err == nil {
		err = nl.LinkSetUp(lo)
	}
	if err != nil {
		t.Fatalf("netns %s: loopback up: %v", name, err)
	}
	return n
}

// create makes the named namespace on a locked thread of its own goroutine
// and switches that thread back.
func create(name string) (vnetns.NsHandle, error) {
	type result struct {
		h   vnetns.NsHandle
		err error
	}
	rc := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := vnetns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			rc <- result{err: fmt.Errorf("current namespace: %w", err)}
			return
		}
		defer orig.Close()
		h, err := vnetns.NewNamed(name)
		if rerr := vnetns.Set(orig); rerr != nil {
			// The thread stays in the new namespace; it ends locked and Go
			// discards it.
			if err == nil {
				h.Close()
				vnetns.DeleteNamed(name)
			}
			rc <- result{err: errors.Join(err, fmt.Errorf("switch back to the original namespace: %w", rerr))}
			return
		}
		runtime.UnlockOSThread()
		rc <- result{h: h, err: err}
	}()
	r := <-rc
	return r.h, r.err
}

func (n *Namespace) remove() error {
	err := n.h.Close()
	if derr := vnetns.DeleteNamed(n.name); derr != nil && !errors.Is(derr, os.ErrNotExist) {
		err = errors.Join(err, derr)
	}
	return err
}

// Name returns the namespace's name (as "ip netns" lists it).
func (n *Namespace) Name() string { return n.name }

// Path returns the namespace's bind mount, usable with setns(2) and
// port.InNamespace.
func (n *Namespace) Path() string { return filepath.Join(RunDir, n.name) }

// String returns the name.
func (n *Namespace) String() string { return n.name }

// Handle is the namespace's handle (for netlink subscriptions in it).
func (n *Namespace) Handle() vnetns.NsHandle { return n.h }

// Netlink returns a netlink handle that works inside the namespace; close it
// after use.
func (n *Namespace) Netlink() (*netlink.Handle, error) {
	h, err := netlink.NewHandleAt(n.h)
	if err != nil {
		return nil, fmt.Errorf("netns %s: netlink: %w", n.name, err)
	}
	return h, nil
}

// Do runs fn on an OS thread switched into the namespace. Sockets fn opens
// belong to the namespace and stay usable from any goroutine afterwards.
// fn must not start goroutines that expect to be in the namespace.
func (n *Namespace) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := vnetns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netns %s: current namespace: %w", n.name, err)
			return
		}
		defer orig.Close()
		if err := vnetns.Set(n.h); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netns %s: enter: %w", n.name, err)
			return
		}
		ferr := fn()
		if err := vnetns.Set(orig); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("netns %s: leave: %w", n.name, err))
			return // the thread ends locked and is discarded
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// Exec runs a command inside the namespace with "ip netns exec" and returns
// its combined output.
func (n *Namespace) Exec(ctx context.Context, name string, args ...string) ([]byte, error) {
	ip, err := exec.LookPath("ip")
	if err != nil {
		return nil, fmt.Errorf("netns %s: exec %s: iproute2's ip is not installed: %w", n.name, name, err)
	}
	cmd := exec.CommandContext(ctx, ip, append([]string{"netns", "exec", n.name, name}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("netns %s: %s %v: %w: %s", n.name, name, args, err, out)
	}
	return out, nil
}
