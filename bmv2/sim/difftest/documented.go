package difftest

// Documentation is a difference between the simulator's bmv2 profile and
// real bmv2 that is kept on purpose, as bmv2/sim/README.md lists it (under
// "Differences from real bmv2", by ID).
type Documentation struct {
	// ID names it in the README.
	ID string
	// Why it is kept.
	Why string
	// Match reports whether a divergent step is this difference.
	Match func(s Step, sim, real Answer) bool
}

// Documented lists the differences kept on purpose. None is expected for
// the bmv2 profile (issue 16): where the two differ, real bmv2 is right and
// the simulator is fixed.
var Documented []Documentation

// documented returns the entry that accounts for a divergent step, or nil.
func documented(s Step, sim, real Answer) *Documentation {
	for i := range Documented {
		if Documented[i].Match(s, sim, real) {
			return &Documented[i]
		}
	}
	return nil
}
