package sim

import (
	"os"
	"testing"

	"github.com/lime-p4/lime/bmv2/sim/dataplane"
	"github.com/lime-p4/lime/bmv2/sim/dataplane/bmjson"
	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/pipelines"
)

// Issue 16, digest-ack-by-name: PI acks a digest's samples to the learn
// list it finds by the digest's name, so in lime_l2 (two learn lists of
// one name, 1 for the smac table's miss, 2 for a host that moved) the
// samples of list 1 are reported once until the pipeline changes, those of
// list 2 each time; bmv2-digest (one list) reports each time.
func TestLearnFilterAcksByName(t *testing.T) {
	l2, err := pipelines.Get(pipelines.LimeL2)
	if err != nil {
		t.Fatal(err)
	}
	dp := compileJSON(t, l2.JSON)
	sample := func(list int) dataplane.Digest {
		return dataplane.Digest{Name: pipelines.L2LearnDigest, ID: list, Values: [][]byte{{2, 0, 0, 0, 0, 0xc}, {0, 2}, {0, 1}}}
	}
	f := newLearnFilter(dp)
	for i, want := range []bool{true, false, false} {
		if got := f.pass(sample(1)); got != want {
			t.Errorf("lime_l2 list 1, sample sent %d times before: passes %v, want %v", i, got, want)
		}
	}
	other := sample(1)
	other.Values[0] = []byte{2, 0, 0, 0, 0, 0xd}
	if !f.pass(other) {
		t.Error("lime_l2 list 1: another sample is filtered")
	}
	for i := range 3 {
		if !f.pass(sample(2)) {
			t.Errorf("lime_l2 list 2 (the one PI acks), sample sent %d times before: filtered", i)
		}
	}
	if !newLearnFilter(dp).pass(sample(1)) {
		t.Error("lime_l2 list 1 after a pipeline change: filtered")
	}

	b, err := os.ReadFile(fixtures.Get(t, "bmv2-digest").JSON)
	if err != nil {
		t.Fatal(err)
	}
	one := compileJSON(t, b)
	if len(one.Digests()) == 0 {
		t.Fatal("bmv2-digest: no learn list")
	}
	d := one.Digests()[0]
	f = newLearnFilter(one)
	for i := range 3 {
		if !f.pass(dataplane.Digest{Name: d.Name, ID: d.ID, Values: [][]byte{{1}}}) {
			t.Errorf("bmv2-digest, sample sent %d times before: filtered", i)
		}
	}
}

func compileJSON(t *testing.T, b []byte) *dataplane.Program {
	t.Helper()
	doc, err := bmjson.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	dp, err := dataplane.Compile(doc)
	if err != nil {
		t.Fatal(err)
	}
	return dp
}
