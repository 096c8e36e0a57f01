package dataplane

import (
	"slices"
	"testing"
)

// Spans finds the fields where the program's parser does: link_monitor's
// probe (EtherType 0x812) carries a stack of probe_data headers, parsed
// until one has bos set, then one probe_fwd per hop.
func TestSpans(t *testing.T) {
	sw := New(loadFixture(t, "registers-link_monitor"), Options{})
	frame := cat(
		hx("ffffffffffff 000000000001 0812"), // Ethernet, a probe
		hx("02"),                             // probe: hop_cnt 2
		hx("00 03 00000010 000000000001 000000000002"), // probe_data[0]: bos 0
		hx("81 02 00000020 000000000003 000000000004"), // probe_data[1]: bos 1
		hx("04 05"), // probe_fwd[0], probe_fwd[1]
	)
	got := sw.Spans(1, frame)
	want := []FieldSpan{
		{"ethernet.dstAddr", 0, 48}, {"ethernet.srcAddr", 48, 48}, {"ethernet.etherType", 96, 16},
		{"probe.hop_cnt", 112, 8},
		{"probe_data[0].bos", 120, 1}, {"probe_data[0].swid", 121, 7}, {"probe_data[0].port", 128, 8},
		{"probe_data[0].byte_cnt", 136, 32}, {"probe_data[0].last_time", 168, 48}, {"probe_data[0].cur_time", 216, 48},
		{"probe_data[1].bos", 264, 1}, {"probe_data[1].swid", 265, 7}, {"probe_data[1].port", 272, 8},
		{"probe_data[1].byte_cnt", 280, 32}, {"probe_data[1].last_time", 312, 48}, {"probe_data[1].cur_time", 360, 48},
		{"probe_fwd[0].egress_spec", 408, 8}, {"probe_fwd[1].egress_spec", 416, 8},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("spans:\n got %v\nwant %v", got, want)
	}
	// A frame cut short: the headers extracted before the parser stopped.
	if got := sw.Spans(1, frame[:20]); len(got) != 4 || got[3].Field != "probe.hop_cnt" {
		t.Fatalf("a frame cut short: %v", got)
	}
}
