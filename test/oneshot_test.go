//go:build linux

package test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/migrator/diff"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/test/lab"
)

// oneShotCase is SONiC PINS's middle-block switch with its WCMP groups
// programmed as one-shot action sets (wcmp_group_table is @oneshot): the
// generated state gives that table's entries one-shot sets and its
// selector no members or groups.
var oneShotCase = genCase{fixture: "pins-middleblock", perTable: 6, seed: 7, oneShot: true,
	kinds: []entity.Kind{entity.KindTableEntry, entity.KindMulticastGroup, entity.KindCloneSession}}

// Issue 16, point 1, on real bmv2: lime clone of a PINS switch whose WCMP
// selector holds one-shot sets copies it whole (exit 0, nothing unread:
// bmv2 refuses reads of that selector's members and groups, which lime
// does not make) and lime diff finds the copy equal.
func TestRealBMv2CloneOneShot(t *testing.T) {
	cloneGeneratedState(t, lab.RealBMv2(t), oneShotCase)
}

// The same on the simulator, which refuses those reads as bmv2 does.
func TestSimCloneOneShot(t *testing.T) {
	cloneGeneratedState(t, lab.Sim{Links: lab.Memory}, oneShotCase)
}

// Issue 16, point 1, on real bmv2: lime migrate of a PINS switch with
// one-shot WCMP groups, written by a controller through lime proxy, onto
// another switch; afterwards the controller reads through the proxy every
// entity it wrote, and lime diff finds the source and the target equal.
func TestRealBMv2MigrateOneShot(t *testing.T) {
	migrateOneShot(t, lab.RealBMv2(t))
}

// The same on the simulator.
func TestSimMigrateOneShot(t *testing.T) {
	migrateOneShot(t, lab.Sim{Links: lab.Memory})
}

// oneShotSets counts the table entries of state with one-shot action sets.
func oneShotSets(state []*p4v1.Entity) int {
	n := 0
	for _, e := range state {
		if e.GetTableEntry().GetAction().GetActionProfileActionSet() != nil {
			n++
		}
	}
	return n
}

func migrateOneShot(t *testing.T, b lab.Backend) {
	t.Logf("backend %s", b.Name())
	ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
	defer cancel()
	c := oneShotCase
	fx := fixtures.Get(t, c.fixture)
	s1 := b.Start(t, lab.Spec{Name: "s1", DeviceID: 1, CPUPort: 255})
	s2 := b.Start(t, lab.Spec{Name: "s2", DeviceID: 2, CPUPort: 255})

	px := startProxy(t, "--device", "vid=1,addr="+s1.Addr)
	addr, admin, token := px.addr, px.admin, px.token
	ctl := lab.NewController(t, &lab.Switch{Name: "lime proxy", Addr: addr, DeviceID: 1, Thrift: s1.Thrift}, fx.Dir, 0xfeed, info.DefaultPortRules)
	state := p4test.NewGen(ctl.Info, c.seed).State(c.perTable)
	if n := oneShotSets(state); n == 0 {
		t.Fatalf("the generated state of %s has no one-shot sets", c.fixture)
	}
	written, err := ctl.Populate(ctx, state)
	if err != nil {
		t.Fatalf("populating s1 through the proxy: %v", err)
	}
	t.Logf("s1 holds %v, %d entries with one-shot sets", written, oneShotSets(state))

	var maps []string
	for p := 1; p <= 8; p++ {
		maps = append(maps, fmt.Sprintf("%d=%d", p, p+10))
	}
	portMap := strings.Join(maps, ",")
	r := runLime(t, ctx, 0, "migrate", "--admin", admin, "--admin-token-file", token, "--device", "1", "--to-addr", s2.Addr, "--to-device-id", "2",
		"--pipeline", fx.Dir, "--port-map", portMap)
	for _, step := range []string{"clone", "verify", "cut-over"} {
		if !strings.Contains(r.Stderr, step) {
			t.Errorf("lime migrate did not report %q:\n%s", step, r)
		}
	}
	// What the controller wrote reads back through the proxy, now on s2.
	cl := ctl.Client
	for _, e := range state {
		if entity.KindOf(e) != entity.KindTableEntry {
			continue
		}
		// The query of an entry without match fields reads the table.
		got, err := cl.ReadAll(ctx, entity.Query(e))
		if err != nil || !slices.ContainsFunc(got, func(g *p4v1.Entity) bool { return proto.Equal(entity.Config(g), entity.Config(e)) }) {
			t.Fatalf("through the proxy after the migration: %v %v, wrote %v", got, err, e)
		}
	}
	r = runLime(t, ctx, 0, "diff", "--json", "--from-addr", s1.Addr, "--from-device-id", "1", "--to-addr", s2.Addr, "--to-device-id", "2",
		"--port-map", portMap)
	var rep diff.Report
	if err := r.JSON(&rep); err != nil {
		t.Fatal(err)
	}
	if tot := rep.Total(); !rep.Equal() {
		t.Fatalf("diff after the migration: %+v\n%s", tot, r)
	}
	if got := rep.Kinds[entity.KindTableEntry]; got == nil || got.Compared < int64(written[entity.KindTableEntry]) {
		t.Errorf("diff compared %+v table entries, want at least the %d written", got, written[entity.KindTableEntry])
	}
}
