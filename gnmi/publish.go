package gnmi

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/openconfig/gnmi/cache"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmi/value"
)

// publisher reads the backend and writes every leaf into the gNMI cache,
// which tells the subscribe server about values that changed. Reading and
// writing happen under one lock, so the cache only ever moves forward in
// time.
type publisher struct {
	backend Ports
	cache   *cache.Cache
	target  string
	log     *slog.Logger

	mu      sync.Mutex
	lastTS  int64
	ports   map[string]portRecord
	fresh   time.Time // when the last refresh finished
	lastErr string
}

type portRecord struct {
	state      PortState
	lastChange uint64
}

// snapshot is the backend's state at one time, ports sorted by name.
type snapshot struct {
	ts    int64
	ports []portView
}

// portView is a port with the last-change the agent reports for it.
type portView struct {
	PortState
	lastChange uint64
}

func (s *snapshot) port(name string) *portView {
	i := sort.Search(len(s.ports), func(i int) bool { return s.ports[i].Name >= name })
	if i < len(s.ports) && s.ports[i].Name == name {
		return &s.ports[i]
	}
	return nil
}

func newPublisher(b Ports, c *cache.Cache, target string, log *slog.Logger) *publisher {
	return &publisher{backend: b, cache: c, target: target, log: log, ports: map[string]portRecord{}}
}

// nextTS returns a timestamp later than every one before it.
func (p *publisher) nextTS() int64 {
	ts := time.Now().UnixNano()
	if ts <= p.lastTS {
		ts = p.lastTS + 1
	}
	p.lastTS = ts
	return ts
}

// refresh reads the backend, publishes what changed and returns the
// snapshot.
func (p *publisher) refresh(ctx context.Context) (*snapshot, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refreshLocked(ctx)
}

// refreshIfOlder refreshes unless the last refresh is younger than age.
func (p *publisher) refreshIfOlder(ctx context.Context, age time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.fresh) < age {
		return nil
	}
	_, err := p.refreshLocked(ctx)
	return err
}

func (p *publisher) refreshLocked(ctx context.Context) (*snapshot, error) {
	list, err := p.backend.Ports(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: list ports: %w", errBackend, err)
	}
	ts := p.nextTS()
	snap := &snapshot{ts: ts, ports: make([]portView, 0, len(list))}
	seen := make(map[string]bool, len(list))
	for _, ps := range list {
		if err := checkPortState(&ps); err != nil {
			p.warn(err)
			continue
		}
		if seen[ps.Name] {
			p.warn(fmt.Errorf("backend reports port %q twice; the first is served", ps.Name))
			continue
		}
		seen[ps.Name] = true
		ps.Oper = ps.Oper.Served()
		rec, known := p.ports[ps.Name]
		lastChange := rec.lastChange
		if !known || rec.state.Oper != ps.Oper {
			lastChange = uint64(ts)
		}
		if !ps.LastChange.IsZero() {
			lastChange = uint64(ps.LastChange.UnixNano())
		}
		p.ports[ps.Name] = portRecord{state: ps, lastChange: lastChange}
		snap.ports = append(snap.ports, portView{PortState: ps, lastChange: lastChange})
		for i := range schema {
			l := &schema[i]
			tv, err := value.FromScalar(l.get(&ps, lastChange))
			if err != nil {
				p.warn(fmt.Errorf("port %q leaf %v: %w", ps.Name, l.rel, err))
				continue
			}
			n := &gpb.Notification{
				Timestamp: ts,
				Prefix:    &gpb.Path{Target: p.target},
				Update:    []*gpb.Update{{Path: segsPath(leafSegs(ps.Name, l)), Val: tv}},
			}
			if err := p.cache.GnmiUpdate(n); err != nil {
				p.warn(fmt.Errorf("cache update of port %q: %w", ps.Name, err))
			}
		}
	}
	for name := range p.ports {
		if seen[name] {
			continue
		}
		delete(p.ports, name)
		n := &gpb.Notification{
			Timestamp: ts,
			Prefix:    &gpb.Path{Target: p.target},
			Delete:    []*gpb.Path{segsPath([]seg{{name: elemInterfaces}, {name: elemInterface, key: name}})},
		}
		if err := p.cache.GnmiUpdate(n); err != nil {
			p.warn(fmt.Errorf("cache delete of port %q: %w", name, err))
		}
	}
	sort.Slice(snap.ports, func(i, j int) bool { return snap.ports[i].Name < snap.ports[j].Name })
	p.fresh = time.Now()
	return snap, nil
}

func checkPortState(ps *PortState) error {
	switch {
	case ps.Name == "":
		return fmt.Errorf("backend reports a port without a name (id %d); skipped", ps.ID)
	case !ps.Oper.Valid():
		return fmt.Errorf("backend reports port %q with oper-status %q, not an OpenConfig value; skipped", ps.Name, ps.Oper)
	}
	return nil
}

// warn logs err unless it repeats the previous warning.
func (p *publisher) warn(err error) {
	if msg := err.Error(); msg != p.lastErr {
		p.lastErr = msg
		p.log.Warn("gnmi: publishing port state", "err", err)
	}
}
