package p4rt

import (
	"cmp"
	"fmt"
	"sync"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// electionID is a P4Runtime Uint128.
type electionID struct{ hi, lo uint64 }

func (a electionID) cmp(b electionID) int {
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	return cmp.Compare(a.lo, b.lo)
}

func (a electionID) proto() *p4v1.Uint128 { return &p4v1.Uint128{High: a.hi, Low: a.lo} }

func (a electionID) String() string {
	if a.hi == 0 {
		return fmt.Sprint(a.lo)
	}
	return fmt.Sprintf("%d:%d", a.hi, a.lo)
}

func toElection(u *p4v1.Uint128) (electionID, bool) {
	if u == nil {
		return electionID{}, false
	}
	return electionID{u.GetHigh(), u.GetLow()}, true
}

// arbiter implements client arbitration (P4Runtime spec section "Client
// Arbitration and Controller Replication"). Lock order: Device.mu before
// arbiter.mu; nothing calls into a Program while holding arbiter.mu.
type arbiter struct {
	d     *Device
	mu    sync.Mutex
	roles map[string]*roleArb
	all   map[*Session]bool
}

// roleArb is the arbitration state of one (device, role).
type roleArb struct {
	name     string
	sessions []*Session // live, arbitrated
	primary  *Session
	// highest is election_id_past: the highest election id ever seen for
	// the role (profile spec).
	highest    electionID
	hasHighest bool
	config     *anypb.Any
}

func newArbiter(d *Device) *arbiter {
	return &arbiter{d: d, roles: map[string]*roleArb{"": {name: ""}}, all: map[*Session]bool{}}
}

func (a *arbiter) role(name string) *roleArb {
	r := a.roles[name]
	if r == nil {
		r = &roleArb{name: name}
		a.roles[name] = r
	}
	return r
}

// arbitrate handles a MasterArbitrationUpdate from session s. A returned
// error ends the stream with that error.
func (a *arbiter) arbitrate(s *Session, u *p4v1.MasterArbitrationUpdate) error {
	d := a.d
	d.mu.Lock() // writes in flight finish before the primary changes
	defer d.mu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	eid, has := toElection(u.GetElectionId())
	if d.profile != ProfileSpec {
		// PI ignores roles and reads an unset election id as 0.
		has = true
	}
	roleName := ""
	if d.profile == ProfileSpec {
		roleName = u.GetRole().GetName()
	}
	if !s.armed {
		if u.GetDeviceId() != d.id {
			return errorf(ErrNotFound, "device %d is not known (this is device %d)", u.GetDeviceId(), d.id)
		}
		r := a.role(roleName)
		if len(r.sessions) >= d.opts.MaxStreams {
			return errorf(ErrExhausted, "too many connections for the role")
		}
		if has && r.find(eid, s) != nil {
			return errorf(ErrInvalid, "election id %v is already used by another controller", eid)
		}
		s.armed, s.role, s.eid, s.hasEID = true, roleName, eid, has
		r.sessions = append(r.sessions, s)
		d.log.Debug("p4runtime stream arbitrated", "role", roleName, "election_id", eid.String())
		a.decide(r, s, u.GetRole().GetConfig(), true)
		return nil
	}
	if u.GetDeviceId() != d.id {
		return errorf(ErrFailedPrecondition, "device id %d does not match the stream's device %d", u.GetDeviceId(), d.id)
	}
	if roleName != s.role {
		return errorf(ErrFailedPrecondition, "role %q does not match the stream's role %q (open a new stream to change role)", roleName, s.role)
	}
	r := a.roles[s.role]
	if has && r.find(eid, s) != nil {
		return errorf(ErrInvalid, "election id %v is already used by another controller", eid)
	}
	if d.profile != ProfileSpec && has == s.hasEID && eid == s.eid {
		return nil // PI: same election id, no notification
	}
	s.eid, s.hasEID = eid, has
	a.decide(r, s, u.GetRole().GetConfig(), false)
	return nil
}

// find returns another live session of the role with election id e.
func (r *roleArb) find(e electionID, except *Session) *Session {
	for _, o := range r.sessions {
		if o != except && o.hasEID && o.eid == e {
			return o
		}
	}
	return nil
}

// highestLive returns the live session with the highest election id.
func (r *roleArb) highestLive() *Session {
	var best *Session
	for _, o := range r.sessions {
		if !o.hasEID {
			continue
		}
		if best == nil || o.eid.cmp(best.eid) > 0 {
			best = o
		}
	}
	return best
}

// decide re-evaluates the primary after s arbitrated and sends the
// notifications the profile prescribes.
func (a *arbiter) decide(r *roleArb, s *Session, cfg *anypb.Any, first bool) {
	if a.d.profile != ProfileSpec {
		// PI: the highest live election id is the primary; everyone is
		// told when the primary changes, otherwise only the sender.
		prev := r.primary
		r.primary = r.highestLive()
		if r.primary != prev || (first && r.primary == s) {
			a.notifyAll(r)
		} else {
			a.notify(r, s)
		}
		return
	}
	wasPrimary := r.primary == s
	if s.hasEID && (!r.hasHighest || s.eid.cmp(r.highest) >= 0) {
		r.primary = s
		r.highest, r.hasHighest = s.eid, true
		r.config = cfg
		a.notifyAll(r)
		return
	}
	if wasPrimary {
		r.primary = nil
		a.notifyAll(r)
		return
	}
	a.notify(r, s)
}

// leave removes a closed session; losing the primary notifies the others
// (PI promotes the next highest election id, the spec leaves the role
// without a primary).
func (a *arbiter) leave(s *Session) {
	d := a.d
	d.mu.Lock()
	defer d.mu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.all, s)
	if !s.armed {
		return
	}
	r := a.roles[s.role]
	for i, o := range r.sessions {
		if o == s {
			r.sessions = append(r.sessions[:i], r.sessions[i+1:]...)
			break
		}
	}
	if r.primary != s {
		return
	}
	if d.profile != ProfileSpec {
		r.primary = r.highestLive()
	} else {
		r.primary = nil
	}
	d.log.Debug("p4runtime primary left", "role", s.role, "election_id", s.eid.String())
	a.notifyAll(r)
}

func (a *arbiter) notifyAll(r *roleArb) {
	for _, o := range r.sessions {
		a.notify(r, o)
	}
}

// notify sends s the arbitration advisory of its role (spec section
// "Client Arbitration Notifications"; PI's notify_one).
func (a *arbiter) notify(r *roleArb, s *Session) {
	m := &p4v1.MasterArbitrationUpdate{DeviceId: a.d.id}
	st := &status.Status{}
	if a.d.profile != ProfileSpec {
		if r.primary != nil {
			m.ElectionId = r.primary.eid.proto()
		}
		if r.primary == s {
			st.Code, st.Message = int32(code.Code_OK), "Is primary"
		} else {
			st.Code, st.Message = int32(code.Code_ALREADY_EXISTS), "Is backup"
		}
	} else {
		if r.name != "" || r.config != nil {
			m.Role = &p4v1.Role{Name: r.name}
			if r.config != nil {
				m.Role.Config = proto.Clone(r.config).(*anypb.Any)
			}
		}
		if r.hasHighest {
			m.ElectionId = r.highest.proto()
		}
		switch {
		case r.primary == s:
			st.Code, st.Message = int32(code.Code_OK), "Is primary"
		case r.primary != nil:
			st.Code, st.Message = int32(code.Code_ALREADY_EXISTS), "Is backup"
		default:
			st.Code, st.Message = int32(code.Code_NOT_FOUND), "No primary"
		}
	}
	m.Status = st
	s.out.push(&p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Arbitration{Arbitration: m}}, false)
}

// isPrimary reports whether s is the primary of its role.
func (a *arbiter) isPrimary(s *Session) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.roles[s.role]
	return s.armed && r != nil && r.primary == s
}

// sendToPrimary queues a message for the primary of the default role;
// without a primary it is dropped.
func (a *arbiter) sendToPrimary(m *p4v1.StreamMessageResponse, droppable bool) bool {
	a.mu.Lock()
	p := a.roles[""].primary
	a.mu.Unlock()
	if p == nil {
		return false
	}
	return p.out.push(m, droppable)
}

// checkWriter applies the checks a Write or SetForwardingPipelineConfig
// makes before anything else (spec section "Write RPC": device, role, then
// primary; PI: without any stream, requests without an election id are
// accepted). Device.mu is held.
func (d *Device) checkWriter(deviceID uint64, role string, e *p4v1.Uint128) error {
	a := d.arb
	a.mu.Lock()
	defer a.mu.Unlock()
	eid, has := toElection(e)
	if d.profile != ProfileSpec {
		if deviceID != d.id {
			if has {
				return errorf(ErrPermission, "not primary (device %d is not known)", deviceID)
			}
			return errorf(ErrFailedPrecondition, "no forwarding pipeline config set for device %d", deviceID)
		}
		r := a.roles[""]
		if len(r.sessions) == 0 {
			if has {
				return errorf(ErrPermission, "not primary (no controller has arbitrated)")
			}
			return nil
		}
		if r.primary == nil || r.primary.eid != eid {
			return errorf(ErrPermission, "not primary (election id %v)", eid)
		}
		return nil
	}
	if deviceID != d.id {
		return errorf(ErrNotFound, "device %d is not known (this is device %d)", deviceID, d.id)
	}
	r := a.roles[role]
	if r == nil {
		return errorf(ErrNotFound, "role %q is not known", role)
	}
	if !has || r.primary == nil || r.primary.eid != eid {
		return errorf(ErrPermission, "not the primary of role %q (election id %v)", role, eid)
	}
	return nil
}

// closeAll ends every session (device shutdown).
func (a *arbiter) closeAll() {
	a.mu.Lock()
	ss := make([]*Session, 0, len(a.all))
	for s := range a.all {
		ss = append(ss, s)
	}
	a.mu.Unlock()
	for _, s := range ss {
		s.terminate(errorf(ErrUnavailable, "device shutting down"))
	}
}
