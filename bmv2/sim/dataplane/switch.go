package dataplane

import (
	"log/slog"
	"sync"
	"time"
)

// Options configure a Switch. The zero value is bmv2 simple_switch's
// defaults.
type Options struct {
	// CPUPort is the port whose outputs are packet-ins (Output.ToCPU);
	// 0 means none, as simple_switch_grpc's --cpu-port.
	CPUPort uint32
	// DropPort is the egress_spec value that drops a packet; 0 means
	// 511, simple_switch's default for 9-bit ports.
	DropPort uint32
	// QueuesPerPort is the number of priority queues per egress port;
	// packets whose standard_metadata.priority is not below it are
	// dropped, as bmv2 does. 0 means 1 (bmv2's default).
	QueuesPerPort int
	// Now is the clock for timestamps (ingress/egress global timestamp,
	// queueing metadata), meters and entry hit times; nil means
	// time.Now. Timestamps count microseconds since New.
	Now func() time.Time
	// MaxPasses bounds the ingress passes of one received frame
	// (1 + resubmits + recirculations); 0 means 16. bmv2 has no such
	// bound (its queues are), so looping programs would spin forever.
	MaxPasses int
	// MaxEgress bounds the egress instances of one received frame
	// (unicast, replicas, clones, e2e clones of clones); 0 means 1024.
	MaxEgress int
	// Logger receives debug logs of drops; nil means slog.Default().
	Logger *slog.Logger
	// OnHit, when set, is called (on the packet's goroutine, with no
	// lock held) each time a packet hits an entry of a table that
	// supports timeouts (TableInfo.SupportTimeout), with the entry's
	// Cookie: the hook for P4Runtime idle timeouts.
	OnHit func(t *TableInfo, cookie uint64)
}

func (o Options) withDefaults() Options {
	if o.DropPort == 0 {
		o.DropPort = 511
	}
	if o.QueuesPerPort <= 0 {
		o.QueuesPerPort = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxPasses <= 0 {
		o.MaxPasses = 16
	}
	if o.MaxEgress <= 0 {
		o.MaxEgress = 1024
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Switch is one running device: a Program with its runtime state (table
// entries, action profiles, counters, meters, registers, value sets,
// multicast groups and clone sessions). All methods are safe for
// concurrent use; Process may run on many goroutines while the control
// plane writes.
type Switch struct {
	prog  *Program
	st    *state
	start time.Time
	// wmu serialises control-plane operations; packets never take it.
	wmu  sync.Mutex
	pool sync.Pool
}

// New creates a switch running p with empty state: the program's default
// actions and const entries installed (const entry i of a table, in
// TableInfo.ConstEntries order, with Cookie i+1).
func New(p *Program, opts Options) *Switch {
	opts = opts.withDefaults()
	s := &Switch{prog: p, st: newState(p.c, opts)}
	s.start = opts.Now()
	s.pool.New = func() any { return p.c.newPkt(s.st) }
	for _, t := range p.c.tables {
		ts := s.st.tables[t.index]
		for i, e := range t.info.ConstEntries {
			e.Cookie = uint64(i + 1)
			es, err := t.canon(&e)
			if err != nil {
				// Load validated const entries; this cannot happen.
				panic("dataplane: const entry of " + t.info.Name + ": " + err.Error())
			}
			a := t.info.Action(e.Action.Call.Name)
			ad, _ := makeActionData(a, e.Action.Call.Params)
			es.bind = binding{kind: KindAction, act: p.c.actions[a.index], ad: ad}
			es.spec.Action = e.Action
			es.spec.Cookie = e.Cookie
			s.initDirect(t, es)
			ts.insert(es)
		}
	}
	return s
}

// Program returns the program the switch runs.
func (s *Switch) Program() *Program { return s.prog }

// now returns microseconds since the switch started.
func (s *Switch) now() int64 {
	return s.st.opts.Now().Sub(s.start).Microseconds()
}

// initDirect gives a new entry its direct meter cell and hit time.
func (s *Switch) initDirect(t *tableC, es *entryState) {
	if t.meter >= 0 {
		es.meter = &meterCell{}
	}
	es.lastHit.Store(s.now())
}
