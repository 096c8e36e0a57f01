package clone

import (
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/entity"
)

// deletion returns the entity to DELETE an extra: its identity alone.
func deletion(e *p4v1.Entity) *p4v1.Entity {
	if te := e.GetTableEntry(); te != nil {
		return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{
			TableId: te.TableId, Match: te.Match, Priority: te.Priority}}}
	}
	entity.StripReadOnly(e)
	return e
}
