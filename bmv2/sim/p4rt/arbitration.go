package p4rt

import (
	"sync"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/arbitration"
)

// arbiter implements client arbitration (P4Runtime spec section "Client
// Arbitration and Controller Replication") for a Device over the shared
// state machine of p4/arbitration: as the spec says in profile spec, as PI
// does in profile bmv2. Lock order: Device.mu before the arbiter's locks;
// nothing calls into a Program while holding them.
type arbiter struct {
	d   *Device
	arb *arbitration.Arbiter[*Session]
	mu  sync.Mutex
	all map[*Session]bool // every open session, armed or not
}

func newArbiter(d *Device) *arbiter {
	policy := arbitration.PI
	if d.profile == ProfileSpec {
		policy = arbitration.Spec
	}
	a := &arbiter{d: d, all: map[*Session]bool{}}
	a.arb = arbitration.New(d.id, policy, d.opts.MaxStreams, func(s *Session, u *p4v1.MasterArbitrationUpdate) {
		s.out.Push(&p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Arbitration{Arbitration: u}}, false)
	})
	return a
}

// arbitrate handles a MasterArbitrationUpdate from session s. A returned
// error ends the stream with that error.
func (a *arbiter) arbitrate(s *Session, u *p4v1.MasterArbitrationUpdate) error {
	a.d.mu.Lock() // writes in flight finish before the primary changes
	defer a.d.mu.Unlock()
	if err := a.arb.Arbitrate(s, u); err != nil {
		return asKind(err)
	}
	a.d.log.Debug("p4runtime stream arbitrated", "role", u.GetRole().GetName(), "election_id", u.GetElectionId().String())
	return nil
}

// leave removes a closed session; losing the primary notifies the others.
func (a *arbiter) leave(s *Session) {
	a.d.mu.Lock()
	defer a.d.mu.Unlock()
	a.mu.Lock()
	delete(a.all, s)
	a.mu.Unlock()
	a.arb.Leave(s)
}

// isPrimary reports whether s is the primary of its role.
func (a *arbiter) isPrimary(s *Session) bool { return a.arb.IsPrimary(s) }

// sendToPrimary queues a message for the primary of the default role;
// without a primary it is dropped.
func (a *arbiter) sendToPrimary(m *p4v1.StreamMessageResponse, droppable bool) bool {
	p, ok := a.arb.Primary("")
	if !ok {
		return false
	}
	return p.out.Push(m, droppable)
}

// checkWriter applies the checks a Write or SetForwardingPipelineConfig
// makes before anything else. Device.mu is held.
func (d *Device) checkWriter(deviceID uint64, role string, e *p4v1.Uint128) error {
	return asKind(d.arb.arb.CheckWriter(deviceID, role, e))
}

// closeAll ends every session (device shutdown or restart), saying why.
func (a *arbiter) closeAll(why string) {
	a.mu.Lock()
	ss := make([]*Session, 0, len(a.all))
	for s := range a.all {
		ss = append(ss, s)
	}
	a.mu.Unlock()
	for _, s := range ss {
		s.terminate(errorf(ErrUnavailable, "%s", why))
	}
}
