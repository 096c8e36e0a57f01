package clone

import (
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/entity"
)

// insertable kinds are written with INSERT when new; the others exist on
// every device (cells, default entries, value sets) and take MODIFY only.
func insertable(k entity.Kind) bool {
	switch k {
	case entity.KindDigest, entity.KindMulticastGroup, entity.KindCloneSession,
		entity.KindMember, entity.KindGroup, entity.KindTableEntry:
		return true
	}
	return false
}

// stripReadOnly clears what a server fills on reads but refuses or ignores
// on writes: is_const, time_since_last_hit and meter colour counts.
func stripReadOnly(e *p4v1.Entity) {
	switch x := e.GetEntity().(type) {
	case *p4v1.Entity_TableEntry:
		x.TableEntry.IsConst = false
		x.TableEntry.TimeSinceLastHit = nil
		x.TableEntry.MeterCounterData = nil
	case *p4v1.Entity_MeterEntry:
		x.MeterEntry.CounterData = nil
	case *p4v1.Entity_DirectMeterEntry:
		x.DirectMeterEntry.CounterData = nil
	}
}

// deletion returns the entity to DELETE an extra: its identity alone.
func deletion(e *p4v1.Entity) *p4v1.Entity {
	if te := e.GetTableEntry(); te != nil {
		return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{
			TableId: te.TableId, Match: te.Match, Priority: te.Priority}}}
	}
	stripReadOnly(e)
	return e
}
