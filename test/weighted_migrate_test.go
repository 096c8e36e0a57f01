//go:build linux

package test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/migrator/diff"
	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/test/lab"
)

// Issue 15 (weighted action-profile members), on real bmv2: a live
// migration through lime proxy of onos-basic's WCMP selector while the
// controller keeps reprogramming it with weighted groups. Before and
// during lime migrate (clone, catch-up, verify, four host moves with a
// trunk, cut over) and after it, the controller inserts and modifies
// members, inserts groups that share members at different weights,
// changes groups' weights by MODIFY, deletes groups, moves table entries
// between groups, and retires members (out of every group by MODIFY, then
// DELETE, some carrying an action no port map covers, which a switch
// ignores in a DELETE and so must the proxy). Throughout, and after the
// migration, it reads back through the proxy exactly what it wrote: each
// group with its weights as written; the members as bmv2 answers a
// wildcard read (PI's hidden copies: a member read once for each unit of
// the highest weight any group gives it), compared as a multiset; each
// member once when read by id. lime diff then finds the virtual device and
// the target equal.
func TestRealBMv2MigrateWeighted(t *testing.T) { migrateWeighted(t, lab.RealBMv2(t)) }

// The same on the simulator (bmv2 profile), which must answer the same.
func TestSimMigrateWeighted(t *testing.T) { migrateWeighted(t, lab.Sim{Links: lab.Memory}) }

// wcmpPortField names the WCMP action's port parameter, which onos-basic's
// P4Info does not type as a port.
const wcmpPortField = "*.set_egress_port/port"

// weightedModel is what the controller wrote to the WCMP selector and
// table: members (id -> port), groups (id -> members and weights, in
// member id order, as the controller writes them) and table entries
// (next hop -> group).
type weightedModel struct {
	w       wcmp
	members map[uint32]byte
	groups  map[uint32][][2]uint32
	entries map[uint16]uint32
}

// entryEntity is the table entry of next hop hop as the controller wrote
// it.
func (m *weightedModel) entryEntity(hop uint16) *p4v1.Entity {
	return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: m.w.table,
		Match:  []*p4v1.FieldMatch{{FieldId: 1, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: canon.FromUint64(uint64(hop))}}}},
		Action: &p4v1.TableAction{Type: &p4v1.TableAction_ActionProfileGroupId{ActionProfileGroupId: m.entries[hop]}}}}}
}

// groupEntity is group id as the controller wrote it.
func (m *weightedModel) groupEntity(id uint32) *p4v1.Entity {
	return m.w.group(id, m.groups[id]...)
}

// copies is how many times a wildcard read of members on bmv2 answers
// member id: once, and once more for every unit of the highest weight a
// group gives it above 1 (PI's hidden copies, shared by every group).
func (m *weightedModel) copies(id uint32) int {
	n := 1
	for _, ms := range m.groups {
		for _, mw := range ms {
			if mw[0] == id {
				n = max(n, int(mw[1]))
			}
		}
	}
	return n
}

// holders lists the groups that hold member id, sorted.
func (m *weightedModel) holders(id uint32) []uint32 {
	var out []uint32
	for g, ms := range m.groups {
		if slices.ContainsFunc(ms, func(mw [2]uint32) bool { return mw[0] == id }) {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return out
}

// sortedKeys returns a map's keys in order.
func sortedKeys[K uint16 | uint32 | byte, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// weightedController writes and reads the model through the proxy.
type weightedController struct {
	c      *client.Client
	m      *weightedModel
	r      *rand.Rand
	nextM  uint32 // the next member id
	nextG  uint32 // the next group id beyond the fixed ones
	writes int
}

// The groups the table entries use: modified, never deleted.
var fixedGroups = []uint32{100, 101, 102}

// wcmpEntries is how many WCMP table entries the controller writes first
// (next hops 1 to wcmpEntries, onto the fixed groups in turn), enough for
// the clone to take a while as the controller goes on writing.
const wcmpEntries = 300

// Bounds that keep the selector (64 bmv2 members, copies included) and
// every group (max_size 8: the sum of its weights) well within size.
const (
	maxMembers     = 10
	maxGroups      = 7
	maxGroupWeight = 3
	maxGroupSize   = 8 // wcmp.group's max_size
)

func (wc *weightedController) write(ctx context.Context, typ p4v1.Update_Type, e *p4v1.Entity) error {
	if err := wc.c.Write(ctx, []*p4v1.Update{{Type: typ, Entity: e}}); err != nil {
		return fmt.Errorf("write %d: %v %s: %w", wc.writes+1, typ, entity.Describe(e), err)
	}
	wc.writes++
	return nil
}

// setup writes the first state: members 1-6, the fixed groups sharing
// members at different weights, and the table's entries onto them.
func (wc *weightedController) setup(ctx context.Context) error {
	m := wc.m
	for id := uint32(1); id <= 6; id++ {
		port := byte(1 + (id-1)%4)
		if err := wc.write(ctx, p4v1.Update_INSERT, m.w.member(id, port)); err != nil {
			return err
		}
		m.members[id] = port
	}
	wc.nextM = 7
	first := map[uint32][][2]uint32{
		100: {{1, 3}, {2, 1}, {3, 2}},
		101: {{1, 2}, {3, 3}, {4, 1}},
		102: {{2, 2}, {5, 1}, {6, 3}},
	}
	for _, g := range fixedGroups {
		m.groups[g] = first[g]
		if err := wc.write(ctx, p4v1.Update_INSERT, m.groupEntity(g)); err != nil {
			return err
		}
	}
	wc.nextG = 200
	ups := make([]*p4v1.Update, 0, wcmpEntries)
	for hop := uint16(1); hop <= wcmpEntries; hop++ {
		m.entries[hop] = fixedGroups[int(hop)%len(fixedGroups)]
		ups = append(ups, &p4v1.Update{Type: p4v1.Update_INSERT, Entity: m.entryEntity(hop)})
	}
	if err := wc.c.Write(ctx, ups); err != nil {
		return fmt.Errorf("writing %d WCMP entries: %w", len(ups), err)
	}
	wc.writes++
	return nil
}

// pickMembers chooses 1-3 distinct members with weights 1-3 (their sum
// within the group's max_size), in member id order, avoiding except.
func (wc *weightedController) pickMembers(except uint32) [][2]uint32 {
	ids := slices.DeleteFunc(sortedKeys(wc.m.members), func(id uint32) bool { return id == except })
	wc.r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	ids = ids[:min(len(ids), 1+wc.r.IntN(3))]
	slices.Sort(ids)
	out := make([][2]uint32, len(ids))
	sum := uint32(0)
	for i, id := range ids {
		w := min(1+uint32(wc.r.IntN(maxGroupWeight)), maxGroupSize-sum)
		out[i] = [2]uint32{id, w}
		sum += w
	}
	return out
}

// step makes one random change, in one or more writes.
func (wc *weightedController) step(ctx context.Context) error {
	m := wc.m
	members, groups := sortedKeys(m.members), sortedKeys(m.groups)
	switch op := wc.r.IntN(7); {
	case op == 0 && len(members) < maxMembers: // a new member
		id, port := wc.nextM, byte(1+wc.r.IntN(4))
		if err := wc.write(ctx, p4v1.Update_INSERT, m.w.member(id, port)); err != nil {
			return err
		}
		wc.nextM++
		m.members[id] = port
	case op == 1: // a member sends elsewhere (every copy of it with it)
		id := members[wc.r.IntN(len(members))]
		port := byte(1 + wc.r.IntN(4))
		if err := wc.write(ctx, p4v1.Update_MODIFY, m.w.member(id, port)); err != nil {
			return err
		}
		m.members[id] = port
	case op == 2 && len(groups) < maxGroups: // a new group, sharing members
		id, ms := wc.nextG, wc.pickMembers(0)
		if err := wc.write(ctx, p4v1.Update_INSERT, m.w.group(id, ms...)); err != nil {
			return err
		}
		wc.nextG++
		m.groups[id] = ms
	case op == 3 && len(groups) > len(fixedGroups): // a group goes
		extra := groups[len(fixedGroups):]
		id := extra[wc.r.IntN(len(extra))]
		if err := wc.write(ctx, p4v1.Update_DELETE, m.w.group(id)); err != nil {
			return err
		}
		delete(m.groups, id)
	case op == 4 && len(members) > 4: // a member retires: out of its groups, then deleted
		id := members[wc.r.IntN(len(members))]
		for _, g := range m.holders(id) {
			ms := slices.DeleteFunc(slices.Clone(m.groups[g]), func(mw [2]uint32) bool { return mw[0] == id })
			if len(ms) == 0 {
				ms = wc.pickMembers(id)
			}
			if err := wc.write(ctx, p4v1.Update_MODIFY, m.w.group(g, ms...)); err != nil {
				return err
			}
			m.groups[g] = ms
		}
		// The DELETE carries the member as written (as ONOS sends it), or
		// an action to port 0, which no port map covers: a DELETE is judged
		// by its key alone (P4Runtime spec section 9.2.1).
		port := m.members[id]
		if wc.r.IntN(2) == 0 {
			port = 0
		}
		if err := wc.write(ctx, p4v1.Update_DELETE, m.w.member(id, port)); err != nil {
			return err
		}
		delete(m.members, id)
	case op == 5: // an entry goes to another group
		hop := uint16(1 + wc.r.IntN(wcmpEntries))
		was := m.entries[hop]
		m.entries[hop] = fixedGroups[wc.r.IntN(len(fixedGroups))]
		if err := wc.write(ctx, p4v1.Update_MODIFY, m.entryEntity(hop)); err != nil {
			m.entries[hop] = was
			return err
		}
	default: // a group's members and weights change
		id := groups[wc.r.IntN(len(groups))]
		ms := wc.pickMembers(0)
		if err := wc.write(ctx, p4v1.Update_MODIFY, m.w.group(id, ms...)); err != nil {
			return err
		}
		m.groups[id] = ms
	}
	return nil
}

// check reads the WCMP selector and table back through the proxy and
// compares them with the model: groups exactly as written; members as
// bmv2 answers a wildcard read (each member as written, as many times as
// its copies), and once read by id; the table's entries.
func (wc *weightedController) check(ctx context.Context, when string) error {
	m := wc.m
	readAll := func(f *p4v1.Entity) ([]*p4v1.Entity, error) {
		got, err := wc.c.ReadAll(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("%s: reading %s: %w", when, entity.Describe(f), err)
		}
		return got, nil
	}
	var problems []string
	groups, err := readAll(&p4v1.Entity{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: &p4v1.ActionProfileGroup{ActionProfileId: m.w.ap}}})
	if err != nil {
		return err
	}
	seen := map[uint32]bool{}
	for _, g := range groups {
		id := g.GetActionProfileGroup().GetGroupId()
		if _, ok := m.groups[id]; !ok || seen[id] || !proto.Equal(g, m.groupEntity(id)) {
			problems = append(problems, fmt.Sprintf("group read %v, wrote %v", g, m.groupEntity(id)))
		}
		seen[id] = true
	}
	for id := range m.groups {
		if !seen[id] {
			problems = append(problems, fmt.Sprintf("group %d (%v) not read", id, m.groupEntity(id)))
		}
	}
	for _, f := range []*p4v1.ActionProfileMember{{}, {ActionProfileId: m.w.ap}} {
		got, err := readAll(&p4v1.Entity{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: f}})
		if err != nil {
			return err
		}
		count := map[uint32]int{}
		for _, e := range got {
			id := e.GetActionProfileMember().GetMemberId()
			count[id]++
			if port, ok := m.members[id]; !ok || !proto.Equal(e, m.w.member(id, port)) {
				problems = append(problems, fmt.Sprintf("member read %v, wrote %v", e, m.w.member(id, port)))
			}
		}
		for _, id := range sortedKeys(m.members) {
			if count[id] != m.copies(id) {
				problems = append(problems, fmt.Sprintf("members read with %v: member %d %d times, want %d (groups %v)",
					f, id, count[id], m.copies(id), m.holders(id)))
			}
		}
		if len(got) != func() (n int) {
			for id := range m.members {
				n += m.copies(id)
			}
			return n
		}() {
			problems = append(problems, fmt.Sprintf("members read with %v: %d in all, members %v", f, len(got), sortedKeys(m.members)))
		}
	}
	for _, id := range sortedKeys(m.members) {
		got, err := readAll(entity.Query(m.w.member(id, 0)))
		if err != nil {
			return err
		}
		if len(got) != 1 || !proto.Equal(got[0], m.w.member(id, m.members[id])) {
			problems = append(problems, fmt.Sprintf("member %d read by id: %v, want it once as written", id, got))
		}
	}
	entries, err := readAll(&p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: m.w.table}}})
	if err != nil {
		return err
	}
	if len(entries) != len(m.entries) {
		problems = append(problems, fmt.Sprintf("%d WCMP entries read, %d written", len(entries), len(m.entries)))
	}
	for _, e := range entries {
		hop, err := canon.ToUint64(e.GetTableEntry().GetMatch()[0].GetExact().GetValue())
		if _, ok := m.entries[uint16(hop)]; err != nil || !ok || !proto.Equal(entity.Config(e), entity.Config(m.entryEntity(uint16(hop)))) {
			problems = append(problems, fmt.Sprintf("WCMP entry read %v, wrote %v", e, m.entryEntity(uint16(hop))))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s, after %d writes: the controller does not read back what it wrote:\n  %s",
			when, wc.writes, strings.Join(problems, "\n  "))
	}
	return nil
}

// churn makes a step every period until stop is closed (nil: never) or
// maxSteps were made, reading back every checkEvery steps; it returns the
// steps made. A step is never cut short: the model holds what the proxy
// answered.
func (wc *weightedController) churn(ctx context.Context, stop <-chan struct{}, maxSteps, checkEvery int, period time.Duration) (int, error) {
	tk := time.NewTicker(period)
	defer tk.Stop()
	for i := 1; i <= maxSteps; i++ {
		select {
		case <-stop:
			return i - 1, nil
		case <-ctx.Done():
			return i - 1, ctx.Err()
		case <-tk.C:
		}
		if err := wc.step(ctx); err != nil {
			return i, err
		}
		if i%checkEvery == 0 {
			if err := wc.check(ctx, fmt.Sprintf("step %d", i)); err != nil {
				return i, err
			}
		}
	}
	return maxSteps, nil
}

func migrateWeighted(t *testing.T, b lab.Backend) {
	t.Logf("backend %s", b.Name())
	ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
	defer cancel()
	fx := fixtures.Get(t, "onos-basic")
	s1 := b.Start(t, lab.Spec{Name: "s1", DeviceID: 1, CPUPort: 255})
	s2 := b.Start(t, lab.Spec{Name: "s2", DeviceID: 2, CPUPort: 255})

	px := startProxy(t, "--device", "vid=1,addr="+s1.Addr, "--port-field", wcmpPortField)
	proxy, addr, admin, token := px.Daemon, px.addr, px.admin, px.token
	rules := info.DefaultPortRules.Merge(info.PortRules{Names: []string{wcmpPortField}})
	ctl := lab.NewController(t, &lab.Switch{Name: "lime proxy", Addr: addr, DeviceID: 1, Thrift: s1.Thrift}, fx.Dir, 0xfeed, rules)
	wc := &weightedController{c: ctl.Client, r: rand.New(rand.NewPCG(15, 1)),
		m: &weightedModel{w: newWCMP(t, ctl.Info), members: map[uint32]byte{}, groups: map[uint32][][2]uint32{}, entries: map[uint16]uint32{}}}
	if err := wc.setup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := wc.check(ctx, "before the migration"); err != nil {
		t.Fatal(err)
	}
	if n, err := wc.churn(ctx, nil, 20, 5, time.Millisecond); err != nil || n != 20 {
		t.Fatalf("before the migration, %d steps: %v", n, err)
	}

	// The controller goes on while lime migrate runs: the ports 1-4 of
	// the members' actions are the hosts, moved one at a time, traffic
	// between hosts on different switches crossing the trunk 9=19.
	var maps []string
	for p := 1; p <= 4; p++ {
		maps = append(maps, fmt.Sprintf("%d=%d", p, p+10))
	}
	portMap := strings.Join(append(maps, "255=255"), ",")
	before := wc.writes
	stop := make(chan struct{})
	var (
		wg       sync.WaitGroup
		steps    int
		churnErr error
	)
	stopChurn := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopChurn() // a failing lime migrate ends the test here
	wg.Add(1)
	go func() {
		defer wg.Done()
		steps, churnErr = wc.churn(ctx, stop, 100_000, 10, time.Millisecond)
	}()
	r := runLime(t, ctx, 0, "migrate", "--admin", admin, "--admin-token-file", token, "--device", "1", "--to-addr", s2.Addr, "--to-device-id", "2",
		"--pipeline", fx.Dir, "--port-map", portMap, "--trunk", "9=19", "--settle", "100ms")
	stopChurn()
	if churnErr != nil {
		t.Fatalf("the controller during the migration:\n%v\nlime migrate:\n%s", churnErr, r.Stderr)
	}
	during := wc.writes - before
	t.Logf("the controller made %d steps (%d writes) while lime migrate ran:\n%s", steps, during, r.Stderr)
	for _, step := range []string{"clone", "catch-up", "verify", "move-host 1", "move-host 4", "cut-over"} {
		if !strings.Contains(r.Stderr, step) {
			t.Errorf("lime migrate did not report %q:\n%s", step, r)
		}
	}
	if rm := regexp.MustCompile(`"mirror live".* replayed=(\d+)`).FindStringSubmatch(proxy.Output()); rm != nil {
		t.Logf("%s of them recorded during the clone and replayed by the catch-up", rm[1])
	}
	if during < 10 {
		t.Fatalf("only %d writes while lime migrate ran: the scenario did not write during the migration", during)
	}
	if err := wc.check(ctx, "after the migration"); err != nil {
		t.Fatal(err)
	}
	// On the target alone now.
	if n, err := wc.churn(ctx, nil, 20, 5, time.Millisecond); err != nil || n != 20 {
		t.Fatalf("after the migration, %d steps: %v", n, err)
	}
	if err := wc.check(ctx, "after the migration and more writes"); err != nil {
		t.Fatal(err)
	}

	r = runLime(t, ctx, 0, "diff", "--json", "--from-addr", addr, "--from-device-id", "1", "--to-addr", s2.Addr, "--to-device-id", "2",
		"--port-map", portMap, "--port-field", wcmpPortField)
	var rep diff.Report
	if err := r.JSON(&rep); err != nil {
		t.Fatal(err)
	}
	if tot := rep.Total(); !rep.Equal() {
		t.Fatalf("diff of the virtual device and the target: %+v\n%s", tot, r)
	}
	for k, n := range map[entity.Kind]int{entity.KindMember: len(wc.m.members), entity.KindGroup: len(wc.m.groups), entity.KindTableEntry: len(wc.m.entries)} {
		if got := rep.Kinds[k]; got == nil || got.Compared < int64(n) {
			t.Errorf("diff compared %+v %s entities, want at least the %d written", got, k, n)
		}
	}
}
