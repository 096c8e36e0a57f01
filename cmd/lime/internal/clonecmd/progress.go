package clonecmd

import (
	"context"
	"io"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/lime-p4/lime/migrator/clone"
)

// progress shows a clone's progress as a bar with entities/s and an ETA
// (the total comes from the pre-scan), on a terminal only.
type progress struct {
	p     *mpb.Progress
	bar   *mpb.Bar
	phase string
}

func newProgress(ctx context.Context, w io.Writer, on bool) *progress {
	if !on || !isTerminal(w) {
		return &progress{}
	}
	return &progress{p: mpb.NewWithContext(ctx, mpb.WithOutput(w), mpb.WithWidth(40))}
}

func (b *progress) update(p clone.Progress) {
	if b.p == nil {
		return
	}
	if p.Phase != b.phase {
		if b.bar != nil {
			b.bar.SetTotal(-1, true)
		}
		b.phase = p.Phase
		name := p.Phase
		b.bar = b.p.AddBar(p.Total,
			mpb.PrependDecorators(decor.Name(name, decor.WC{W: 9, C: decor.DindentRight}), decor.CountersNoUnit("%d / %d")),
			mpb.AppendDecorators(decor.AverageSpeed(0, " %.0f entities/s"), decor.Name(" ETA "), decor.AverageETA(decor.ET_STYLE_GO)))
	}
	if p.Total > 0 {
		b.bar.SetTotal(p.Total, false)
	}
	b.bar.SetCurrent(p.Done)
}

func (b *progress) finish(*clone.Result) {
	if b.p == nil {
		return
	}
	if b.bar != nil {
		b.bar.SetTotal(-1, true)
	}
	b.p.Wait()
}
