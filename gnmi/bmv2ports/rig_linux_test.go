//go:build linux

package bmv2ports

import (
	"context"
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/bmv2/thrift/thrifttest"
	"github.com/lime-p4/lime/gnmi"
	"github.com/lime-p4/lime/internal/netns"
)

// faulty is an in-memory bmv2 device manager whose calls can be made to
// fail, as bmv2 fails them: an InvalidDevMgrOperation with code ERROR.
type faulty struct {
	*thrifttest.MemBackend
	failAdd, failShow atomic.Bool
	adds, removes     atomic.Int32
	// beforeAdd, when set, runs as bm_dev_mgr_add_port is called.
	beforeAdd atomic.Pointer[func()]
}

func (f *faulty) DevMgrAddPort(ctx context.Context, iface string, port int32, pcap string) error {
	f.adds.Add(1)
	if fn := f.beforeAdd.Load(); fn != nil {
		(*fn)()
	}
	if f.failAdd.Load() {
		return fmt.Errorf("injected add failure: %w", thrift.DevMgrFailed)
	}
	return f.MemBackend.DevMgrAddPort(ctx, iface, port, pcap)
}

func (f *faulty) DevMgrRemovePort(ctx context.Context, port int32) error {
	f.removes.Add(1)
	return f.MemBackend.DevMgrRemovePort(ctx, port)
}

func (f *faulty) DevMgrShowPorts(ctx context.Context) ([]thrift.PortInfo, error) {
	if f.failShow.Load() {
		return nil, fmt.Errorf("injected show failure: %w", thrift.DevMgrFailed)
	}
	return f.MemBackend.DevMgrShowPorts(ctx)
}

// rig is a bmv2 switch stand-in: namespace sw holds the switch's
// interfaces p1, p2, p3, joined by veth pairs to h1, h2, h3 in namespace
// host; the fake device manager has p1 attached as port 1 and p2 as port
// 2 (as simple_switch -i 1@p1 -i 2@p2 would), p3 not attached.
type rig struct {
	sw, host   *netns.Namespace
	dev        *faulty
	stopThrift func()
	tc         *thrift.Client
	ports      *Ports
	changed    chan struct{} // a Watch notification arrived
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{sw: netns.New(t), host: netns.New(t), dev: &faulty{MemBackend: thrifttest.NewMemBackend()}}
	for i := 1; i <= 3; i++ {
		netns.Veth(t,
			netns.End{NS: r.sw, Name: fmt.Sprintf("p%d", i), Addr: netip.MustParsePrefix(fmt.Sprintf("10.199.%d.1/24", 10+i))},
			netns.End{NS: r.host, Name: fmt.Sprintf("h%d", i), Addr: netip.MustParsePrefix(fmt.Sprintf("10.199.%d.2/24", 10+i))})
	}
	ctx := context.Background()
	for _, a := range []struct {
		iface string
		port  int32
	}{{"p1", 1}, {"p2", 2}} {
		if err := r.dev.MemBackend.DevMgrAddPort(ctx, a.iface, a.port, ""); err != nil {
			t.Fatal(err)
		}
	}
	addr, stop := thrifttest.Serve(t, r.dev)
	r.stopThrift = stop
	r.tc = thrifttest.Dial(t, addr)
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var err error
	if r.ports, err = New(dctx, Options{Ports: r.config(), Thrift: r.tc, PollInterval: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.ports.Close() })
	r.changed = make(chan struct{}, 1)
	cancelWatch := r.ports.Watch(func() {
		select {
		case r.changed <- struct{}{}:
		default:
		}
	})
	t.Cleanup(cancelWatch)
	return r
}

func (r *rig) config() []Port {
	return []Port{
		{Name: "h1", ID: 1, Iface: "p1", Namespace: r.sw.Path()},
		{Name: "h2", ID: 2, Iface: "p2", Namespace: r.sw.Path()},
		{Name: "h3", ID: 3, Iface: "p3", Namespace: r.sw.Path()},
	}
}

// state returns the named port as the backend reports it now.
func (r *rig) state(t *testing.T, name string) gnmi.PortState {
	t.Helper()
	list, err := r.ports.Ports(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, ps := range list {
		if ps.Name == name {
			return ps
		}
	}
	t.Fatalf("port %q not reported (got %+v)", name, list)
	return gnmi.PortState{}
}

// waitOper waits (bounded) until the named port's oper-status is one of want.
func (r *rig) waitOper(t *testing.T, name string, want ...gnmi.OperStatus) gnmi.PortState {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ps := r.state(t, name)
		for _, w := range want {
			if ps.Oper == w {
				return ps
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("port %s oper-status %s, never became %v", name, ps.Oper, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// drain forgets notifications received so far.
func (r *rig) drain() {
	select {
	case <-r.changed:
	default:
	}
}

// waitChanged waits (bounded) for a Watch notification.
func (r *rig) waitChanged(t *testing.T, what string) {
	t.Helper()
	select {
	case <-r.changed:
	case <-time.After(5 * time.Second):
		t.Fatalf("no Watch notification after %s", what)
	}
}
