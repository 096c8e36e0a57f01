package clone

import (
	"context"
	"log/slog"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/migrator/snapshot"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/translate"
)

// Options configure Run. Zero values are defaults.
type Options struct {
	// Translator maps source entities to the target (ids by name, ports by
	// map). Required.
	Translator *translate.Translator
	// BatchSize is the number of updates per WriteRequest (default 500).
	BatchSize int
	// Inflight is the number of WriteRequests outstanding at once (default 4).
	Inflight int
	// Prescan reads the source once before writing: untranslatable entities
	// are then found before any write, and progress knows the total.
	Prescan bool
	// Prune deletes what the target holds and the source lacks; without it
	// such entities are only reported.
	Prune bool
	// TargetEmpty says the target was just given its pipeline and has
	// carried no traffic: it holds no entity and every array cell is zero.
	// The clone then reads from it only what exists with the pipeline
	// (default entries, meter configs), and reads the source's counter and
	// register arrays while the tables are copied, keeping only the cells
	// that are not zero. (lime clone --pipeline, and a migration that
	// sets the target's pipeline.) Wrong, it would leave the target's own
	// non-zero cells where the source has zeros.
	TargetEmpty bool
	// SkipCounters leaves counter values (direct and indirect) as the
	// target has them: a migration sums the two devices' counters instead
	// of copying them.
	SkipCounters bool
	// SkipRegisters leaves register values as the target has them: a
	// migration whose hosts are on the target already merges them instead
	// (their traffic writes the target's).
	SkipRegisters bool
	// MaxReported bounds the failures and extras kept with their entities
	// in the Result (counts are always complete); default 1000.
	MaxReported int
	// Progress, when set, is called after each batch is queued and at each
	// phase change, from the goroutine that called Run.
	Progress func(Progress)
	// TargetReader reads the target (to skip what it already holds); nil
	// reads through the target's client. bmv2 needs a reader that takes
	// registers over Thrift (bmv2/regs).
	TargetReader snapshot.Reader
	// TargetRegisters writes register cells when the target answers
	// UNIMPLEMENTED to P4Runtime register writes, as bmv2 does; after the
	// first such answer every register cell goes through it.
	TargetRegisters RegisterWriter
	// Log receives one line per phase; nil discards.
	Log *slog.Logger
}

// RegisterWriter writes one register cell by a path other than P4Runtime
// (*regs.Writer, over bmv2's Thrift API).
type RegisterWriter interface {
	WriteRegister(ctx context.Context, e *p4v1.Entity) error
}

func (o *Options) defaults() {
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.Inflight <= 0 {
		o.Inflight = 4
	}
	if o.MaxReported <= 0 {
		o.MaxReported = 1000
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Progress is a snapshot of a running clone.
type Progress struct {
	Phase   string      // "prescan", "clone", "prune"
	Kind    entity.Kind // the kind being copied
	Object  string      // what is being read (e.g. "table entries of ingress.acl")
	Done    int64       // source entities handled so far
	Total   int64       // from the pre-scan; 0 when unknown
	Elapsed time.Duration
}
