package diff

import (
	"context"
	"fmt"

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
	opts Options
	tr   *translate.Translator
	rep  *Report
}

func (d *differ) add(list *[]Item, it Item) {
	if len(*list) < d.opts.MaxReported {
		*list = append(*list, it)
	}
}

func (d *differ) request(ctx context.Context, a, b snapshot.Reader, req snapshot.Request) error {
	c := d.rep.counts(req.Kind)
	f, err := d.tr.Entity(req.Filter)
	if err != nil {
		return fmt.Errorf("diff: %s: %w", req.Name(), err)
	}
	breq := snapshot.Request{Kind: req.Kind, Object: req.Object, Filter: f}
	theirs := map[entity.Key]*p4v1.Entity{}
	for e, err := range snapshot.Read(ctx, b, breq) {
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			d.rep.Unreadable = append(d.rep.Unreadable, "second device: "+err.Error())
			return nil
		}
		if k, err := entity.Of(e); err == nil {
			theirs[k] = e
		}
	}
	for e, err := range snapshot.Read(ctx, a, req) {
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			d.rep.Unreadable = append(d.rep.Unreadable, "first device: "+err.Error())
			return nil
		}
		c.Compared++
		if err := d.tr.EntityInPlace(e); err != nil {
			c.Missing++
			d.add(&d.rep.Missing, Item{Kind: req.Kind, Entity: err.Error()})
			continue
		}
		k, err := entity.Of(e)
		if err != nil {
			continue
		}
		other, ok := theirs[k]
		if !ok {
			c.Missing++
			d.add(&d.rep.Missing, Item{Kind: req.Kind, Entity: entity.Describe(e, d.tr.To), Key: e})
			continue
		}
		delete(theirs, k)
		// A copy's count that its counter's unit does not count is its own
		// (bmv2 writes only the unit's count).
		entity.KeepUnit(e, d.tr.To)
		entity.KeepUnit(other, d.tr.To)
		if proto.Equal(e, other) {
			continue // the same, as read: nothing to normalise
		}
		if fields := entity.Diff(e, other); len(fields) > 0 {
			c.Different++
			d.add(&d.rep.Different, Item{Kind: req.Kind, Entity: entity.Describe(e, d.tr.To), Fields: fields, Key: e})
		}
		if fields := entity.DiffVolatile(e, other); len(fields) > 0 {
			c.VolatileDifferent++
			d.add(&d.rep.VolatileDifferent, Item{Kind: req.Kind, Entity: entity.Describe(e, d.tr.To), Fields: fields, Key: e})
		}
	}
	for _, e := range theirs {
		c.Extra++
		d.add(&d.rep.Extra, Item{Kind: req.Kind, Entity: entity.Describe(e, d.tr.To), Key: e})
	}
	return nil
}
