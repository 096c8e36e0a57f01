package pipelines

import (
	"testing"
)

// lime_router's compiled artifacts are embedded, and every name the Router*
// constants give is in its P4Info.
func TestGetLimeRouter(t *testing.T) {
	p, err := Get(LimeRouter)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, tb := range p.P4Info.Tables {
		names[tb.Preamble.Name] = true
	}
	for _, a := range p.P4Info.Actions {
		names[a.Preamble.Name] = true
	}
	for _, c := range p.P4Info.DirectCounters {
		names[c.Preamble.Name] = true
	}
	for _, r := range p.P4Info.Registers {
		names[r.Preamble.Name] = true
	}
	for _, n := range []string{RouterRoutes, RouterGuardIn, RouterGuardOut, RouterForward, RouterUnroutable, RouterGuardedIn,
		RouterGuardedOut, RouterRouteHits, RouterFlows1, RouterFlows2} {
		if !names[n] {
			t.Errorf("%s is not in lime_router's P4Info", n)
		}
	}
	if len(p.JSON) == 0 || len(p.Source) == 0 {
		t.Fatalf("lime_router without its bmv2 JSON or source")
	}
}
