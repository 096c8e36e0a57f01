package clone

import (
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/entity"
)

// KindStats counts what a clone did with one kind of entity.
type KindStats struct {
	Read      int64 `json:"read"`      // source entities read
	Inserted  int64 `json:"inserted"`  // written with INSERT
	Modified  int64 `json:"modified"`  // written with MODIFY (different on the target, or MODIFY-only kinds)
	Unchanged int64 `json:"unchanged"` // already equal on the target
	Failed    int64 `json:"failed"`    // rejected by the target or untranslatable
	Extra     int64 `json:"extra"`     // on the target only
	Deleted   int64 `json:"deleted"`   // extras deleted (Prune)
}

// written counts n updates of type typ written.
func (s *KindStats) written(typ p4v1.Update_Type, n int64) {
	switch typ {
	case p4v1.Update_INSERT:
		s.Inserted += n
	case p4v1.Update_MODIFY:
		s.Modified += n
	default:
		s.Deleted += n
	}
}

// Failure is an entity that did not reach the target.
type Failure struct {
	Kind   entity.Kind  `json:"kind"`
	Entity string       `json:"entity"`
	Error  string       `json:"error"`
	Source *p4v1.Entity `json:"-"`
}

// Extra is an entity the target holds and the source lacks.
type Extra struct {
	Kind   entity.Kind  `json:"kind"`
	Entity string       `json:"entity"` // described with target names
	Target *p4v1.Entity `json:"-"`
}

// Unreadable is a part of the source state the source would not give (for
// example registers on bmv2, which answers UNIMPLEMENTED).
type Unreadable struct {
	What  string `json:"what"`
	Error string `json:"error"`
}

// Result is what a clone did.
type Result struct {
	Kinds      map[entity.Kind]*KindStats `json:"kinds"`
	Failures   []Failure                  `json:"failures,omitempty"`
	Extras     []Extra                    `json:"extras,omitempty"`
	Unreadable []Unreadable               `json:"unreadable,omitempty"`
	Warnings   []string                   `json:"warnings,omitempty"`
	Duration   time.Duration              `json:"duration_ns"`
}

// OK reports whether everything was copied: no failures, nothing
// unreadable, and no extras left on the target.
func (r *Result) OK() bool {
	t := r.Total()
	return t.Failed == 0 && len(r.Unreadable) == 0 && t.Extra == t.Deleted
}

// Total sums the per-kind stats.
func (r *Result) Total() KindStats {
	var t KindStats
	for _, s := range r.Kinds {
		t.Read += s.Read
		t.Inserted += s.Inserted
		t.Modified += s.Modified
		t.Unchanged += s.Unchanged
		t.Failed += s.Failed
		t.Extra += s.Extra
		t.Deleted += s.Deleted
	}
	return t
}

func (r *Result) stats(k entity.Kind) *KindStats {
	s := r.Kinds[k]
	if s == nil {
		s = &KindStats{}
		r.Kinds[k] = s
	}
	return s
}
