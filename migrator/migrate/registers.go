package migrate

import (
	"context"
	"errors"
	"fmt"
	"slices"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/migrator/clone"
	"github.com/lime-p4/lime/migrator/snapshot"
	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/p4/translate"
)

// syncRegisters brings to the target what the source's traffic wrote in
// its registers since the clone: each target cell takes the larger of the
// two values, so that bloom-filter bits, timestamps and counts, which only
// grow, keep their meaning whichever switch the packets crossed.
func (d *Driver) syncRegisters(ctx context.Context) error {
	tr := d.Device.MirrorTranslator()
	if tr == nil {
		return errors.New("no mirror attached")
	}
	to := registerSide{what: "target", r: d.targetReader(), w: d.TargetRegisters, c: d.Target.Client(), in: d.Target.Info()}
	return mergeRegisters(ctx, tr, d.sourceReader(), to)
}

// syncRegistersBack brings to the source what the target's traffic wrote
// (an abort: the hosts come back), larger value wins.
func (d *Driver) syncRegistersBack(ctx context.Context) error {
	tr := d.Device.MirrorTranslator()
	if tr == nil {
		return errors.New("no mirror attached")
	}
	back, err := tr.Reverse()
	if err != nil {
		return err
	}
	auth := d.Device.Authoritative()
	to := registerSide{what: "source", r: d.sourceReader(), w: d.SourceRegisters, c: auth.Client(), in: auth.Info()}
	return mergeRegisters(ctx, back, d.targetReader(), to)
}

// registerSide is the switch registers are merged into.
type registerSide struct {
	what string
	r    snapshot.Reader
	w    clone.RegisterWriter // nil: over P4Runtime (c)
	c    *client.Client
	in   *info.Info
}

// mergeRegisters makes each register cell of to the larger of its value
// and the value of the same cell in from (tr takes from's cells to to's).
func mergeRegisters(ctx context.Context, tr *translate.Translator, from snapshot.Reader, to registerSide) error {
	for _, req := range snapshot.Plan(tr.From) {
		if req.Kind != entity.KindRegister {
			continue
		}
		f, err := tr.Entity(req.Filter)
		if err != nil {
			return err
		}
		have := map[int64][]byte{}
		for c, err := range snapshot.Cells(ctx, to.r, snapshot.Request{Kind: req.Kind, Object: req.Object, Filter: f}) {
			if err != nil {
				return fmt.Errorf("reading the %s: %w", to.what, err)
			}
			if c.Kind != entity.KindUnknown {
				have[c.Index] = slices.Clone(c.Value)
			}
		}
		var ups []*p4v1.Update
		for c, err := range snapshot.Cells(ctx, from, req) {
			if err != nil {
				return fmt.Errorf("reading the registers to merge into the %s: %w", to.what, err)
			}
			if c.Kind == entity.KindUnknown {
				continue // not a bitstring: no order to merge by
			}
			tc, err := tr.Cell(c.Cell)
			if err != nil {
				continue // a cell of a port the map leaves out
			}
			if canon.Compare(c.Value, have[tc.Index]) <= 0 {
				continue
			}
			e, err := c.Entity()
			if err != nil {
				return err
			}
			if err := tr.EntityInPlace(e); err != nil {
				return err
			}
			ups = append(ups, &p4v1.Update{Type: p4v1.Update_MODIFY, Entity: e})
		}
		if err := to.write(ctx, ups); err != nil {
			return err
		}
	}
	return nil
}

// write writes register cells: over Thrift when given (bmv2), else over
// P4Runtime.
func (s registerSide) write(ctx context.Context, ups []*p4v1.Update) error {
	if len(ups) == 0 {
		return nil
	}
	if s.w != nil {
		for _, u := range ups {
			if err := s.w.WriteRegister(ctx, u.Entity); err != nil {
				return fmt.Errorf("writing %s on the %s: %w", entity.Describe(u.Entity, s.in), s.what, err)
			}
		}
		return nil
	}
	if err := s.c.Write(ctx, ups); err != nil {
		return fmt.Errorf("writing the %s's registers: %w", s.what, err)
	}
	return nil
}
