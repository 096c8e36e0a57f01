package difftest

import (
	"slices"

	"github.com/lime-p4/lime/bmv2/sim/dataplane/bmjson"
)

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
	{ID: "digest-ack-by-name", Why: "open, not yet modelled: PI acks a digest list to the bmv2 learn list it finds by the " +
		"digest's name; when the bmv2 JSON has several learn lists of that name (one per digest() call, as lime_l2's), " +
		"the samples of the others stay in bmv2's learn filter and are never reported again until the pipeline changes, " +
		"where the simulator reports them again once acked. The packet test tolerates exactly that: a digest the " +
		"simulator sends again, already sent in the play, for such a program."},
}

// duplicateLearnLists reports whether a bmv2 JSON has two learn lists of
// one name (digest-ack-by-name).
func duplicateLearnLists(doc *bmjson.Document) bool {
	seen := map[string]bool{}
	for _, l := range doc.LearnLists {
		if seen[l.Name] {
			return true
		}
		seen[l.Name] = true
	}
	return false
}

// digestAckByName reports whether a divergent outcome is
// digest-ack-by-name: the same frames and packet-ins, and the simulator
// sends, besides what real bmv2 sends, only digests already sent earlier
// in the play, for a program with duplicate learn lists.
func digestAckByName(doc *bmjson.Document, sim, real Outcome, sent map[string]bool) bool {
	if !duplicateLearnLists(doc) || !slices.Equal(sim.Frames, real.Frames) || !slices.Equal(sim.PacketIns, real.PacketIns) {
		return false
	}
	left := map[string]int{}
	for _, d := range real.Digests {
		left[d]++
	}
	for _, d := range sim.Digests {
		if left[d] > 0 {
			left[d]--
			continue
		}
		if !sent[d] {
			return false
		}
	}
	for _, n := range left {
		if n > 0 {
			return false
		}
	}
	return true
}
