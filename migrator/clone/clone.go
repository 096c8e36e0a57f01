package clone

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/migrator/snapshot"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/translate"
)

// ErrUntranslatable is returned, before any write, when the pre-scan finds
// source entities that cannot be translated (listed in Result.Failures).
var ErrUntranslatable = errors.New("source state cannot be translated to the target")

// Run clones the source's state onto dst. It returns the Result and an
// error only when the clone could not run to its end (unreachable device,
// cancelled context, untranslatable source, a whole batch refused); entities
// the target rejects are in Result.Failures and make Result.OK false.
func Run(ctx context.Context, src snapshot.Reader, dst *client.Client, opts Options) (*Result, error) {
	opts.defaults()
	if opts.Translator == nil {
		return nil, errors.New("clone: no translator")
	}
	r := &runner{ctx: ctx, src: src, dst: dst, opts: opts, tr: opts.Translator, h: newHasher(), start: time.Now(),
		res: &Result{Kinds: map[entity.Kind]*KindStats{}, Warnings: slices.Clone(opts.Translator.Warnings)}}
	defer func() { r.res.Duration = time.Since(r.start) }()
	plan := r.plan()
	if opts.Prescan {
		if err := r.prescan(plan); err != nil {
			return r.res, err
		}
	}
	w, err := client.NewBatchWriter(dst, opts.BatchSize, opts.Inflight)
	if err != nil {
		return r.res, err
	}
	r.w = w
	if opts.TargetEmpty {
		r.early = r.startEarlyCells(plan)
		defer r.early.stop()
	}
	r.ahead = startReadAhead(ctx, src, plan, func(i int) bool { return !snapshot.CellsOf(plan[i].Kind) }, 4*opts.BatchSize)
	defer r.ahead.stop()
	defer w.Close(context.WithoutCancel(ctx))
	if err := r.copy(plan); err != nil {
		return r.res, err
	}
	if opts.Prune {
		if err := r.prune(); err != nil {
			return r.res, err
		}
	}
	return r.res, w.Close(ctx)
}

// Check translates the whole source as Run's pre-scan does, without
// writing anything: ErrUntranslatable, with every such entity in
// Result.Failures, when some cannot reach the target (a port the port map
// does not cover, say).
func Check(ctx context.Context, src snapshot.Reader, opts Options) (*Result, error) {
	opts.defaults()
	if opts.Translator == nil {
		return nil, errors.New("clone: no translator")
	}
	r := &runner{ctx: ctx, src: src, opts: opts, tr: opts.Translator, h: newHasher(), start: time.Now(),
		res: &Result{Kinds: map[entity.Kind]*KindStats{}}}
	err := r.prescan(r.plan())
	r.res.Duration = time.Since(r.start)
	return r.res, err
}

type runner struct {
	ctx   context.Context
	src   snapshot.Reader
	dst   *client.Client
	opts  Options
	tr    *translate.Translator
	h     hasher
	w     *client.BatchWriter
	res   *Result
	start time.Time

	done, total int64
	phase       string
	cur         snapshot.Request
	pending     pendingRuns                    // the updates queued since the last barrier
	extras      map[entity.Kind][]*p4v1.Entity // kept for pruning
	early       *earlyCells                    // arrays read while tables are copied (TargetEmpty)
	ahead       *readAhead                     // the other kinds, read ahead of the copy
	regsDirect  bool                           // register cells go through opts.TargetRegisters
}

func (r *runner) progress(force bool) {
	if r.opts.Progress == nil || (!force && r.done%1024 != 0) {
		return
	}
	r.opts.Progress(Progress{Phase: r.phase, Kind: r.cur.Kind, Object: r.cur.Name(), Done: r.done, Total: r.total, Elapsed: time.Since(r.start)})
}

// plan is the snapshot to read: every kind, without the counters and the
// registers when they are skipped.
func (r *runner) plan() []snapshot.Request {
	plan := snapshot.Plan(r.tr.From)
	if r.opts.SkipRegisters {
		plan = slices.DeleteFunc(plan, func(req snapshot.Request) bool { return req.Kind == entity.KindRegister })
	}
	if !r.opts.SkipCounters {
		return plan
	}
	plan = slices.DeleteFunc(plan, func(req snapshot.Request) bool { return req.Kind == entity.KindCounter })
	for i, req := range plan {
		if te := req.Filter.GetTableEntry(); te != nil && te.CounterData != nil {
			f := proto.Clone(req.Filter).(*p4v1.Entity)
			f.GetTableEntry().CounterData = nil
			plan[i].Filter = f
		}
	}
	return plan
}

// prescan translates the whole source once without writing.
func (r *runner) prescan(plan []snapshot.Request) error {
	r.phase = "prescan"
	var bad int64
	for _, req := range plan {
		r.cur = req
		r.progress(true)
		if snapshot.CellsOf(req.Kind) {
			if err := r.prescanCells(req, &bad); err != nil {
				return err
			}
			continue
		}
		for e, err := range snapshot.Read(r.ctx, r.src, req) {
			if err != nil {
				if r.ctx.Err() != nil {
					return r.ctx.Err()
				}
				break // reported as unreadable by the copy
			}
			r.total++
			if _, err := r.tr.Entity(e); err != nil {
				bad++
				r.fail(req.Kind, e, errors.Unwrap(err))
			}
		}
	}
	if bad > 0 {
		return fmt.Errorf("%w: %d entities (first: %s)", ErrUntranslatable, bad, r.res.Failures[0].Error)
	}
	return nil
}

// prescanCells translates the cells of an array, building entities only
// for those that fail.
func (r *runner) prescanCells(req snapshot.Request, bad *int64) error {
	for c, err := range snapshot.Cells(r.ctx, r.src, req) {
		if err != nil {
			if r.ctx.Err() != nil {
				return r.ctx.Err()
			}
			return nil // reported as unreadable by the copy
		}
		r.total++
		if c.Kind != entity.KindUnknown {
			if _, err := r.tr.Cell(c.Cell); err == nil {
				continue
			}
		}
		e, err := c.Entity()
		if err != nil {
			return nil // reported by the copy
		}
		if _, err := r.tr.Entity(e); err != nil {
			*bad++
			r.fail(req.Kind, e, errors.Unwrap(err))
		}
	}
	return nil
}

// fail records an entity that did not reach the target. An entity that
// failed translation in place (without a pre-scan) is described as far as
// it was translated.
func (r *runner) fail(k entity.Kind, e *p4v1.Entity, err error) {
	r.res.stats(k).Failed++
	if len(r.res.Failures) >= r.opts.MaxReported {
		return
	}
	r.res.Failures = append(r.res.Failures, Failure{Kind: k, Entity: entity.Describe(e, r.tr.From, r.tr.To), Error: err.Error(), Source: e})
}

// copy writes the source's state, kind by kind.
func (r *runner) copy(plan []snapshot.Request) error {
	r.phase = "clone"
	r.done = 0
	r.extras = map[entity.Kind][]*p4v1.Entity{}
	for i, req := range plan {
		r.cur = req
		r.progress(true)
		var err error
		if r.early != nil && r.early.reqs[i] != nil {
			err = r.copyEarlyCells(i, req)
		} else {
			err = r.copyRequest(i, req)
		}
		if err != nil {
			return err
		}
		if i+1 == len(plan) || plan[i+1].Kind != req.Kind {
			if err := r.barrier(); err != nil {
				return err
			}
			r.opts.Log.Debug("cloned", "kind", req.Kind.String(), "stats", *r.res.stats(req.Kind))
		}
	}
	return nil
}

// targetRequest is req with the target's ids.
func (r *runner) targetRequest(req snapshot.Request) (snapshot.Request, error) {
	f, err := r.tr.Entity(req.Filter)
	if err != nil {
		return req, err
	}
	return snapshot.Request{Kind: req.Kind, Object: req.Object, Filter: f}, nil
}

func (r *runner) copyRequest(i int, req snapshot.Request) error {
	if snapshot.CellsOf(req.Kind) {
		return r.copyCells(req)
	}
	st := r.res.stats(req.Kind)
	treq, err := r.targetRequest(req)
	if err != nil {
		return fmt.Errorf("clone: %s: %w", req.Name(), err)
	}
	// An empty target holds no entity that takes INSERT; what exists with
	// the pipeline (default entries, meter configs) is read as usual: only
	// what differs from the program's defaults is written.
	idx, err := targetIndex{}, error(nil)
	if !r.opts.TargetEmpty || !entity.Insertable(req.Kind) {
		idx, err = readTarget(r.ctx, r.targetReader(), treq, r.h)
	}
	if err != nil {
		if r.ctx.Err() != nil {
			return r.ctx.Err()
		}
		// The target cannot tell what it holds: write everything, and let
		// ALREADY_EXISTS turn into MODIFY.
		r.res.Warnings = append(r.res.Warnings, fmt.Sprintf("target: %v", err))
		idx = targetIndex{}
	}
	for e, err := range r.ahead.entities(i) {
		if err != nil {
			if err := r.unreadable(req, err); err != nil {
				return err
			}
			break
		}
		st.Read++
		r.done++
		if err := r.tr.EntityInPlace(e); err != nil {
			r.fail(req.Kind, e, err)
			continue
		}
		entity.StripReadOnly(e)
		typ := p4v1.Update_MODIFY
		if len(idx) == 0 { // nothing on the target to compare with (a fresh target)
			if entity.Insertable(req.Kind) {
				typ = p4v1.Update_INSERT
				st.Inserted++
			} else {
				st.Modified++
			}
		} else if kh, err := r.keyHash(e); err != nil {
			r.fail(req.Kind, e, err)
			continue
		} else if p, ok := idx[kh]; ok {
			p.seen = true
			idx[kh] = p
			if cfg, vol := r.h.content(e); cfg == p.cfg && vol == p.vol {
				st.Unchanged++
				continue
			}
			st.Modified++
		} else if entity.Insertable(req.Kind) {
			typ = p4v1.Update_INSERT
			st.Inserted++
		} else {
			st.Modified++
		}
		if err := r.put(req.Kind, typ, e); err != nil {
			return err
		}
		r.progress(false)
	}
	if entity.Insertable(req.Kind) {
		return r.collectExtras(treq, idx)
	}
	return nil
}

// unreadable records that the source would not give (all of) req, unless
// the clone was cancelled: then it returns ctx's error.
func (r *runner) unreadable(req snapshot.Request, err error) error {
	if r.ctx.Err() != nil {
		return r.ctx.Err()
	}
	r.res.Unreadable = append(r.res.Unreadable, Unreadable{What: req.Name(), Error: err.Error()})
	return nil
}

// keyHash is the hash of e's key.
func (r *runner) keyHash(e *p4v1.Entity) (uint64, error) {
	k, err := entity.Of(e)
	if err != nil {
		return 0, err
	}
	return r.h.key(k), nil
}

// put writes one translated entity: a register cell straight through
// TargetRegisters once the target refused registers over P4Runtime, the
// rest queued.
func (r *runner) put(k entity.Kind, typ p4v1.Update_Type, e *p4v1.Entity) error {
	if k == entity.KindRegister && r.regsDirect {
		if err := r.opts.TargetRegisters.WriteRegister(r.ctx, e); err != nil {
			r.res.stats(k).Modified--
			r.fail(k, e, err)
		}
		return nil
	}
	return r.add(k, typ, e, false)
}

// add queues one update.
func (r *runner) add(k entity.Kind, typ p4v1.Update_Type, e *p4v1.Entity, retry bool) error {
	if r.early != nil {
		r.early.begin()
	}
	r.pending.add(pendingUpdate{kind: k, retry: retry})
	if err := r.w.Add(r.ctx, &p4v1.Update{Type: typ, Entity: e}); err != nil {
		return fmt.Errorf("clone: writing to the target: %w", err)
	}
	return nil
}

// barrier waits for every queued update, retries INSERTs that found the
// entity (as MODIFY) and MODIFYs that did not (as INSERT), once, and
// records the rest as failures.
func (r *runner) barrier() error {
	for {
		err := r.w.Flush(r.ctx)
		pending := r.pending.take()
		var we *client.WriteError
		if err != nil && !errors.As(err, &we) {
			return fmt.Errorf("clone: writing to the target: %w", err)
		}
		if we == nil {
			return nil
		}
		retried := false
		for _, f := range we.Failures {
			if f.BatchWide {
				return fmt.Errorf("clone: the target refused a whole batch: %w", &f)
			}
			p := pending.at(f.Index)
			st := r.res.stats(p.kind)
			code := codeOf(f.Err)
			next := resend(f.Update, code)
			switch {
			case p.kind == entity.KindRegister && code == codes.Unimplemented && r.opts.TargetRegisters != nil:
				// bmv2: registers only over Thrift, from now on directly.
				r.regsDirect = true
				if err := r.opts.TargetRegisters.WriteRegister(r.ctx, f.Update.Entity); err != nil {
					st.Modified--
					r.fail(p.kind, f.Update.Entity, err)
				}
			case !p.retry && next != nil:
				// Once: an INSERT of what exists as MODIFY, a MODIFY of
				// what is missing as INSERT.
				st.written(f.Update.Type, -1)
				st.written(next.Type, +1)
				if err := r.add(p.kind, next.Type, next.Entity, true); err != nil {
					return err
				}
				retried = true
			default:
				st.written(f.Update.Type, -1)
				r.fail(p.kind, f.Update.Entity, f.Err)
			}
		}
		if !retried {
			return nil
		}
	}
}

// resend is the update to send instead of u, which the target refused with
// code c, when u's intent is another update type (client.Intent); else nil.
func resend(u *p4v1.Update, c codes.Code) *p4v1.Update {
	if o, next := client.Intent(u, c); o == client.IntentResend {
		return next
	}
	return nil
}

func codeOf(err error) codes.Code {
	var pe *client.P4Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return codes.Unknown
}

// collectExtras reports what the target holds for treq that the source did
// not have, keeping the entities for Prune.
func (r *runner) collectExtras(treq snapshot.Request, idx targetIndex) error {
	if idx.unseen() == 0 {
		return nil
	}
	st := r.res.stats(treq.Kind)
	for e, err := range snapshot.Read(r.ctx, r.targetReader(), treq) {
		if err != nil {
			return fmt.Errorf("clone: reading the target's extra %s: %w", treq.Name(), err)
		}
		k, err := entity.Of(e)
		if err != nil {
			continue
		}
		if p, ok := idx[r.h.key(k)]; !ok || p.seen {
			continue
		}
		st.Extra++
		if r.opts.Prune {
			r.extras[treq.Kind] = append(r.extras[treq.Kind], e)
		}
		if len(r.res.Extras) < r.opts.MaxReported {
			r.res.Extras = append(r.res.Extras, Extra{Kind: treq.Kind, Entity: entity.Describe(e, r.tr.To), Target: e})
		}
	}
	return nil
}

// prune deletes the extras in reverse dependency order.
func (r *runner) prune() error {
	r.phase = "prune"
	kinds := entity.Kinds()
	slices.Reverse(kinds)
	for _, k := range kinds {
		for _, e := range r.extras[k] {
			r.res.stats(k).Deleted++
			if err := r.add(k, p4v1.Update_DELETE, deletion(e), true); err != nil {
				return err
			}
		}
		if len(r.extras[k]) > 0 {
			if err := r.barrier(); err != nil {
				return err
			}
		}
	}
	return nil
}

// targetReader reads the target.
func (r *runner) targetReader() snapshot.Reader {
	if r.opts.TargetReader != nil {
		return r.opts.TargetReader
	}
	return r.dst
}
