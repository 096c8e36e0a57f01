package snapshot_test

import (
	"testing"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/migrator/snapshot"
	"github.com/lime-p4/lime/p4/entity"
)

// Issue 16: a snapshot reads no members or groups of a one-shot selector
// (PINS's wcmp_group_selector: bmv2 refuses those reads while it holds
// one-shot sets, which the table entries carry) and still reads the
// entries of its table; ONOS's selector is read whole.
func TestPlanSkipsOneShotProfiles(t *testing.T) {
	for _, c := range []struct {
		fixture, profile, table string
		oneShot                 bool
	}{
		{"pins-middleblock", "ingress.routing_resolution.wcmp_group_selector", "ingress.routing_resolution.wcmp_group_table", true},
		{"onos-basic", "ingress.wcmp_control.wcmp_selector", "ingress.wcmp_control.wcmp_table", false},
	} {
		in := p4test.Index(t, p4test.P4Info(t, fixtures.Get(t, c.fixture)))
		got := map[entity.Kind]bool{}
		for _, r := range snapshot.Plan(in) {
			if r.Object != nil && (r.Object.Pre().Name == c.profile || r.Object.Pre().Name == c.table) {
				got[r.Kind] = true
			}
		}
		if got[entity.KindMember] == c.oneShot || got[entity.KindGroup] == c.oneShot || !got[entity.KindTableEntry] {
			t.Errorf("%s: the plan reads %v of %s and %s", c.fixture, got, c.profile, c.table)
		}
	}
}
