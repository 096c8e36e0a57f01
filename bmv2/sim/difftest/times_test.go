package difftest

import (
	"encoding/hex"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim/dataplane/bmjson"
	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/pipelines"
)

func loadDoc(t *testing.T, dir string) (*bmjson.Document, []byte) {
	t.Helper()
	prog, err := pipelines.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := bmjson.Decode(prog.JSON)
	if err != nil {
		t.Fatal(err)
	}
	return doc, prog.JSON
}

func sharedDir(t *testing.T, name string) string {
	for _, fx := range fixtures.All(t) {
		if fx.Name == name {
			return fx.Dir
		}
	}
	t.Fatalf("no shared pipeline %s", name)
	return ""
}

// The times of a program follow the clock through the program: link_monitor
// writes egress_global_timestamp into a register and into the probe it
// emits (cur_time), and what it read from that register into the probe
// too (last_time); lime_l2 keeps the ingress timestamp of each port. The
// byte counts beside them are not times.
func TestTimesOf(t *testing.T) {
	doc, _ := loadDoc(t, sharedDir(t, "registers-link_monitor"))
	tm := TimesOf(doc)
	if got, want := slices.Sorted(maps.Keys(tm.Registers)), []string{"MyEgress.last_time_reg"}; !slices.Equal(got, want) {
		t.Errorf("link_monitor's time registers: %v, want %v", got, want)
	}
	for _, f := range []string{"probe_data[0].cur_time", "probe_data[0].last_time", "scalars.last_time_0"} {
		if !tm.Fields[f] {
			t.Errorf("link_monitor: %s is not found a time (times: %v)", f, slices.Sorted(maps.Keys(tm.Fields)))
		}
	}
	for _, f := range []string{"probe_data[0].byte_cnt", "scalars.byte_cnt_0", "probe_data[1].cur_time", "ethernet.dstAddr"} {
		if tm.Fields[f] {
			t.Errorf("link_monitor: %s is found a time", f)
		}
	}
	doc, _ = loadDoc(t, filepath.Join("..", "..", "..", "pipelines", pipelines.LimeL2))
	if got, want := slices.Sorted(maps.Keys(TimesOf(doc).Registers)), []string{"ingress.port_last_seen"}; !slices.Equal(got, want) {
		t.Errorf("lime_l2's time registers: %v, want %v", got, want)
	}
}

// A probe link_monitor emits reads the same on two switches whose clocks
// differ: its times are shown set or zero; every other byte as it is.
func TestFrameTimesRender(t *testing.T) {
	doc, raw := loadDoc(t, sharedDir(t, "registers-link_monitor"))
	ft, err := NewFrameTimes(doc, raw)
	if err != nil {
		t.Fatal(err)
	}
	probe := func(last, cur string) []byte {
		return hexBytes(t, "ffffffffffff000000000001 0812 01 8103 00000010"+last+cur+" 04")
	}
	a := ft.Render(3, probe("000000000000", "00000001e240"))
	b := ft.Render(3, probe("000000000000", "0000075bcd15"))
	if a != b {
		t.Errorf("two probes differing in their times render apart:\n%s\n%s", a, b)
	}
	if !strings.Contains(a, "probe_data[0].last_time zero, probe_data[0].cur_time set") {
		t.Errorf("render: %s", a)
	}
	if c := ft.Render(3, probe("000000000001", "00000001e240")); c == a {
		t.Errorf("a probe whose last time is set renders as one whose last time is zero: %s", c)
	}
	other := hexBytes(t, "ffffffffffff000000000001 0812 01 8103 00000011 000000000000 00000001e240 04")
	if ft.Render(3, other) == a {
		t.Errorf("a probe with another byte count renders the same")
	}
	// A probe sent to the CPU port, as a packet-in: the same.
	pa, pb := ft.RenderPacketIn(&p4v1.PacketIn{Payload: probe("000000000000", "00000001e240")}),
		ft.RenderPacketIn(&p4v1.PacketIn{Payload: probe("000000000000", "0000075bcd15")})
	if pa != pb || !strings.Contains(pa, "probe_data[0].cur_time set") {
		t.Errorf("two packet-ins differing in their times:\n%s\n%s", pa, pb)
	}
	// A program without times renders as FrameOut.
	doc, raw = loadDoc(t, sharedDir(t, "tutorials-basic"))
	if ft, err = NewFrameTimes(doc, raw); err != nil {
		t.Fatal(err)
	}
	if f := []byte{1, 2, 3}; ft.Render(1, f) != FrameOut(1, f) {
		t.Errorf("tutorials-basic: %s", ft.Render(1, f))
	}
}

// hexBytes decodes hex written with spaces between groups.
func hexBytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
