package proxy_test

import (
	"context"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/migrator/proxy"
)

// live waits until the proxy is b's primary again and returns its epoch.
func live(t *testing.T, b *proxy.Backend) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The restart ends the stream at once, but the proxy may not have
	// seen it yet: wait for the epoch to move.
	for {
		e, err := b.Live(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if e > 0 {
			return e
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: the proxy's stream was not renewed", b.Name)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// DESIGN.md "Faults", a switch restarts: the proxy passes the behaviour of
// a restarted source through, as without lime. The controller's stream
// ends (UNAVAILABLE); connected again, it finds no pipeline, sets it again
// through the proxy and writes; the proxy is the switch's primary again
// by itself (its epoch counts the restart).
func TestSourceRestartPassesThrough(t *testing.T) {
	r := newRig(t, "onos-basic", rigOptions{profile: p4rt.ProfileBMv2})
	ctx := testCtx(t)
	c, s := r.controller(10)
	e := p4test.NewGen(r.src.Info, 3).TableEntry(r.src.Info.TableByName(table0), nil, nil)
	if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: e}}); err != nil {
		t.Fatal(err)
	}
	if err := r.src.Dev.Restart(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Done():
		if status.Code(s.Err()) != codes.Unavailable {
			t.Errorf("the controller's stream ended with %v, want UNAVAILABLE", s.Err())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the controller's stream did not end when the switch restarted")
	}
	if got := live(t, r.srcB); got != 1 {
		t.Errorf("epoch %d after one restart, want 1", got)
	}
	c.Close()
	c, _ = r.controller(10)
	if _, err := c.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_P4INFO_AND_COOKIE); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("GetForwardingPipelineConfig after the switch restarted: %v, want FAILED_PRECONDITION as bmv2 answers", err)
	}
	cfg := p4test.Config(t, fixtures.Get(t, "onos-basic"), 0xc0ffee)
	if err := c.SetPipelineConfig(ctx, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, cfg); err != nil {
		t.Fatalf("setting the pipeline again through the proxy: %v", err)
	}
	if err := c.Write(ctx, []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: e}}); err != nil {
		t.Fatalf("writing again after the restart: %v", err)
	}
	got, err := c.ReadAll(ctx, e)
	if err != nil || len(got) != 1 {
		t.Fatalf("reading the entry back: %v %v", got, err)
	}
}

// A mirror's restart is the migration's to handle: the controllers'
// streams go on; the proxy becomes the mirror's primary again.
func TestMirrorRestartKeepsControllers(t *testing.T) {
	r := newRig(t, "onos-basic", rigOptions{profile: p4rt.ProfileBMv2})
	_, s := r.controller(10)
	if err := r.dst.Dev.Restart(); err != nil {
		t.Fatal(err)
	}
	if got := live(t, r.dstB); got != 1 {
		t.Errorf("epoch %d after one restart, want 1", got)
	}
	if r.dstB.Info() != nil {
		t.Errorf("the restarted mirror's pipeline still known")
	}
	select {
	case <-s.Done():
		t.Fatalf("the controller's stream ended: %v", s.Err())
	case <-time.After(100 * time.Millisecond):
	}
}
