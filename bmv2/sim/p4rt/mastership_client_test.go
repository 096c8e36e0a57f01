package p4rt_test

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/p4/client"
)

func dialClient(t *testing.T, h *harness, e uint64) *client.Client {
	t.Helper()
	c, err := client.Dial(ctx(t), h.addr, client.DialOptions{DeviceID: devID, ElectionID: &client.ElectionID{Low: e}, Insecure: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// awaitMastership waits for a session's advisory with the given primacy.
func awaitMastership(t *testing.T, s *client.Session, primary bool) client.Mastership {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case m, ok := <-s.Mastership():
			if !ok {
				t.Fatal("session ended")
			}
			if m.Primary == primary {
				return m
			}
		case <-deadline:
			t.Fatalf("no advisory with primary=%v", primary)
		}
	}
}

// TestTwoControllersContest plays two controllers through lime's own
// P4Runtime client against both profiles (spec section 5): the higher
// election id wins; the loser's writes are PERMISSION_DENIED; when the
// winner leaves, bmv2 promotes the other while the spec leaves the device
// without a primary until it raises its id above the highest seen.
func TestTwoControllersContest(t *testing.T) {
	for _, prof := range []p4rt.Profile{p4rt.ProfileBMv2, p4rt.ProfileSpec} {
		t.Run(prof.String(), func(t *testing.T) {
			h := newHarness(t, prof)
			a := dialClient(t, h, 10)
			sa, err := a.Arbitrate(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if !sa.IsPrimary() {
				t.Fatal("first controller is not primary")
			}
			cfg := config(t, fixtures.Get(t, "tutorials-basic"))
			if err := a.SetPipeline(ctx(t), p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, cfg.P4Info, cfg.P4DeviceConfig, 1); err != nil {
				t.Fatal(err)
			}
			h.inf = mustInfo(t, config(t, fixtures.Get(t, "tutorials-basic")))
			b := dialClient(t, h, 20)
			sb, err := b.Arbitrate(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if !sb.IsPrimary() {
				t.Fatal("higher election id is not primary")
			}
			awaitMastership(t, sa, false)
			err = a.Write(ctx(t), []*p4v1.Update{update(p4v1.Update_INSERT, lpmEntry(h, 1))})
			if !errors.Is(err, &client.P4Error{Code: codes.PermissionDenied}) {
				t.Errorf("backup write: %v, want PERMISSION_DENIED", err)
			}
			if err := b.Write(ctx(t), []*p4v1.Update{update(p4v1.Update_INSERT, lpmEntry(h, 1))}); err != nil {
				t.Errorf("primary write: %v", err)
			}
			sb.Close()
			if prof == p4rt.ProfileBMv2 {
				awaitMastership(t, sa, true)
				if err := a.Write(ctx(t), []*p4v1.Update{update(p4v1.Update_INSERT, lpmEntry(h, 2))}); err != nil {
					t.Errorf("promoted primary write: %v", err)
				}
				return
			}
			m := <-sa.Mastership()
			if m.Primary || m.Code != codes.NotFound {
				t.Errorf("after the primary left: %+v, want NOT_FOUND backup", m)
			}
			if err := sa.SetElectionID(&client.ElectionID{Low: 21}); err != nil {
				t.Fatal(err)
			}
			awaitMastership(t, sa, true)
		})
	}
}
