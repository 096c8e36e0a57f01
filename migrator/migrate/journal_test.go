package migrate

import (
	"path/filepath"
	"testing"
)

// A journal outlives the process that wrote it: a migration's state and
// spec read back after reopening; Save needs a started migration.
func TestJournalSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Save(3, State{Step: Clone}); err == nil {
		t.Fatal("Save of a migration never started succeeded")
	}
	type spec struct{ Target string }
	m := New([]uint64{1, 2})
	if err := j.Start(3, spec{Target: "127.0.0.1:50002"}, m.State()); err != nil {
		t.Fatal(err)
	}
	for _, a := range []Action{{Step: Validate}, {Step: Pipeline}, {Step: Mirror}} {
		if err := m.Succeeded(a); err != nil {
			t.Fatal(err)
		}
		if err := j.Save(3, m.State()); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenJournal(filepath.Join(t.TempDir(), "no", "such", "dir", "j.db")); err == nil {
		t.Fatal("a journal in a missing folder opened")
	}
	j, err = OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	r, ok, err := j.Get(3)
	if err != nil || !ok || r.State.Step != Clone || string(r.Spec) != `{"Target":"127.0.0.1:50002"}` {
		t.Fatalf("read back %+v %v %v", r, ok, err)
	}
	all, err := j.All()
	if err != nil || len(all) != 1 {
		t.Fatalf("All: %v %v", all, err)
	}
	if _, ok, _ := j.Get(4); ok {
		t.Fatal("device 4 has a migration")
	}
}

// The counts an aborted migration kept (SaveOffsets) stay in the device's
// record when a new migration of it starts, alone or in a plan: they are
// the device's, not the migration's.
func TestJournalKeepsOffsetsAcrossMigrations(t *testing.T) {
	j, err := OpenJournal(filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	type offset struct{ Packets int }
	if err := j.Start(1, "first", State{Step: Validate}); err != nil {
		t.Fatal(err)
	}
	if err := j.SaveOffsets(1, []offset{{Packets: 7}}); err != nil {
		t.Fatal(err)
	}
	want := `[{"Packets":7}]`
	if err := j.Start(1, "second", State{Step: Validate}); err != nil {
		t.Fatal(err)
	}
	if r, _, _ := j.Get(1); string(r.Offsets) != want || string(r.Spec) != `"second"` {
		t.Fatalf("after a new start: spec %s, offsets %s", r.Spec, r.Offsets)
	}
	if err := j.StartPlan("plan", "state", []Record{{Device: 1, Spec: []byte(`"third"`)}, {Device: 2, Spec: []byte(`"other"`)}}); err != nil {
		t.Fatal(err)
	}
	if r, _, _ := j.Get(1); string(r.Offsets) != want || string(r.Spec) != `"third"` {
		t.Fatalf("after a plan's start: spec %s, offsets %s", r.Spec, r.Offsets)
	}
	if r, _, _ := j.Get(2); r.Offsets != nil {
		t.Fatalf("device 2 got offsets %s", r.Offsets)
	}
}
