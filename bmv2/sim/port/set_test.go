package port

import (
	"errors"
	"sync"
	"testing"
)

func TestSet(t *testing.T) {
	a, b := mustPort(t, "eth0", 1), mustPort(t, "eth1", 2)
	s, err := NewSet(b, a)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var events []Event
	cancel := s.Watch(func(ev Event) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	})
	defer cancel()

	// Names and ids are unique: they are the gNMI interface key and the
	// P4Runtime port id.
	for _, tc := range []struct {
		name string
		id   uint32
	}{{"eth0", 9}, {"eth9", 2}} {
		if err := s.Add(mustPort(t, tc.name, tc.id)); err == nil {
			t.Errorf("Add(%s, %d) succeeded despite a duplicate", tc.name, tc.id)
		}
	}
	if got := s.List(); len(got) != 2 || got[0] != a || got[1] != b {
		t.Errorf("List = %v, want [eth0 eth1]", got)
	}
	if s.ByID(2) != b || s.ByName("eth0") != a || s.ByID(7) != nil {
		t.Error("lookups wrong")
	}
	if _, err := s.Lookup("nope"); !errors.Is(err, ErrUnknown) {
		t.Errorf("Lookup(nope): %v, want ErrUnknown", err)
	}
	c := mustPort(t, "eth2", 3)
	if err := s.Add(c); err != nil {
		t.Fatal(err)
	}
	a.SetEnabled(false)
	if _, err := s.Remove("eth2"); err != nil {
		t.Fatal(err)
	}
	c.SetEnabled(false) // no longer a member: not reported
	if _, err := s.Remove("eth2"); !errors.Is(err, ErrUnknown) {
		t.Errorf("second Remove: %v, want ErrUnknown", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 3 {
		t.Fatalf("events %+v, want added eth2, eth0 status, removed eth2", events)
	}
	if !events[0].Added || events[0].Port != c {
		t.Errorf("event 0 %+v, want eth2 added", events[0])
	}
	if events[1].Port != a || events[1].Status.Enabled || events[1].Status.Oper != OperDown {
		t.Errorf("event 1 %+v, want eth0 DOWN", events[1])
	}
	if !events[2].Removed || events[2].Port != c {
		t.Errorf("event 2 %+v, want eth2 removed", events[2])
	}
	if s.Len() != 2 {
		t.Errorf("Len %d, want 2", s.Len())
	}
}
