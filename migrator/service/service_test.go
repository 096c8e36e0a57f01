package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/internal/proxytest"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/migrate"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/migrator/service"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
)

var rules = info.DefaultPortRules.Merge(info.PortRules{Names: []string{"*.set_egress_port/port"}})

var eid = proxytest.ElectionID

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// standFor starts a proxy standing for d as device 7.
func standFor(t testing.TB, d *simtest.Device) *proxy.Proxy {
	t.Helper()
	p := proxy.New(proxy.Options{})
	if _, err := p.AddDevice(7, proxytest.Backend(t, d, d.Addr, rules)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func waitDone(t *testing.T, s *service.Service) service.DeviceStatus {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		st, _ := service.Of(s.Status(), 7)
		if m := st.Migration; m != nil && m.Running == "" && (m.State.Step == migrate.Done || m.State.Failed != "") {
			return st
		}
	}
	t.Fatal("the migration did not end")
	return service.DeviceStatus{}
}

// A proxy that stopped during a migration (here: while cloning) resumes it
// from its journal when it starts again: the mirror is attached again, the
// clone runs again and the migration ends (DESIGN.md: "a restarted
// migrator resumes").
func TestResumeFromJournal(t *testing.T) {
	src := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, DeviceID: 1, Rules: &rules,
		Ports: []sim.PortSpec{{Name: "eth1", ID: 1}, {Name: "eth2", ID: 2}}})
	dst := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, DeviceID: 2,
		Ports: []sim.PortSpec{{Name: "eth11", ID: 11}, {Name: "eth12", ID: 12}}})
	simtest.Populate(t, testCtx(t), src.Client, src.Info, p4test.NewGen(src.Info, 4).State(10), nil)
	spec := service.Spec{Device: 7, Target: service.Endpoint{Addr: dst.Addr, DeviceID: 2, GNMI: dst.Addr}, SourceGNMI: src.Addr,
		PortMap: "1=11,2=12,3=13,4=14,5=15,6=16,7=17,8=18,255=255", Hosts: []uint64{1, 2}}
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := migrate.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	// What a proxy that died during the clone left.
	m := migrate.New(spec.Hosts)
	for _, a := range []migrate.Action{{Step: migrate.Validate}, {Step: migrate.Pipeline}, {Step: migrate.Mirror}} {
		if err := m.Succeeded(a); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Start(7, spec, m.State()); err != nil {
		t.Fatal(err)
	}
	s := service.New(standFor(t, src), service.Options{ElectionID: eid, Rules: rules, Journal: j})
	defer s.Close()
	if err := s.Resume(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	st := waitDone(t, s)
	if st.Migration.State.Step != migrate.Done || st.Authoritative != dst.Addr {
		t.Fatalf("after resuming: %+v %+v", st, st.Migration)
	}
	var steps []string
	for _, h := range st.Migration.History {
		steps = append(steps, h.Action)
	}
	if got := strings.Join(steps, ","); got != "mirror,clone,catch-up,verify,move-host 1,move-host 2,cut-over" {
		t.Fatalf("steps run after the restart: %s", got)
	}
	rec, ok, err := j.Get(7)
	if err != nil || !ok || rec.State.Step != migrate.Done {
		t.Fatalf("journal after: %+v %v %v", rec, ok, err)
	}
}

// The admin API: a bad spec is a 400 naming the problem; a second
// migration of a busy device is a 409; status lists the device.
func TestAdminAPI(t *testing.T) {
	src := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, DeviceID: 1, Rules: &rules})
	s := service.New(standFor(t, src), service.Options{ElectionID: eid, Rules: rules})
	defer s.Close()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	c := &service.Client{Addr: srv.URL}
	ctx := testCtx(t)
	if _, err := c.Migrate(ctx, service.Spec{Device: 7}); err == nil || !strings.Contains(err.Error(), "no target address") {
		t.Fatalf("a spec without target: %v", err)
	}
	if _, err := c.Migrate(ctx, service.Spec{Device: 9, Target: service.Endpoint{Addr: "127.0.0.1:1"}, PortMap: "1=1", Hosts: []uint64{1}}); err == nil || !strings.Contains(err.Error(), "no device 9") {
		t.Fatalf("an unknown device: %v", err)
	}
	sts, err := c.Status(ctx)
	if err != nil || len(sts) != 1 || sts[0].Device != 7 || sts[0].Migration != nil {
		t.Fatalf("status %+v %v", sts, err)
	}
	if _, err := c.Abort(ctx, 7); err == nil || !strings.Contains(err.Error(), "no migration") {
		t.Fatalf("abort without a migration: %v", err)
	}
	b, _ := json.Marshal(sts)
	if !strings.Contains(string(b), `"authoritative"`) {
		t.Fatalf("status JSON %s", b)
	}
}

// One migration per device: a second Migrate while the first is still
// reaching its target is refused as busy, not run beside it.
func TestOneMigrationPerDevice(t *testing.T) {
	src := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, DeviceID: 1, Rules: &rules})
	s := service.New(standFor(t, src), service.Options{ElectionID: eid, Rules: rules})
	defer s.Close()
	// A target that takes connections and never answers: the first
	// migration stays in its set-up until its context ends.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	spec := service.Spec{Device: 7, Target: service.Endpoint{Addr: lis.Addr().String(), DeviceID: 1}, PortMap: "1=1", Hosts: []uint64{1}}
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- s.Migrate(ctx, spec) }()
	}
	busy := 0
	for range 2 {
		if err := <-errs; errors.Is(err, service.ErrBusy) {
			busy++
		} else if err == nil {
			t.Fatal("a migration onto a target that never answers started")
		}
	}
	if busy != 1 {
		t.Fatalf("%d of two concurrent migrations of one device refused as busy, want 1", busy)
	}
}

// The counts an aborted migration kept from its target (the journal's
// offsets) are added again by a proxy that restarts: the controller's
// counters do not go back across the restart.
func TestRestoreKeepsAbortedCounts(t *testing.T) {
	src := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, DeviceID: 1, Rules: &rules})
	ctx := testCtx(t)
	e := p4test.NewGen(src.Info, 3).TableEntry(src.Info.TableByName("ingress.table0_control.table0"), nil, nil)
	simtest.Populate(t, ctx, src.Client, src.Info, []*p4v1.Entity{e}, nil)
	j, err := migrate.OpenJournal(filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.Start(7, service.Spec{Device: 7}, migrate.State{Step: migrate.Aborted}); err != nil {
		t.Fatal(err)
	}
	if err := j.SaveOffsets(7, []proxy.Offset{{Key: []byte(entity.MustOf(e)), Packets: 5, Bytes: 320}}); err != nil {
		t.Fatal(err)
	}
	p := standFor(t, src)
	s := service.New(p, service.Options{ElectionID: eid, Rules: rules, Journal: j})
	defer s.Close()
	if err := s.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	q := entity.Query(e)
	q.GetTableEntry().CounterData = &p4v1.CounterData{}
	var got []*p4v1.Entity
	err = p.Device(7).Read(ctx, &p4v1.ReadRequest{DeviceId: 7, Entities: []*p4v1.Entity{q}}, func(r *p4v1.ReadResponse) error {
		got = append(got, r.GetEntities()...)
		return nil
	})
	if err != nil || len(got) != 1 {
		t.Fatalf("read: %v %v", got, err)
	}
	if c := got[0].GetTableEntry().GetCounterData(); c.GetPacketCount() != 5 || c.GetByteCount() != 320 {
		t.Fatalf("after the restart the counter reads %v, want the 5 packets (320 bytes) kept", c)
	}
}

// The admin API lets no one in without its credential (issue: "the admin
// API lets no one in"): a request with no token, or a wrong one, gets 401
// with a WWW-Authenticate challenge and changes nothing — a migration
// asked for so does not start; the right token gets through.
func TestAdminAPIRequiresACredential(t *testing.T) {
	src := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, DeviceID: 1, Rules: &rules})
	dst := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileBMv2, DeviceID: 2})
	file := filepath.Join(t.TempDir(), "admin.token")
	token, created, err := service.LoadOrCreateToken(file)
	if err != nil || !created || len(token) < service.MinTokenLen {
		t.Fatalf("token %q, created %v: %v", token, created, err)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the token file: %v %v, want mode 0600", fi, err)
	}
	if again, created, err := service.LoadOrCreateToken(file); again != token || created || err != nil {
		t.Fatalf("the token read again: %q %v %v", again, created, err)
	}
	s := service.New(standFor(t, src), service.Options{ElectionID: eid, Rules: rules, Auth: &service.Auth{Token: token, Hint: "see the token file"}})
	defer s.Close()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	ctx := testCtx(t)
	spec := service.Spec{Device: 7, Target: service.Endpoint{Addr: dst.Addr, DeviceID: 2}, PortMap: "1=1,2=2,255=255", Hosts: []uint64{1}}
	for _, tc := range []struct{ name, token string }{{"no token", ""}, {"a wrong token", token[:len(token)-1] + "x"}} {
		c := &service.Client{Addr: srv.URL, Token: tc.token}
		if _, err := c.Migrate(ctx, spec); err == nil || !strings.Contains(err.Error(), "unauthorized") || !strings.Contains(err.Error(), "see the token file") {
			t.Errorf("%s: migrate answered %v, want unauthorized with the hint", tc.name, err)
		}
		if _, err := c.Status(ctx); err == nil {
			t.Errorf("%s: status answered", tc.name)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/metrics", nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: /metrics answered %s (WWW-Authenticate %q), want 401 with a Bearer challenge", tc.name, resp.Status, resp.Header.Get("WWW-Authenticate"))
		}
	}
	sts := s.Status()
	if len(sts) != 1 || sts[0].Migration != nil {
		t.Fatalf("a refused request changed the proxy: %+v", sts)
	}
	c := &service.Client{Addr: srv.URL, Token: token}
	if sts, err := c.Status(ctx); err != nil || len(sts) != 1 {
		t.Fatalf("with the token, status: %v %v", sts, err)
	}
	if other, _, err := service.LoadOrCreateToken(filepath.Join(t.TempDir(), "other.token")); err != nil || other == token {
		t.Fatalf("another token file: %q %v (tokens must differ)", other, err)
	}
}
