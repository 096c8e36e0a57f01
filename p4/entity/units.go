package entity

import (
	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/info"
)

// KeepUnit clears, in the counter data of e (a counter cell, a direct
// counter cell, or a table entry with its direct counter), the count its
// counter's unit (in in's P4Info) does not count. bmv2 counts packets and
// bytes in every counter and reads both back, but a write sets only what
// the unit counts: the other count of a copy stays what the copy's own
// traffic made it, so copies are compared on the unit's counts alone.
func KeepUnit(e *p4v1.Entity, in *info.Info) {
	var d *p4v1.CounterData
	unit := p4configv1.CounterSpec_BOTH
	switch x := e.GetEntity().(type) {
	case *p4v1.Entity_CounterEntry:
		if c := in.Counter(x.CounterEntry.GetCounterId()); c != nil {
			d, unit = x.CounterEntry.GetData(), c.Unit
		}
	case *p4v1.Entity_DirectCounterEntry:
		if t := in.Table(x.DirectCounterEntry.GetTableEntry().GetTableId()); t != nil && t.DirectCounter != nil {
			d, unit = x.DirectCounterEntry.GetData(), t.DirectCounter.Unit
		}
	case *p4v1.Entity_TableEntry:
		if t := in.Table(x.TableEntry.GetTableId()); t != nil && t.DirectCounter != nil {
			d, unit = x.TableEntry.GetCounterData(), t.DirectCounter.Unit
		}
	}
	if d == nil {
		return
	}
	switch unit {
	case p4configv1.CounterSpec_PACKETS:
		d.ByteCount = 0
	case p4configv1.CounterSpec_BYTES:
		d.PacketCount = 0
	}
}
