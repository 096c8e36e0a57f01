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

// PacketDocumentation is a difference in what packets do between the
// simulator's bmv2 profile and real bmv2 that the packet test knows, as
// bmv2/sim/README.md lists it (under "Differences from real bmv2", by ID).
type PacketDocumentation struct {
	ID  string
	Why string
}

// DocumentedPackets lists them.
var DocumentedPackets = []PacketDocumentation{
	{ID: "pre-kept-across-push", Why: "real bmv2 keeps its multicast groups and clone sessions in its data plane across a " +
		"SetForwardingPipelineConfig while PI forgets them, so a group written again after a push replicates once per " +
		"push; the simulator starts a pushed pipeline with an empty PRE. The packet test deletes the PRE before each push."},
}
