//go:build linux

package bmv2ports

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/bmv2/thrift/thrifttest"
	"github.com/lime-p4/lime/gnmi"
)

// TestNew: New refuses, naming the port and the problem, what it cannot
// serve faithfully. These cases only read links ("lo" of the test's own
// namespace, never changed), so they need no privileges.
func TestNew(t *testing.T) {
	lo := []Port{{Name: "lo", ID: 1, Iface: "lo"}}
	for _, tc := range []struct {
		name     string
		ports    []Port
		attached map[int32]string // bmv2's ports at start
		nilDev   bool
		poll     time.Duration
		want     string
		is       error
	}{
		{name: "attached lo", ports: lo, attached: map[int32]string{1: "lo"}},
		{name: "no Thrift client", ports: lo, nilDev: true, want: "no Thrift client"},
		{name: "poll too often", ports: lo, poll: time.Millisecond, want: "poll interval 1ms outside"},
		{name: "poll too rarely", ports: lo, poll: time.Hour, want: "poll interval 1h0m0s outside"},
		{name: "missing interface", ports: []Port{{Name: "h9", ID: 9, Iface: "limenosuch0"}},
			want: `port "h9" (id 9): interface not found: "limenosuch0"`, is: ErrNoLink},
		{name: "missing namespace", ports: []Port{{Name: "lo", ID: 1, Iface: "lo", Namespace: "/nonexistent/netns"}},
			want: "network namespace /nonexistent/netns"},
		{name: "number attached to another interface", ports: lo, attached: map[int32]string{1: "eth9"},
			want: `port "lo": bmv2 attaches the port differently: bmv2 has port 1 attached to interface "eth9"`, is: ErrConflict},
		{name: "interface attached under another number", ports: lo, attached: map[int32]string{5: "lo"},
			want: `bmv2 has interface "lo" attached as port 5, not 1`, is: ErrConflict},
		{name: "invalid ports", ports: []Port{{Name: "a", ID: 1, Iface: "lo"}, {Name: "b", ID: 1, Iface: "lo2"}},
			want: "port id 1 given twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := thrifttest.NewMemBackend()
			for port, iface := range tc.attached {
				if err := mem.DevMgrAddPort(context.Background(), iface, port, ""); err != nil {
					t.Fatal(err)
				}
			}
			opts := Options{Ports: tc.ports, Thrift: mem, PollInterval: tc.poll}
			if tc.nilDev {
				opts.Thrift = nil
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			p, err := New(ctx, opts)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				list, err := p.Ports(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(list) != 1 || list[0].Name != "lo" || list[0].ID != 1 || !list[0].Enabled || list[0].Oper != gnmi.OperUp {
					t.Errorf("Ports = %+v, want lo id 1 enabled and UP", list)
				}
				return
			}
			if err == nil {
				p.Close()
				t.Fatalf("New succeeded, want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not wrap %v", err, tc.is)
			}
		})
	}
}

// TestNewThriftUnreachable: a Thrift server that has gone away is reported
// with the call that failed.
func TestNewThriftUnreachable(t *testing.T) {
	addr, stop := thrifttest.Serve(t, thrifttest.NewMemBackend())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tc, err := thrift.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	stop()
	p, err := New(ctx, Options{Ports: []Port{{Name: "lo", ID: 1, Iface: "lo"}}, Thrift: tc})
	if err == nil {
		p.Close()
		t.Fatal("New succeeded with bmv2's Thrift server gone")
	}
	if !strings.Contains(err.Error(), "reading bmv2's ports (bm_dev_mgr_show_ports)") {
		t.Errorf("error %q does not say which call failed", err)
	}
}
