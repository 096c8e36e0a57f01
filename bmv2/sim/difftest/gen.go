package difftest

import (
	"math/rand/v2"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
)

// Program is what a session is generated for: the program's P4Info and
// the pipeline config that loads it.
type Program struct {
	Info     *info.Info
	Config   *p4v1.ForwardingPipelineConfig
	DeviceID uint64
}

// generator makes the steps of one session.
type generator struct {
	prog Program
	r    *rand.Rand
	gen  *p4test.Gen
	// pool are valid entities of the program (a generated state, so ids
	// collide and writes meet what earlier ones made).
	pool []*p4v1.Entity
	// elections are the election ids the streams last sent (0: none).
	elections [Streams]uint64
	conns     [Streams]conn
}

// Generate makes a session of n steps for a program from a seed: the same
// seed gives the same session.
func Generate(prog Program, seed uint64, n int) []Step {
	g := &generator{prog: prog, r: rand.New(rand.NewPCG(seed, seed^0x5eed)), gen: p4test.NewGen(prog.Info, seed)}
	g.pool = g.gen.State(3)
	steps := make([]Step, 0, n)
	for len(steps) < n {
		steps = append(steps, g.step())
	}
	return steps
}

// step draws one step: mostly writes and reads, some arbitration, a few
// pipeline pushes.
func (g *generator) step() Step {
	switch x := g.r.IntN(100); {
	case x < 6:
		return g.arbitrate()
	case x < 8:
		i := g.r.IntN(Streams)
		g.conns[i], g.elections[i] = conn{}, 0
		return Step{Op: OpLeave, Stream: i}
	case x < 11:
		return g.pipeline()
	case x < 70:
		return g.write()
	default:
		return g.read()
	}
}

// electionID is the id a request carries: mostly the highest a stream
// sent (the primary's), else another stream's, none, or one no stream
// sent.
func (g *generator) electionID() *p4v1.Uint128 {
	var best uint64
	for _, e := range g.elections {
		best = max(best, e)
	}
	switch x := g.r.IntN(20); {
	case x < 15 && best > 0:
		return &p4v1.Uint128{Low: best}
	case x < 17:
		if e := g.elections[g.r.IntN(Streams)]; e > 0 {
			return &p4v1.Uint128{Low: e}
		}
		return nil
	case x < 19:
		return nil
	default:
		return &p4v1.Uint128{High: uint64(g.r.IntN(2)), Low: uint64(1 + g.r.IntN(9))}
	}
}

func (g *generator) deviceID() uint64 {
	if g.r.IntN(40) == 0 {
		return g.prog.DeviceID + 1
	}
	return g.prog.DeviceID
}

// conn is what the generator knows of a stream: PI's connection, when
// an arbitration made one.
type conn struct {
	open     bool
	device   uint64
	election uint64
}

// arbitrate draws an arbitration on one stream. It never re-arbitrates an
// open stream with an election id another stream holds: PI then drops the
// connection from its set before refusing, and the stream's end fails an
// assertion that kills simple_switch_grpc (pi_server.cpp,
// DeviceState::update_connection then cleanup_connection). A new stream
// may take a held id: bmv2 ends it with INVALID_ARGUMENT.
func (g *generator) arbitrate() Step {
	i := g.r.IntN(Streams)
	c := &g.conns[i]
	arb := &p4v1.MasterArbitrationUpdate{DeviceId: g.deviceID()}
	if g.r.IntN(20) == 0 {
		arb.DeviceId = 0
	}
	held := func(e uint64) bool {
		for j, o := range g.conns {
			if j != i && o.open && o.device == arb.DeviceId && o.election == e {
				return true
			}
		}
		return false
	}
	var eid uint64
	for range 10 {
		if eid = uint64(g.r.IntN(6)); !c.open || !held(eid) {
			break
		}
	}
	if c.open && held(eid) {
		return g.read() // no safe id: something else
	}
	if eid > 0 || g.r.IntN(2) == 0 {
		arb.ElectionId = &p4v1.Uint128{Low: eid}
	}
	switch {
	case c.open && c.device != arb.DeviceId: // FAILED_PRECONDITION ends it
		*c = conn{}
	case !c.open && held(eid): // INVALID_ARGUMENT ends it
	default:
		*c = conn{open: true, device: arb.DeviceId, election: eid}
	}
	g.elections[i] = 0
	if c.open && c.device == g.prog.DeviceID {
		g.elections[i] = eid
	}
	return Step{Op: OpArbitrate, Stream: i, Arb: arb}
}

// pipeline pushes the program again with VERIFY_AND_COMMIT (state is
// lost), or VERIFY, UNSPECIFIED or an unknown action, with a config or one
// with a bad part (none, no device config, no P4Info) or another cookie.
// Pushes that leave real bmv2 unable to take another are not drawn:
// VERIFY_AND_SAVE (a pending config refuses every later push until a
// COMMIT), a RECONCILE_AND_COMMIT whose replay fails (PI replays indirect
// counter and meter cells as INSERTs, which fail, and never ends the
// device update), a VERIFY_AND_COMMIT with a bad part (bmv2 takes it) and
// a push to another device id (PI makes a device manager that fails to
// assign the device, and the next request for that id kills
// simple_switch_grpc).
func (g *generator) pipeline() Step {
	req := &p4v1.SetForwardingPipelineConfigRequest{DeviceId: g.prog.DeviceID, ElectionId: g.electionID(),
		Action: p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, Config: proto.Clone(g.prog.Config).(*p4v1.ForwardingPipelineConfig)}
	if g.r.IntN(3) == 0 {
		req.Config.Cookie = &p4v1.ForwardingPipelineConfig_Cookie{Cookie: g.r.Uint64()}
	}
	if g.r.IntN(2) == 0 {
		return Step{Op: OpPipeline, Pipe: req}
	}
	switch g.r.IntN(6) {
	case 0:
		req.Action = p4v1.SetForwardingPipelineConfigRequest_UNSPECIFIED
	case 1:
		req.Action = p4v1.SetForwardingPipelineConfigRequest_Action(9)
	default:
		req.Action = p4v1.SetForwardingPipelineConfigRequest_VERIFY
	}
	switch g.r.IntN(4) {
	case 0:
		req.Config = nil
	case 1:
		req.Config.P4DeviceConfig = nil
	case 2:
		req.Config.P4Info = nil
	}
	return Step{Op: OpPipeline, Pipe: req}
}

var atomicities = []p4v1.WriteRequest_Atomicity{
	p4v1.WriteRequest_ROLLBACK_ON_ERROR,
	p4v1.WriteRequest_DATAPLANE_ATOMIC,
	p4v1.WriteRequest_Atomicity(7),
}

func (g *generator) write() Step {
	req := &p4v1.WriteRequest{DeviceId: g.deviceID(), ElectionId: g.electionID()}
	if g.r.IntN(10) == 0 {
		req.Atomicity = atomicities[g.r.IntN(len(atomicities))]
	}
	for range 1 + g.r.IntN(4) {
		req.Updates = append(req.Updates, g.update())
	}
	return Step{Op: OpWrite, Write: req}
}

var updateTypes = []p4v1.Update_Type{p4v1.Update_INSERT, p4v1.Update_MODIFY, p4v1.Update_DELETE}

// update draws an update of a pool entity: its creating type (INSERT, or
// MODIFY for what always exists), or another, and now and then a bad
// field or an unusual type.
func (g *generator) update() *p4v1.Update {
	if len(g.pool) == 0 || g.r.IntN(50) == 0 {
		return &p4v1.Update{Type: p4v1.Update_INSERT, Entity: &p4v1.Entity{}}
	}
	e := proto.Clone(g.pool[g.r.IntN(len(g.pool))]).(*p4v1.Entity)
	u := &p4v1.Update{Type: p4test.WriteType(e), Entity: e}
	switch x := g.r.IntN(20); {
	case x < 6:
		u.Type = updateTypes[g.r.IntN(len(updateTypes))]
	case x == 6:
		u.Type = p4v1.Update_UNSPECIFIED
	case x == 7:
		u.Type = p4v1.Update_Type(9)
	}
	if g.r.IntN(4) == 0 {
		g.mutate(e)
	}
	return u
}

// read draws a read of one to three filters.
func (g *generator) read() Step {
	req := &p4v1.ReadRequest{DeviceId: g.deviceID()}
	for range 1 + g.r.IntN(3) {
		req.Entities = append(req.Entities, g.filter())
	}
	return Step{Op: OpRead, Read: req}
}

// filter draws a read filter: the query of a pool entity, a wildcard of a
// kind (all objects, or one), or one with a bad id.
func (g *generator) filter() *p4v1.Entity {
	if len(g.pool) > 0 && g.r.IntN(3) == 0 {
		q := entity.Query(g.pool[g.r.IntN(len(g.pool))])
		if te := q.GetTableEntry(); te != nil && g.r.IntN(2) == 0 {
			if t := g.prog.Info.Table(te.TableId); t != nil && t.DirectCounter != nil {
				te.CounterData = &p4v1.CounterData{}
			}
		}
		return q
	}
	return g.wildcard()
}
