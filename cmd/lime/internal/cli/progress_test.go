package cli

import (
	"testing"

	"github.com/lime-p4/lime/migrator/migrate"
)

// Issue 14: lime migrate and lime status say how far a long step has
// gone, as lime clone does: entities done of the total, rate, ETA.
func TestProgressLine(t *testing.T) {
	for _, tc := range []struct {
		p    migrate.StepProgress
		want string
	}{
		{migrate.StepProgress{Step: "clone", Done: 50000, Total: 200000, Rate: 25000, ETASeconds: 6}, "clone: 50000/200000 entities, 25000/s, ETA 6s"},
		{migrate.StepProgress{Step: "verify", Done: 1200, Rate: 600}, "verify: 1200 entities, 600/s"},
	} {
		if got := ProgressLine(&tc.p); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.p, got, tc.want)
		}
	}
}
