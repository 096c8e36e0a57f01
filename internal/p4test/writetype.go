package p4test

import p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

// WriteType is the update type that creates an entity: INSERT for entities
// with a life of their own, MODIFY for the ones that always exist (default
// entries, array cells, direct resources, value sets; P4Runtime spec
// sections 9.1.3, 9.4, 9.5, 9.7).
func WriteType(e *p4v1.Entity) p4v1.Update_Type {
	switch x := e.GetEntity().(type) {
	case *p4v1.Entity_TableEntry:
		if x.TableEntry.GetIsDefaultAction() {
			return p4v1.Update_MODIFY
		}
		return p4v1.Update_INSERT
	case *p4v1.Entity_CounterEntry, *p4v1.Entity_DirectCounterEntry, *p4v1.Entity_MeterEntry,
		*p4v1.Entity_DirectMeterEntry, *p4v1.Entity_RegisterEntry, *p4v1.Entity_ValueSetEntry:
		return p4v1.Update_MODIFY
	}
	return p4v1.Update_INSERT
}
