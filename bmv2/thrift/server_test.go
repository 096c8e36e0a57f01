package thrift_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	athrift "github.com/apache/thrift/lib/go/thrift"
	"github.com/google/go-cmp/cmp"

	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/bmv2/thrift/thrifttest"
	"github.com/lime-p4/lime/internal/fixtures"
)

// linkMonitor returns a backend with the register arrays of the
// registers-link_monitor fixture (MyEgress.byte_cnt_reg: 8 x bit<32>,
// MyEgress.last_time_reg: 8 x bit<48>) plus arrays of other widths and an
// indirect counter.
func linkMonitor(t *testing.T) *thrifttest.MemBackend {
	t.Helper()
	js, err := os.ReadFile(fixtures.Get(t, "registers-link_monitor").JSON)
	if err != nil {
		t.Fatal(err)
	}
	b, err := thrifttest.FromBMv2JSON(js)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		name        string
		size, width int
	}{{"w1", 4, 1}, {"w8", 4, 8}, {"w63", 2, 63}, {"w64", 2, 64}, {"empty", 0, 8}} {
		if err := b.AddRegister(r.name, r.size, r.width); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.AddCounter("ctr", 4); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRegisterTruncation checks the division of labour documented in the
// package: values travel as signed i64 untouched, the backend truncates to
// the register width (bmv2's Register::export_bytes masks with 2^width-1,
// two's complement), reads return the stored value.
func TestRegisterTruncation(t *testing.T) {
	addr, _ := thrifttest.Serve(t, linkMonitor(t))
	c := thrifttest.Dial(t, addr)
	ctx := testCtx(t)
	for _, tc := range []struct {
		reg        string
		write, get int64
	}{
		{"w1", 1, 1},
		{"w1", 2, 0},
		{"w1", 3, 1},
		{"w1", -1, 1},
		{"w8", 0x1ff, 0xff},
		{"w8", -1, 0xff},
		{"w8", -256, 0},
		{"MyEgress.byte_cnt_reg", -1, 0xffffffff},
		{"MyEgress.byte_cnt_reg", 1 << 32, 0},
		{"MyEgress.byte_cnt_reg", 1<<32 + 7, 7},
		{"MyEgress.last_time_reg", -2, 1<<48 - 2},
		{"MyEgress.last_time_reg", 1<<47 + 1, 1<<47 + 1},
		{"w63", -1, 1<<63 - 1},
		{"w64", -1, -1},
		{"w64", -1 << 63, -1 << 63},
	} {
		if err := c.RegisterWrite(ctx, tc.reg, 1, tc.write); err != nil {
			t.Fatalf("write %s = %d: %v", tc.reg, tc.write, err)
		}
		got, err := c.RegisterRead(ctx, tc.reg, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.get {
			t.Errorf("%s: wrote %d (%#x), read %d (%#x); want %d (%#x)", tc.reg, tc.write, uint64(tc.write), got, uint64(got), tc.get, uint64(tc.get))
		}
	}
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		v     int64
		width int
		want  int64
	}{
		{-1, 0, 0}, {5, -3, 0}, {-1, 1, 1}, {-1, 8, 255}, {0x1ff, 8, 0xff},
		{-1, 32, 0xffffffff}, {-1, 63, 1<<63 - 1}, {-1, 64, -1}, {-1, 128, -1}, {42, 7, 42},
	} {
		if got := thrift.Truncate(tc.v, tc.width); got != tc.want {
			t.Errorf("Truncate(%d, %d) = %d, want %d", tc.v, tc.width, got, tc.want)
		}
	}
}

// TestEveryCall runs each call of the client against the server over
// loopback, backed by the in-memory backend, success and exception paths:
// the exception codes are bmv2's (Context::register_read/write: unknown name
// INVALID_REGISTER_NAME, idx >= size INVALID_INDEX; a negative i32 index is
// cast to size_t by bmv2 and so out of range; bm_register_read_all with no
// cells INVALID_REGISTER_NAME; counters likewise; DevMgr ERROR).
func TestEveryCall(t *testing.T) {
	addr, _ := thrifttest.Serve(t, linkMonitor(t))
	c := thrifttest.Dial(t, addr)
	ctx := testCtx(t)
	const reg = "MyEgress.byte_cnt_reg"

	// Registers.
	all, err := c.RegisterReadAll(ctx, reg)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(make([]int64, 8), all); d != "" {
		t.Errorf("fresh register (-want +got):\n%s", d)
	}
	for i := range int32(8) {
		if err := c.RegisterWrite(ctx, reg, i, int64(i)*100); err != nil {
			t.Fatal(err)
		}
	}
	all, err = c.RegisterReadAll(ctx, reg)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int64{0, 100, 200, 300, 400, 500, 600, 700}, all); d != "" {
		t.Errorf("after writes (-want +got):\n%s", d)
	}
	if v, err := c.RegisterRead(ctx, reg, 7); err != nil || v != 700 {
		t.Errorf("RegisterRead(7) = %d, %v; want 700", v, err)
	}
	if err := c.RegisterReset(ctx, reg); err != nil {
		t.Fatal(err)
	}
	if v, err := c.RegisterRead(ctx, reg, 7); err != nil || v != 0 {
		t.Errorf("after reset RegisterRead(7) = %d, %v; want 0", v, err)
	}

	// Counters.
	want := thrift.CounterValue{Bytes: 1 << 40, Packets: -1}
	if err := c.CounterWrite(ctx, "ctr", 2, want); err != nil {
		t.Fatal(err)
	}
	if got, err := c.CounterRead(ctx, "ctr", 2); err != nil || got != want {
		t.Errorf("CounterRead = %+v, %v; want %+v", got, err, want)
	}

	// Ports.
	if err := c.DevMgrAddPort(ctx, "veth2", 2, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.DevMgrAddPort(ctx, "veth1", 1, "/tmp/p1.pcap"); err != nil {
		t.Fatal(err)
	}
	ports, err := c.DevMgrShowPorts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantPorts := []thrift.PortInfo{
		{Port: 1, Iface: "veth1", IsUp: true, Extra: map[string]string{"in_pcap": "/tmp/p1.pcap", "out_pcap": "/tmp/p1.pcap"}},
		{Port: 2, Iface: "veth2", IsUp: true, Extra: map[string]string{}},
	}
	if d := cmp.Diff(wantPorts, ports); d != "" {
		t.Errorf("ports (-want +got):\n%s", d)
	}
	if err := c.DevMgrRemovePort(ctx, 2); err != nil {
		t.Fatal(err)
	}
	ports, err = c.DevMgrShowPorts(ctx)
	if err != nil || len(ports) != 1 || ports[0].Port != 1 {
		t.Errorf("after remove: %+v, %v; want port 1 only", ports, err)
	}
	if err := c.DevMgrRemovePort(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if ports, err := c.DevMgrShowPorts(ctx); err != nil || ports == nil || len(ports) != 0 {
		t.Errorf("no ports: %#v, %v; want an empty list", ports, err)
	}

	// Exceptions: code, and an error that names the call and its target.
	for _, tc := range []struct {
		name string
		call func() error
		is   error
		msg  string
	}{
		{"read unknown register", func() error { _, err := c.RegisterRead(ctx, "nope", 0); return err },
			thrift.RegisterInvalidName, `bm_register_read register "nope" index 0: InvalidRegisterOperation INVALID_REGISTER_NAME`},
		{"read past end", func() error { _, err := c.RegisterRead(ctx, reg, 8); return err },
			thrift.RegisterInvalidIndex, `bm_register_read register "MyEgress.byte_cnt_reg" index 8: InvalidRegisterOperation INVALID_INDEX`},
		{"read negative index", func() error { _, err := c.RegisterRead(ctx, reg, -1); return err },
			thrift.RegisterInvalidIndex, `index -1: InvalidRegisterOperation INVALID_INDEX`},
		{"write unknown register", func() error { return c.RegisterWrite(ctx, "nope", 0, 1) },
			thrift.RegisterInvalidName, `bm_register_write register "nope" index 0`},
		{"write past end", func() error { return c.RegisterWrite(ctx, reg, 1000, 1) },
			thrift.RegisterInvalidIndex, `bm_register_write register "MyEgress.byte_cnt_reg" index 1000`},
		{"read_all unknown", func() error { _, err := c.RegisterReadAll(ctx, "nope"); return err },
			thrift.RegisterInvalidName, `bm_register_read_all register "nope"`},
		{"read_all empty array", func() error { _, err := c.RegisterReadAll(ctx, "empty"); return err },
			thrift.RegisterInvalidName, `bm_register_read_all register "empty"`},
		{"reset unknown", func() error { return c.RegisterReset(ctx, "nope") },
			thrift.RegisterInvalidName, `bm_register_reset register "nope"`},
		{"counter read unknown", func() error { _, err := c.CounterRead(ctx, "nope", 0); return err },
			thrift.CounterInvalidName, `bm_counter_read counter "nope" index 0: InvalidCounterOperation INVALID_COUNTER_NAME`},
		{"counter read past end", func() error { _, err := c.CounterRead(ctx, "ctr", 4); return err },
			thrift.CounterInvalidIndex, `bm_counter_read counter "ctr" index 4: InvalidCounterOperation INVALID_INDEX`},
		{"counter write unknown", func() error { return c.CounterWrite(ctx, "nope", 0, thrift.CounterValue{}) },
			thrift.CounterInvalidName, `bm_counter_write counter "nope" index 0`},
		{"remove absent port", func() error { return c.DevMgrRemovePort(ctx, 9) },
			thrift.DevMgrFailed, `bm_dev_mgr_remove_port port 9: InvalidDevMgrOperation ERROR`},
		{"add port twice", func() error {
			if err := c.DevMgrAddPort(ctx, "veth5", 5, ""); err != nil {
				return err
			}
			return c.DevMgrAddPort(ctx, "veth6", 5, "")
		}, thrift.DevMgrFailed, `bm_dev_mgr_add_port port 5 interface "veth6": InvalidDevMgrOperation ERROR`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q, want it to contain %q", err, tc.msg)
			}
		})
	}
}

// failing answers some calls with errors that are not bmv2 exception codes.
type failing struct {
	*thrifttest.MemBackend
}

func (f failing) RegisterRead(ctx context.Context, name string, index int32) (int64, error) {
	switch name {
	case "disk":
		return 0, errors.New("disk on fire")
	case "mixed":
		// A counter code from a register call is not the declared exception.
		return 0, thrift.CounterInvalidName
	}
	return f.MemBackend.RegisterRead(ctx, name, index)
}

// TestBackendPlainError checks that a backend error that is not one of the
// declared exception codes reaches the client as a TApplicationException of
// type UNKNOWN carrying its text, as bmv2's generated C++ processor answers a
// handler that throws a non-Thrift exception, and that the connection stays
// usable.
func TestBackendPlainError(t *testing.T) {
	addr, _ := thrifttest.Serve(t, failing{linkMonitor(t)})
	c := thrifttest.Dial(t, addr)
	ctx := testCtx(t)
	for name, text := range map[string]string{"disk": "disk on fire", "mixed": "InvalidCounterOperation INVALID_COUNTER_NAME"} {
		_, err := c.RegisterRead(ctx, name, 0)
		var ae athrift.TApplicationException
		if !errors.As(err, &ae) {
			t.Fatalf("%s: error %v, want a TApplicationException", name, err)
		}
		if ae.TypeId() != athrift.UNKNOWN_APPLICATION_EXCEPTION || ae.Error() != text {
			t.Errorf("%s: TApplicationException type %d %q, want type 0 %q", name, ae.TypeId(), ae.Error(), text)
		}
	}
	if _, err := c.RegisterRead(ctx, "w8", 0); err != nil {
		t.Errorf("connection not usable after application exceptions: %v", err)
	}
}

// TestClientAsBackend serves a server from a client of another server: the
// client implements Backend, and exception codes pass through both hops.
func TestClientAsBackend(t *testing.T) {
	inner, _ := thrifttest.Serve(t, linkMonitor(t))
	outer, _ := thrifttest.Serve(t, thrifttest.Dial(t, inner))
	c := thrifttest.Dial(t, outer)
	ctx := testCtx(t)
	if err := c.RegisterWrite(ctx, "w8", 3, 0x1234); err != nil {
		t.Fatal(err)
	}
	if v, err := c.RegisterRead(ctx, "w8", 3); err != nil || v != 0x34 {
		t.Errorf("RegisterRead = %#x, %v; want 0x34", v, err)
	}
	if _, err := c.RegisterRead(ctx, "w8", 4); !errors.Is(err, thrift.RegisterInvalidIndex) {
		t.Errorf("error %v, want INVALID_INDEX through two hops", err)
	}
}

// TestFromBMv2JSON loads every fixture program and checks the arrays it
// declares; a broken document is an error naming the problem.
func TestFromBMv2JSON(t *testing.T) {
	ctx := testCtx(t)
	for _, p := range fixtures.All(t) {
		if p.JSON == "" {
			continue
		}
		js, err := os.ReadFile(p.JSON)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := thrifttest.FromBMv2JSON(js); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	}
	js, err := os.ReadFile(fixtures.Get(t, "scale-bigtable").JSON)
	if err != nil {
		t.Fatal(err)
	}
	b, err := thrifttest.FromBMv2JSON(js)
	if err != nil {
		t.Fatal(err)
	}
	all, err := b.RegisterReadAll(ctx, "I.flow_reg")
	if err != nil || len(all) != 65536 {
		t.Errorf("I.flow_reg: %d cells, %v; want 65536", len(all), err)
	}
	if _, err := b.CounterRead(ctx, "I.port_ctr", 1023); err != nil {
		t.Errorf("I.port_ctr[1023]: %v", err)
	}
	if _, err := thrifttest.FromBMv2JSON([]byte(`{"register_arrays": [`)); err == nil || !strings.Contains(err.Error(), "bmv2 JSON") {
		t.Errorf("truncated JSON: %v, want an error naming the bmv2 JSON", err)
	}
	if _, err := thrifttest.FromBMv2JSON([]byte(`{"register_arrays": [{"name": "r", "size": 1, "bitwidth": 0}]}`)); err == nil || !strings.Contains(err.Error(), `register "r"`) {
		t.Errorf("zero-width register: %v, want an error naming it", err)
	}
}
