package migrate

import (
	"context"
	"iter"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/migrator/snapshot"
)

// Issue 14 (progress inside long steps): a step that counts says entities
// done of its total, the rate and the time left while it runs, and
// nothing once it ended.
func TestStepProgress(t *testing.T) {
	d := &Driver{}
	if p := d.StepProgress(); p != nil {
		t.Fatalf("progress before any step: %+v", p)
	}
	c, end := d.count("verify", 400)
	c.started = time.Now().Add(-2 * time.Second)
	src := snapshot.ReadFunc(func(context.Context, ...*p4v1.Entity) iter.Seq2[*p4v1.Entity, error] {
		return func(yield func(*p4v1.Entity, error) bool) {
			for range 100 {
				if !yield(&p4v1.Entity{}, nil) {
					return
				}
			}
		}
	})
	n := 0
	for range counted(src, c).Read(context.Background()) {
		n++
	}
	p := d.StepProgress()
	if n != 100 || p.Step != "verify" || p.Done != 100 || p.Total != 400 {
		t.Fatalf("read %d, progress %+v", n, p)
	}
	if p.Rate < 40 || p.Rate > 50 || p.ETASeconds < 5.5 || p.ETASeconds > 7.5 {
		t.Fatalf("100 of 400 in 2s: rate %.1f/s, ETA %.1fs", p.Rate, p.ETASeconds)
	}
	end()
	if p := d.StepProgress(); p != nil {
		t.Fatalf("progress after the step: %+v", p)
	}
	// A count kept by another (the proxy's host move) is asked.
	end = d.counts(&stepCount{step: "move-host 1", started: time.Now().Add(-time.Second), poll: func() (int64, int64) { return 256, 1024 }})
	if p := d.StepProgress(); p.Step != "move-host 1" || p.Done != 256 || p.Total != 1024 || p.ETASeconds < 2.5 || p.ETASeconds > 3.5 {
		t.Fatalf("a polled count: %+v", p)
	}
	end()
}
