package sim

import (
	"strings"
	"sync"

	"github.com/lime-p4/lime/bmv2/sim/dataplane"
)

// learnFilter is bmv2's learn filter where nothing ever empties it. bmv2
// keeps a filter per learn list: a sample already in it is not reported
// again until the buffer that carried it is acked. PI acks every buffer
// as it receives it, but to the learn list it finds by the digest's name
// (bmv2 PI, pi_learn_imp.cpp: list_get_id_from_name), so when a bmv2 JSON
// has several learn lists of one name (one per digest() call: lime_l2's
// two), only that one is emptied; the samples of the others stay in their
// filters and are never reported again until the pipeline changes (a new
// program, a new filter). The one PI finds is the last of that name
// (bmv2's lists are an unordered_map by id; seen with lime_l2, whose
// list 2 is reported again and list 1 is not). A program whose digests
// each have one learn list (bmv2-digest) filters nothing here.
type learnFilter struct {
	mu sync.Mutex
	// kept: learn list id -> samples reported, for the lists PI never
	// acks.
	kept map[int]map[string]bool
}

func newLearnFilter(dp *dataplane.Program) *learnFilter {
	last := map[string]int{} // name -> the id of the last list of that name
	for _, d := range dp.Digests() {
		last[d.Name] = max(last[d.Name], d.ID)
	}
	f := &learnFilter{kept: map[int]map[string]bool{}}
	for _, d := range dp.Digests() {
		if d.ID != last[d.Name] {
			f.kept[d.ID] = map[string]bool{}
		}
	}
	return f
}

// pass reports whether bmv2 sends a sample of a learn list to PI: always
// for a list PI acks, once for the others.
func (f *learnFilter) pass(d dataplane.Digest) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	seen, ok := f.kept[d.ID]
	if !ok {
		return true
	}
	var k strings.Builder
	for _, v := range d.Values {
		k.WriteByte(byte(len(v)))
		k.Write(v)
	}
	if seen[k.String()] {
		return false
	}
	seen[k.String()] = true
	return true
}
