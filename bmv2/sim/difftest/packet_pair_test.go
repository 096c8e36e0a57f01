//go:build linux

package difftest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lime-p4/lime/bmv2/regs"
	"github.com/lime-p4/lime/bmv2/sim/dataplane/bmjson"
	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/pipelines"
	"github.com/lime-p4/lime/test/lab"
)

// Timing of a packet session.
const (
	// packetQuiet is how long both switches must send nothing more for an
	// input's effects to be over (real bmv2 forwards in well under a
	// millisecond when idle).
	packetQuiet = 40 * time.Millisecond
	// packetLate bounds the wait for outputs that still differ: a switch
	// slowed by the machine's load catches up within it.
	packetLate = time.Second
	// packetRPC bounds a pipeline push, a write or a read.
	packetRPC = time.Minute
)

// hostPorts are both switches' host ports.
var hostPorts = []uint32{1, 2, 3, 4}

// event is something a switch did: a frame out of a host port or a
// packet-in (rendered when the input's effects are gathered, with the
// program's times), or a digest list (rendered).
type event struct {
	port     uint32
	frame    []byte
	packetIn *p4v1.PacketIn
	digest   string
}

// packetSide is one switch of a packet pair.
type packetSide struct {
	name   string
	sw     *lab.Switch
	events chan event
	thrift *thrift.Client
	// The controller of the program being played (primary).
	c *client.Client
	s *client.Session
}

// packetPair is the simulator (bmv2 profile, a whole sim.Device with
// ports) and real simple_switch_grpc, each with a host on a veth pair per
// port, CPU port 255.
type packetPair struct {
	sim, real *packetSide
	// election is the election id of the next controllers: each program's
	// controllers are primary over the last program's, whose streams the
	// switches may not yet have seen end.
	election uint64
	// dead is set once a switch died (errSwitchDied): nothing more can be
	// played.
	dead error
	// asserts watches the simulator's data plane for failed asserts.
	asserts *assertWatch
	// times renders the frames of the program being played.
	times *FrameTimes
}

// startPacketPair starts both switches, their hosts and Thrift clients.
// The test is skipped where veth pairs cannot be made (not root) or no
// real bmv2 is present, saying which.
func startPacketPair(t *testing.T) *packetPair {
	t.Helper()
	real := lab.RealBMv2(t)
	spec := lab.Spec{Name: "real", DeviceID: deviceID, Ports: hostPorts, CPUPort: cpuPort}
	rs := real.Start(t, spec)
	spec.Name = "sim"
	watch := newAssertWatch()
	ss := lab.Sim{Links: lab.Veth, Logger: slog.New(watch)}.Start(t, spec)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	side := func(name string, sw *lab.Switch) *packetSide {
		s := &packetSide{name: name, sw: sw, events: make(chan event, 1024)}
		for _, p := range hostPorts {
			h := sw.Host(p)
			go func() {
				for {
					f, err := h.Recv(ctx)
					if err != nil {
						return
					}
					s.events <- event{port: p, frame: f}
				}
			}()
		}
		tc, err := thrift.Dial(ctx, sw.Thrift)
		if err != nil {
			t.Fatalf("%s: Thrift: %v", name, err)
		}
		t.Cleanup(func() { tc.Close() })
		s.thrift = tc
		return s
	}
	return &packetPair{sim: side("simulator", ss), real: side("real bmv2", rs), election: 1, asserts: watch}
}

// both runs fn on the two sides at once.
func (p *packetPair) both(fn func(s *packetSide) error) error {
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, s := range []*packetSide{p.sim, p.real} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(s); err != nil {
				errs[i] = fmt.Errorf("%s: %w", s.name, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// connect makes each side's controller for prog primary, its packet-ins
// and digests (acked at once) gathered as events; they close when t ends.
func (p *packetPair) connect(t *testing.T, prog *pipelines.Program) {
	t.Helper()
	eid := &client.ElectionID{High: 1, Low: p.election}
	p.election++
	err := p.both(func(s *packetSide) error {
		ctx, cancel := context.WithTimeout(context.Background(), packetRPC)
		defer cancel()
		c, err := client.Dial(ctx, s.sw.Addr, client.DialOptions{DeviceID: deviceID, Insecure: true, ElectionID: eid,
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return err
		}
		sess, err := c.Arbitrate(ctx)
		if err != nil {
			c.Close()
			return fmt.Errorf("arbitration: %w", err)
		}
		if !sess.IsPrimary() {
			sess.Close()
			c.Close()
			return errors.New("the controller is not primary")
		}
		s.c, s.s = c, sess
		done := make(chan struct{})
		go func() {
			defer close(done)
			for { // the channels close just before Done: a nil is the end
				select {
				case pi := <-sess.PacketIns():
					if pi == nil {
						return
					}
					s.events <- event{packetIn: pi}
				case dl := <-sess.Digests():
					if dl == nil {
						return
					}
					s.events <- event{digest: DigestList(dl)}
					_ = sess.AckDigest(dl.GetDigestId(), dl.GetListId())
				case <-sess.Done():
					return
				}
			}
		}()
		t.Cleanup(func() {
			sess.Close()
			<-done
			c.Close()
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// reset deletes every multicast group and clone session, pushes the
// program on both switches (the rest of their state is gone) and forgets
// what they sent before. The PRE goes first: real bmv2 keeps its groups
// and sessions in the data plane across a push while PI forgets them, so
// that a group written again replicates twice (DocumentedPackets,
// "pre-kept-across-push").
func (p *packetPair) reset(prog *pipelines.Program) error {
	err := p.both(func(s *packetSide) error {
		ctx, cancel := context.WithTimeout(context.Background(), packetRPC)
		defer cancel()
		if err := clearPRE(ctx, s.c); err != nil {
			return err
		}
		return s.c.SetPipeline(ctx, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, prog.P4Info, prog.JSON, 1)
	})
	time.Sleep(packetQuiet)
	for _, s := range []*packetSide{p.sim, p.real} {
		for len(s.events) > 0 {
			<-s.events
		}
	}
	return err
}

// clearPRE deletes every multicast group and clone session the switch
// holds.
func clearPRE(ctx context.Context, c *client.Client) error {
	var ups []*p4v1.Update
	for _, q := range []*p4v1.PacketReplicationEngineEntry{
		{Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: &p4v1.MulticastGroupEntry{}}},
		{Type: &p4v1.PacketReplicationEngineEntry_CloneSessionEntry{CloneSessionEntry: &p4v1.CloneSessionEntry{}}},
	} {
		es, err := c.ReadAll(ctx, &p4v1.Entity{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: q}})
		if status.Code(err) == codes.FailedPrecondition { // no pipeline yet: nothing written
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the PRE: %w", err)
		}
		for _, e := range es {
			ups = append(ups, &p4v1.Update{Type: p4v1.Update_DELETE, Entity: e})
		}
	}
	if len(ups) == 0 {
		return nil
	}
	if err := c.Write(ctx, ups); err != nil {
		return fmt.Errorf("deleting the PRE's groups and sessions: %w", err)
	}
	return nil
}

// write writes the state kind by kind in dependency order, as
// lab.Controller.Populate does, on both switches, and returns the first
// batch whose updates the two answer differently (refusals are no
// failure: a random state may hold what a switch refuses, as long as
// both refuse it).
func (p *packetPair) write(in *info.Info, state []*p4v1.Entity) (string, error) {
	byKind := map[entity.Kind][]*p4v1.Entity{}
	for _, e := range state {
		k := entity.KindOf(e)
		byKind[k] = append(byKind[k], e)
	}
	for _, k := range entity.Kinds() {
		es := byKind[k]
		if len(es) == 0 {
			continue
		}
		codes := map[*packetSide][]string{}
		var mu sync.Mutex
		err := p.both(func(s *packetSide) error {
			ctx, cancel := context.WithTimeout(context.Background(), packetRPC)
			defer cancel()
			out := writeKind(ctx, s, in, k, es)
			mu.Lock()
			codes[s] = out
			mu.Unlock()
			return nil
		})
		if err != nil {
			return "", err
		}
		if !slices.Equal(codes[p.sim], codes[p.real]) {
			var b []string
			for i, e := range es {
				if codes[p.sim][i] != codes[p.real][i] {
					b = append(b, fmt.Sprintf("  %s: simulator %s, real bmv2 %s", entity.Describe(e, in), codes[p.sim][i], codes[p.real][i]))
				}
			}
			return fmt.Sprintf("writing the %s entities of the state, the switches answer differently:\n%s", k, strings.Join(b, "\n")), nil
		}
	}
	return "", nil
}

// writeKind writes entities of one kind and returns each one's code.
func writeKind(ctx context.Context, s *packetSide, in *info.Info, k entity.Kind, es []*p4v1.Entity) []string {
	out := make([]string, len(es))
	if k == entity.KindRegister { // bmv2: over Thrift (PI issue 376)
		w := &regs.Writer{Thrift: s.thrift, Info: in}
		for i, e := range es {
			out[i] = codeOf(w.WriteRegister(ctx, e))
		}
		return out
	}
	typ := entity.WriteType(k)
	ups := make([]*p4v1.Update, len(es))
	for i, e := range es {
		ups[i] = &p4v1.Update{Type: typ, Entity: e}
	}
	err := s.c.Write(ctx, ups)
	var we *client.WriteError
	if errors.As(err, &we) {
		for i, r := range we.Results() {
			out[i] = codeOf(r)
		}
		return out
	}
	for i := range out {
		out[i] = codeOf(err)
	}
	return out
}

func codeOf(err error) string {
	if err == nil {
		return codes.OK.String()
	}
	var pe *client.P4Error
	if errors.As(err, &pe) {
		return pe.Code.String()
	}
	if st, ok := status.FromError(err); ok {
		return st.Code().String()
	}
	return "error: " + err.Error()
}

// send puts an input into both switches at once and gathers what each
// does until both are quiet and agree, or packetLate has passed. With
// guard (a program that asserts) it puts it into the simulator first and,
// when one of the program's asserts failed there, not into real bmv2,
// which would abort: it returns where the assert is, and no outcomes. A
// switch that ends the controller's stream (dies) is an errSwitchDied.
func (p *packetPair) send(in Input, guard bool) (sim, real Outcome, asserted string, err error) {
	put := func(s *packetSide) error {
		if in.Out != nil {
			return s.s.SendPacketOut(in.Out)
		}
		return s.sw.Host(in.Port).Send(in.Frame)
	}
	add := func(o *Outcome, e event) {
		switch {
		case e.frame != nil:
			o.Frames = append(o.Frames, p.times.Render(e.port, e.frame))
		case e.packetIn != nil:
			o.PacketIns = append(o.PacketIns, p.times.RenderPacketIn(e.packetIn))
		default:
			o.Digests = append(o.Digests, e.digest)
		}
	}
	timer := time.NewTimer(packetQuiet)
	defer timer.Stop()
	if guard {
		p.asserts.drain()
		if err := put(p.sim); err != nil {
			return sim, real, "", fmt.Errorf("%s: %w", p.sim.name, err)
		}
		for quiet := false; !quiet; {
			select {
			case where := <-p.asserts.failed:
				asserted = where
			case e := <-p.sim.events:
				add(&sim, e)
				resetTimer(timer, packetQuiet)
			case <-timer.C:
				quiet = true
			}
		}
		if asserted != "" {
			return Outcome{}, real, asserted, nil
		}
		err = put(p.real)
		if err != nil {
			err = fmt.Errorf("%s: %w", p.real.name, err)
		}
	} else {
		err = p.both(put)
	}
	if err != nil {
		return sim, real, "", err
	}
	start := time.Now()
	lastSim, lastReal := start, start
	resetTimer(timer, packetQuiet)
	for {
		select {
		case <-p.real.s.Done():
			return sim, real, "", p.died(p.real)
		case <-p.sim.s.Done():
			return sim, real, "", p.died(p.sim)
		case e := <-p.sim.events:
			add(&sim, e)
			lastSim = time.Now()
		case e := <-p.real.events:
			add(&real, e)
			lastReal = time.Now()
		case <-timer.C:
		}
		now := time.Now()
		quietAt := later(lastSim, lastReal).Add(packetQuiet)
		if now.Before(quietAt) {
			resetTimer(timer, quietAt.Sub(now))
			continue
		}
		sim.Sort()
		real.Sort()
		if sim.Equal(real) || now.Sub(start) >= packetLate {
			return sim, real, "", nil
		}
		resetTimer(timer, packetQuiet)
	}
}

// errSwitchDied is the error of a play whose switch ended the controller's
// stream by itself: it died (real bmv2 aborts on what kills it), and every
// later program would wait for it in vain.
var errSwitchDied = errors.New("the switch ended the controller's stream: it died")

// died records that side s ended its stream, and says so.
func (p *packetPair) died(s *packetSide) error {
	if p.dead == nil {
		p.dead = fmt.Errorf("%s: %w (%v)", s.name, errSwitchDied, s.s.Err())
	}
	return p.dead
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func resetTimer(t *time.Timer, d time.Duration) {
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	t.Reset(d)
}

// readBack reads what packets change: every counter array and every
// table's direct counters over P4Runtime, every register array of the
// bmv2 JSON over Thrift (non-zero cells).
func (p *packetPair) readBack(in *info.Info, doc *bmjson.Document) (sim, real []Answer, what []string, err error) {
	var filters []*p4v1.Entity
	for _, c := range in.Counters {
		filters = append(filters, &p4v1.Entity{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: c.ID}}})
		what = append(what, "counter "+c.Name)
	}
	for _, t := range in.Tables {
		if t.DirectCounter != nil {
			filters = append(filters, &p4v1.Entity{Entity: &p4v1.Entity_DirectCounterEntry{DirectCounterEntry: &p4v1.DirectCounterEntry{
				TableEntry: &p4v1.TableEntry{TableId: t.ID}}}})
			what = append(what, "direct counter of "+t.Name)
		}
	}
	for _, r := range doc.RegisterArrays {
		what = append(what, "register "+r.Name+" (Thrift)")
	}
	times := TimesOf(doc).Registers
	answers := map[*packetSide][]Answer{}
	var mu sync.Mutex
	err = p.both(func(s *packetSide) error {
		ctx, cancel := context.WithTimeout(context.Background(), packetRPC)
		defer cancel()
		var out []Answer
		for _, f := range filters {
			var a Answer
			for e, err := range s.c.Read(ctx, f) {
				if err != nil {
					a.Code, a.Msg = status.Code(err), err.Error()
					break
				}
				a.Entities = append(a.Entities, normalise(e))
			}
			slices.Sort(a.Entities)
			out = append(out, a)
		}
		for _, r := range doc.RegisterArrays {
			var a Answer
			vals, err := s.thrift.RegisterReadAll(ctx, r.Name)
			if err != nil {
				a.Code, a.Msg = codes.Unknown, err.Error()
			}
			for i, v := range vals {
				switch {
				case v == 0:
				case times[r.Name]: // the switches' clocks differ: set or not
					a.Entities = append(a.Entities, fmt.Sprintf("%s[%d] = a time", r.Name, i))
				default:
					a.Entities = append(a.Entities, fmt.Sprintf("%s[%d] = %d", r.Name, i, v))
				}
			}
			a.Entities = append(a.Entities, fmt.Sprintf("%s: %d cells", r.Name, len(vals)))
			out = append(out, a)
		}
		mu.Lock()
		answers[s] = out
		mu.Unlock()
		return nil
	})
	return answers[p.sim], answers[p.real], what, err
}
