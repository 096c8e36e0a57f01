package port

import (
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/lime-p4/lime/internal/watchers"
)

// ErrUnknown: no port of that name or id in the Set.
var ErrUnknown = errors.New("unknown port")

// Event is a change to a Set: a port added or removed, or a member's status
// changed.
type Event struct {
	Port    *Port
	Status  Status
	Added   bool
	Removed bool
}

// Set is a device's ports, indexed by name and by id. Names and ids are
// unique within a Set.
type Set struct {
	mu       sync.Mutex
	byName   map[string]*Port
	byID     map[uint32]*Port
	unwatch  map[*Port]func()
	watchers watchers.List[func(Event)]
}

// NewSet returns a Set holding ports.
func NewSet(ports ...*Port) (*Set, error) {
	s := &Set{
		byName:  map[string]*Port{},
		byID:    map[uint32]*Port{},
		unwatch: map[*Port]func(){},
	}
	for _, p := range ports {
		if err := s.Add(p); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Add puts p in the set. It fails if another port has the same name or id.
func (s *Set) Add(p *Port) error {
	if p == nil {
		return errors.New("port: Set.Add: nil port")
	}
	s.mu.Lock()
	if q := s.byName[p.name]; q != nil {
		s.mu.Unlock()
		return fmt.Errorf("port: name %q already used by port %s", p.name, q)
	}
	if q := s.byID[p.id]; q != nil {
		s.mu.Unlock()
		return fmt.Errorf("port: id %d already used by port %s", p.id, q)
	}
	s.byName[p.name] = p
	s.byID[p.id] = p
	s.unwatch[p] = p.Watch(func(p *Port, st Status) { s.notify(Event{Port: p, Status: st}) })
	s.mu.Unlock()
	s.notify(Event{Port: p, Status: p.Status(), Added: true})
	return nil
}

// Remove takes the named port out of the set (it stays attached; Detach it
// if it should stop carrying traffic) and returns it.
func (s *Set) Remove(name string) (*Port, error) {
	s.mu.Lock()
	p := s.byName[name]
	if p == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("port: remove %q: %w", name, ErrUnknown)
	}
	delete(s.byName, name)
	delete(s.byID, p.id)
	s.unwatch[p]()
	delete(s.unwatch, p)
	s.mu.Unlock()
	s.notify(Event{Port: p, Status: p.Status(), Removed: true})
	return p, nil
}

// ByName returns the named port, or nil.
func (s *Set) ByName(name string) *Port {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byName[name]
}

// ByID returns the port with P4Runtime port id id, or nil.
func (s *Set) ByID(id uint32) *Port {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byID[id]
}

// Lookup returns the named port or an error wrapping ErrUnknown.
func (s *Set) Lookup(name string) (*Port, error) {
	if p := s.ByName(name); p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("port: %q: %w", name, ErrUnknown)
}

// List returns the ports ordered by id.
func (s *Set) List() []*Port {
	s.mu.Lock()
	out := make([]*Port, 0, len(s.byID))
	for _, p := range s.byID {
		out = append(out, p)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// Len returns the number of ports.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}

// Watch registers fn for the set's events (see Port.Watch for the rules fn
// must follow). The returned function cancels the registration.
func (s *Set) Watch(fn func(Event)) (cancel func()) { return s.watchers.Add(fn) }

func (s *Set) notify(ev Event) {
	for _, w := range s.watchers.Snapshot() {
		w(ev)
	}
}
