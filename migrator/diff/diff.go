package diff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/migrator/snapshot"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/translate"
)

// Options configure Run.
type Options struct {
	// Translator maps the first device's entities to the second's. Required.
	Translator *translate.Translator
	// MaxReported bounds the items kept per list (counts stay complete);
	// default 1000.
	MaxReported int
}

// Item is one difference.
type Item struct {
	Kind   entity.Kind        `json:"kind"`
	Entity string             `json:"entity"`
	Fields []entity.FieldDiff `json:"fields,omitempty"`
	// Key is the entity in the second device's terms (nil when the first
	// device's entity could not be translated).
	Key *p4v1.Entity `json:"-"`
}

// Counts are per-kind totals.
type Counts struct {
	Compared          int64 `json:"compared"`
	Missing           int64 `json:"missing"`
	Extra             int64 `json:"extra"`
	Different         int64 `json:"different"`
	VolatileDifferent int64 `json:"volatile_different"`
}

// Report is the outcome of a diff.
type Report struct {
	Kinds             map[entity.Kind]*Counts `json:"kinds"`
	Missing           []Item                  `json:"missing,omitempty"` // on the first device only
	Extra             []Item                  `json:"extra,omitempty"`   // on the second device only
	Different         []Item                  `json:"different,omitempty"`
	VolatileDifferent []Item                  `json:"volatile_different,omitempty"`
	// Unreadable lists reads either device refused (e.g. registers on bmv2).
	Unreadable []string `json:"unreadable,omitempty"`
}

// Equal reports whether the two devices hold the same configuration:
// nothing missing, extra or different, and everything readable. Volatile
// differences do not count.
func (r *Report) Equal() bool {
	t := r.Total()
	return t.Missing == 0 && t.Extra == 0 && t.Different == 0 && len(r.Unreadable) == 0
}

// Total sums the per-kind counts.
func (r *Report) Total() Counts {
	var t Counts
	for _, c := range r.Kinds {
		t.Compared += c.Compared
		t.Missing += c.Missing
		t.Extra += c.Extra
		t.Different += c.Different
		t.VolatileDifferent += c.VolatileDifferent
	}
	return t
}

func (r *Report) counts(k entity.Kind) *Counts {
	c := r.Kinds[k]
	if c == nil {
		c = &Counts{}
		r.Kinds[k] = c
	}
	return c
}

// Run compares a (read through the translator) with b.
func Run(ctx context.Context, a, b snapshot.Reader, opts Options) (*Report, error) {
	if opts.Translator == nil {
		return nil, fmt.Errorf("diff: no translator")
	}
	if opts.MaxReported <= 0 {
		opts.MaxReported = 1000
	}
	d := &differ{opts: opts, tr: opts.Translator, rep: &Report{Kinds: map[entity.Kind]*Counts{}}}
	for _, req := range snapshot.Plan(d.tr.From) {
		if err := d.request(ctx, a, b, req); err != nil {
			return d.rep, err
		}
	}
	return d.rep, nil
}

type differ struct {
	opts       Options
	tr         *translate.Translator
	rep        *Report
	bufA, bufB []byte // encodings compared (sameBytes)
}

func (d *differ) add(list *[]Item, it Item) {
	if len(*list) < d.opts.MaxReported {
		*list = append(*list, it)
	}
}

// chunk is a run of entities one device answered, keyed (in the second
// device's terms), or the error that ended its read.
type chunk struct {
	items []keyed
	err   error
}

type keyed struct {
	k   entity.Key
	e   *p4v1.Entity
	bad error // the first device's entity has no translation
}

// chunkLen is how many entities travel together from a reader.
const chunkLen = 256

// feed reads req from r and sends its entities, keyed, in chunks on out;
// with tr, each is translated first. It ends with a chunk carrying the
// read's error (nil when whole), unless ctx ends first.
func feed(ctx context.Context, r snapshot.Reader, req snapshot.Request, tr *translate.Translator, out chan<- chunk) {
	send := func(c chunk) bool {
		select {
		case out <- c:
			return true
		case <-ctx.Done():
			return false
		}
	}
	items := make([]keyed, 0, chunkLen)
	for e, err := range snapshot.Read(ctx, r, req) {
		if err != nil {
			send(chunk{items: items, err: err})
			return
		}
		it := keyed{e: e}
		if tr != nil {
			it.bad = tr.EntityInPlace(e)
		}
		if it.bad == nil {
			var kerr error
			if it.k, kerr = entity.Of(e); kerr != nil {
				continue
			}
		}
		items = append(items, it)
		if len(items) == chunkLen {
			if !send(chunk{items: items}) {
				return
			}
			items = make([]keyed, 0, chunkLen)
		}
	}
	send(chunk{items: items, err: errDone})
}

// errDone ends a whole read's chunks.
var errDone = errors.New("read whole")

// request compares what both devices answer to req, read at once: each
// entity is compared as soon as its counterpart came from the other
// device; what stays unmatched once both reads ended is missing or extra.
func (d *differ) request(ctx context.Context, a, b snapshot.Reader, req snapshot.Request) error {
	c := d.rep.counts(req.Kind)
	f, err := d.tr.Entity(req.Filter)
	if err != nil {
		return fmt.Errorf("diff: %s: %w", req.Name(), err)
	}
	breq := snapshot.Request{Kind: req.Kind, Object: req.Object, Filter: f}
	rctx, cancel := context.WithCancel(ctx)
	fromA, fromB := make(chan chunk, 4), make(chan chunk, 4)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); feed(rctx, a, req, d.tr, fromA) }()
	go func() { defer wg.Done(); feed(rctx, b, breq, nil, fromB) }()
	defer wg.Wait()
	defer cancel()

	type pending struct {
		e   *p4v1.Entity
		seq int
	}
	ours := map[entity.Key]pending{} // read from a, not yet from b
	theirs := map[entity.Key]*p4v1.Entity{}
	var missing []pending
	seq := 0
	for fromA != nil || fromB != nil {
		var ch chunk
		var first bool
		select {
		case ch = <-fromA:
			first = true
		case ch = <-fromB:
		case <-ctx.Done(): // the feeds end without a last chunk
			return ctx.Err()
		}
		if first {
			for _, it := range ch.items {
				c.Compared++
				seq++
				if it.bad != nil {
					c.Missing++
					d.add(&d.rep.Missing, Item{Kind: req.Kind, Entity: it.bad.Error()})
					continue
				}
				if other, ok := theirs[it.k]; ok {
					delete(theirs, it.k)
					d.compare(c, req.Kind, it.e, other)
					continue
				}
				ours[it.k] = pending{it.e, seq}
			}
		} else {
			for _, it := range ch.items {
				if mine, ok := ours[it.k]; ok {
					delete(ours, it.k)
					d.compare(c, req.Kind, mine.e, it.e)
					continue
				}
				theirs[it.k] = it.e
			}
		}
		switch {
		case ch.err == nil:
			continue
		case ch.err != errDone:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			who := "second device: "
			if first {
				who = "first device: "
			}
			d.rep.Unreadable = append(d.rep.Unreadable, who+ch.err.Error())
			return nil
		case first:
			fromA = nil
		default:
			fromB = nil
		}
	}
	for _, p := range ours {
		missing = append(missing, p)
	}
	slices.SortFunc(missing, func(x, y pending) int { return x.seq - y.seq })
	for _, p := range missing {
		c.Missing++
		d.add(&d.rep.Missing, Item{Kind: req.Kind, Entity: entity.Describe(p.e, d.tr.To), Key: p.e})
	}
	for _, e := range theirs {
		c.Extra++
		d.add(&d.rep.Extra, Item{Kind: req.Kind, Entity: entity.Describe(e, d.tr.To), Key: e})
	}
	return nil
}

// compare counts how e (the first device's, translated) and other (the
// second's, same key) differ.
func (d *differ) compare(c *Counts, kind entity.Kind, e, other *p4v1.Entity) {
	// A copy's count that its counter's unit does not count is its own
	// (bmv2 writes only the unit's count).
	entity.KeepUnit(e, d.tr.To)
	entity.KeepUnit(other, d.tr.To)
	if d.sameBytes(e, other) {
		return // the same, as read: nothing to normalise
	}
	if fields := entity.Diff(e, other); len(fields) > 0 {
		c.Different++
		d.add(&d.rep.Different, Item{Kind: kind, Entity: entity.Describe(e, d.tr.To), Fields: fields, Key: e})
	}
	if fields := entity.DiffVolatile(e, other); len(fields) > 0 {
		c.VolatileDifferent++
		d.add(&d.rep.VolatileDifferent, Item{Kind: kind, Entity: entity.Describe(e, d.tr.To), Fields: fields, Key: e})
	}
}

// sameBytes reports whether e and other encode to the same bytes
// (deterministic): then they are equal; else entity.Diff looks closer
// (two encodings of one value differ in bytes).
func (d *differ) sameBytes(e, other *p4v1.Entity) bool {
	var err error
	opts := proto.MarshalOptions{Deterministic: true}
	if d.bufA, err = opts.MarshalAppend(d.bufA[:0], e); err != nil {
		return false
	}
	if d.bufB, err = opts.MarshalAppend(d.bufB[:0], other); err != nil {
		return false
	}
	return bytes.Equal(d.bufA, d.bufB)
}
