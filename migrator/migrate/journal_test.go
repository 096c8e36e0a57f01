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
