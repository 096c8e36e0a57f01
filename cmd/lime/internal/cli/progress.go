package cli

import (
	"fmt"
	"time"

	"github.com/lime-p4/lime/migrator/migrate"
)

// ProgressLine says how far a running step has gone: entities done (of
// the total when known), the rate and, with a total, the time left.
func ProgressLine(p *migrate.StepProgress) string {
	s := fmt.Sprintf("%s: %d", p.Step, p.Done)
	if p.Total > 0 {
		s += fmt.Sprintf("/%d", p.Total)
	}
	s += fmt.Sprintf(" entities, %.0f/s", p.Rate)
	if p.Total > 0 && p.Done < p.Total && p.Rate > 0 {
		s += ", ETA " + (time.Duration(p.ETASeconds * float64(time.Second))).Round(time.Second).String()
	}
	return s
}
