package entity

import (
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/p4/info"
)

// TestKeepUnit: a PACKETS counter keeps its packet count alone, a BOTH
// counter both counts (onos-basic's port counters and table0's direct
// counter; issue 15: bmv2 reads both counts whatever the unit).
func TestKeepUnit(t *testing.T) {
	in, err := info.Load(fixtures.Get(t, "onos-basic").P4Info)
	if err != nil {
		t.Fatal(err)
	}
	port := in.CounterByName("ingress.port_counters_ingress.ingress_port_counter")
	table0 := in.TableByName("ingress.table0_control.table0")
	cell := &p4v1.Entity{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: port.ID,
		Index: &p4v1.Index{Index: 1}, Data: &p4v1.CounterData{PacketCount: 4, ByteCount: 198}}}}
	KeepUnit(cell, in)
	if d := cell.GetCounterEntry().GetData(); d.GetPacketCount() != 4 || d.GetByteCount() != 0 {
		t.Errorf("PACKETS counter cell keeps %v, want 4 packets alone", d)
	}
	entry := &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: table0.ID,
		CounterData: &p4v1.CounterData{PacketCount: 4, ByteCount: 198}}}}
	KeepUnit(entry, in)
	if d := entry.GetTableEntry().GetCounterData(); d.GetPacketCount() != 4 || d.GetByteCount() != 198 {
		t.Errorf("BOTH direct counter keeps %v, want both counts", d)
	}
}
