package thrifttest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/bmv2/thrift/thrifttest"
)

func TestAddRefuses(t *testing.T) {
	m := thrifttest.NewMemBackend()
	if err := m.AddRegister("r", 4, 8); err != nil {
		t.Fatal(err)
	}
	if err := m.AddCounter("c", 4); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"register twice", m.AddRegister("r", 1, 1), `register "r" defined twice`},
		{"register no name", m.AddRegister("", 1, 1), "need a name"},
		{"register negative size", m.AddRegister("x", -1, 1), "size -1"},
		{"register zero width", m.AddRegister("x", 1, 0), "bitwidth 0"},
		{"counter twice", m.AddCounter("c", 1), `counter "c" defined twice`},
		{"counter negative size", m.AddCounter("y", -2), "size -2"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, tc.err, tc.want)
		}
	}
}

// TestNoAliasing checks that what the backend returns is a copy.
func TestNoAliasing(t *testing.T) {
	ctx := context.Background()
	m := thrifttest.NewMemBackend()
	if err := m.AddRegister("r", 2, 8); err != nil {
		t.Fatal(err)
	}
	all, err := m.RegisterReadAll(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	all[0] = 99
	if v, _ := m.RegisterRead(ctx, "r", 0); v != 0 {
		t.Errorf("RegisterReadAll returned the backend's own slice: cell 0 is now %d", v)
	}
	if err := m.DevMgrAddPort(ctx, "veth1", 1, "/tmp/p"); err != nil {
		t.Fatal(err)
	}
	ps, _ := m.DevMgrShowPorts(ctx)
	ps[0].Extra["in_pcap"] = "changed"
	ps, _ = m.DevMgrShowPorts(ctx)
	if ps[0].Extra["in_pcap"] != "/tmp/p" {
		t.Errorf("DevMgrShowPorts returned the backend's own map")
	}
}

// TestDevMgr checks bmv2's device manager rules (bmi_port_interface_add
// fails for a port or interface already attached; removing an absent port
// fails): both are InvalidDevMgrOperation ERROR. Attached follows adds and
// removes.
func TestDevMgr(t *testing.T) {
	ctx := context.Background()
	m := thrifttest.NewMemBackend()
	if err := m.DevMgrAddPort(ctx, "veth1", 1, ""); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"same port":      m.DevMgrAddPort(ctx, "veth9", 1, ""),
		"same interface": m.DevMgrAddPort(ctx, "veth1", 2, ""),
		"remove absent":  m.DevMgrRemovePort(ctx, 5),
	} {
		if !errors.Is(err, thrift.DevMgrFailed) {
			t.Errorf("%s: %v, want DevMgrFailed", name, err)
		}
	}
	if got := m.Attached(1); got != "veth1" {
		t.Errorf("Attached(1) = %q, want veth1", got)
	}
	if err := m.DevMgrRemovePort(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := m.Attached(1); got != "" {
		t.Errorf("Attached(1) = %q after removal, want none", got)
	}
}
