package arbitration

import (
	"cmp"
	"fmt"
	"sync"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// Policy is the arbitration behaviour a server follows.
type Policy uint8

const (
	// Spec follows the P4Runtime specification (section 5 "Client
	// Arbitration and Controller Replication"): roles, election_id_past (a
	// client must reach the highest election id ever seen to become
	// primary), no primary after the primary leaves.
	Spec Policy = iota
	// PI answers as PI, bmv2's P4Runtime server, does (DESIGN.md, "What real
	// bmv2 does"): roles are ignored, an unset election id reads as 0, the
	// highest live election id is the primary and the next one is promoted
	// when it leaves; everyone is told when the primary changes.
	PI
)

// Arbiter decides which controller stream is the primary of each role of
// one device and what each stream is told. S identifies a stream (the
// caller's session handle). Arbiter does no I/O: it calls Notify, under
// its lock and in order, with the advisories to send; Notify must not block
// or call back into the Arbiter. It is safe for concurrent use.
type Arbiter[S comparable] struct {
	deviceID   uint64
	policy     Policy
	maxStreams int
	notify     func(to S, u *p4v1.MasterArbitrationUpdate)

	mu      sync.Mutex
	roles   map[string]*role[S]
	streams map[S]*stream
	// Policy PI: PI's server keeps connections per device id, for any id
	// a stream names, whether or not the device exists; others are those
	// of other ids, and otherOf the id a stream is bound to there.
	others  map[uint64]*Arbiter[S]
	otherOf map[S]uint64
}

// stream is the arbitration state of one armed stream.
type stream struct {
	role   string
	eid    electionID
	hasEID bool
}

// role is the arbitration state of one (device, role).
type role[S comparable] struct {
	name    string
	members []S // armed streams, in arrival order
	primary S
	has     bool // primary is set
	// highest is election_id_past: the highest election id ever seen for
	// the role (policy Spec).
	highest    electionID
	hasHighest bool
	config     *anypb.Any
}

// New makes the arbiter of device deviceID. maxStreams bounds the streams of
// one role (0: no bound); notify (not nil) receives the advisories to send.
func New[S comparable](deviceID uint64, policy Policy, maxStreams int, notify func(to S, u *p4v1.MasterArbitrationUpdate)) *Arbiter[S] {
	return &Arbiter[S]{deviceID: deviceID, policy: policy, maxStreams: maxStreams, notify: notify,
		roles: map[string]*role[S]{"": {}}, streams: map[S]*stream{}, others: map[uint64]*Arbiter[S]{}, otherOf: map[S]uint64{}}
}

// other handles, under policy PI, an arbitration that names another
// device than a's, or comes on a stream bound to one (a.mu is held): PI
// arbitrates it among that device id's connections, as if the device
// existed (pi_server.cpp, Devices::get). It reports whether it did.
func (a *Arbiter[S]) other(s S, u *p4v1.MasterArbitrationUpdate) (bool, error) {
	if a.policy != PI {
		return false, nil
	}
	dev, bound := a.otherOf[s]
	switch {
	case bound && u.GetDeviceId() != dev:
		return true, errorf(codes.FailedPrecondition, "device id %d does not match the stream's device %d", u.GetDeviceId(), dev)
	case bound:
	case a.streams[s] != nil || u.GetDeviceId() == a.deviceID:
		return false, nil
	default:
		dev = u.GetDeviceId()
	}
	o := a.others[dev]
	if o == nil {
		o = New(dev, a.policy, a.maxStreams, a.notify)
		o.others = nil // one level: o's streams name dev
		a.others[dev] = o
	}
	if err := o.Arbitrate(s, u); err != nil {
		if !bound {
			return true, err
		}
		o.Leave(s)
		delete(a.otherOf, s)
		return true, err
	}
	a.otherOf[s] = dev
	return true, nil
}

func (a *Arbiter[S]) role(name string) *role[S] {
	r := a.roles[name]
	if r == nil {
		r = &role[S]{name: name}
		a.roles[name] = r
	}
	return r
}

// Arbitrate handles a MasterArbitrationUpdate from stream s (spec section
// 5.3 "Rules for Handling MasterArbitrationUpdate Messages"). An error
// (an *Error) must end the stream with its code.
func (a *Arbiter[S]) Arbitrate(s S, u *p4v1.MasterArbitrationUpdate) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	eid, has := toElection(u.GetElectionId())
	if a.policy == PI {
		has = true // PI reads an unset election id as 0
	}
	roleName := ""
	if a.policy == Spec {
		roleName = u.GetRole().GetName()
	}
	if a.others != nil {
		if done, err := a.other(s, u); done {
			return err
		}
	}
	st := a.streams[s]
	if st == nil {
		if u.GetDeviceId() != a.deviceID {
			return errorf(codes.NotFound, "device %d is not known (this is device %d)", u.GetDeviceId(), a.deviceID)
		}
		r := a.role(roleName)
		if a.maxStreams > 0 && len(r.members) >= a.maxStreams {
			return errorf(codes.ResourceExhausted, "too many connections for the role")
		}
		if has && a.find(r, eid, s) {
			return errorf(codes.InvalidArgument, "election id %v is already used by another controller", eid)
		}
		a.streams[s] = &stream{role: roleName, eid: eid, hasEID: has}
		r.members = append(r.members, s)
		a.decide(r, s, u.GetRole().GetConfig(), true)
		return nil
	}
	if u.GetDeviceId() != a.deviceID {
		return errorf(codes.FailedPrecondition, "device id %d does not match the stream's device %d", u.GetDeviceId(), a.deviceID)
	}
	if roleName != st.role {
		return errorf(codes.FailedPrecondition, "role %q does not match the stream's role %q (open a new stream to change role)", roleName, st.role)
	}
	r := a.roles[st.role]
	if has && a.find(r, eid, s) {
		return errorf(codes.InvalidArgument, "election id %v is already used by another controller", eid)
	}
	if a.policy == PI && has == st.hasEID && eid == st.eid {
		return nil // PI: same election id, no notification
	}
	st.eid, st.hasEID = eid, has
	a.decide(r, s, u.GetRole().GetConfig(), false)
	return nil
}

// find reports whether another stream of r has election id e.
func (a *Arbiter[S]) find(r *role[S], e electionID, except S) bool {
	for _, o := range r.members {
		if st := a.streams[o]; o != except && st.hasEID && st.eid == e {
			return true
		}
	}
	return false
}

// highestLive returns the stream of r with the highest election id.
func (a *Arbiter[S]) highestLive(r *role[S]) (best S, ok bool) {
	var bestID electionID
	for _, o := range r.members {
		st := a.streams[o]
		if !st.hasEID {
			continue
		}
		if !ok || st.eid.cmp(bestID) > 0 {
			best, bestID, ok = o, st.eid, true
		}
	}
	return best, ok
}

func (r *role[S]) isPrimary(s S) bool { return r.has && r.primary == s }

func (r *role[S]) setPrimary(s S, ok bool) {
	var zero S
	if !ok {
		s = zero
	}
	r.primary, r.has = s, ok
}

// decide re-evaluates the primary after s arbitrated and sends the
// advisories the policy prescribes.
func (a *Arbiter[S]) decide(r *role[S], s S, cfg *anypb.Any, first bool) {
	if a.policy == PI {
		// The highest live election id is the primary; everyone is told
		// when the primary changes, otherwise only the sender.
		prev, hadPrev := r.primary, r.has
		r.setPrimary(a.highestLive(r))
		if r.has != hadPrev || r.primary != prev || (first && r.isPrimary(s)) {
			a.notifyAll(r)
		} else {
			a.notifyOne(r, s)
		}
		return
	}
	st := a.streams[s]
	wasPrimary := r.isPrimary(s)
	if st.hasEID && (!r.hasHighest || st.eid.cmp(r.highest) >= 0) {
		r.setPrimary(s, true)
		r.highest, r.hasHighest = st.eid, true
		r.config = cfg
		a.notifyAll(r)
		return
	}
	if wasPrimary {
		r.setPrimary(s, false)
		a.notifyAll(r)
		return
	}
	a.notifyOne(r, s)
}

// Leave removes a stream that ended. Losing the primary tells the others
// (PI promotes the next highest election id; the spec leaves the role
// without a primary). Unknown streams are ignored.
func (a *Arbiter[S]) Leave(s S) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if dev, ok := a.otherOf[s]; ok {
		delete(a.otherOf, s)
		a.others[dev].Leave(s)
		return
	}
	st := a.streams[s]
	if st == nil {
		return
	}
	delete(a.streams, s)
	r := a.roles[st.role]
	for i, o := range r.members {
		if o == s {
			r.members = append(r.members[:i], r.members[i+1:]...)
			break
		}
	}
	if !r.isPrimary(s) {
		return
	}
	if a.policy == PI {
		r.setPrimary(a.highestLive(r))
	} else {
		r.setPrimary(s, false)
	}
	a.notifyAll(r)
}

func (a *Arbiter[S]) notifyAll(r *role[S]) {
	for _, o := range r.members {
		a.notifyOne(r, o)
	}
}

// notifyOne sends s the arbitration advisory of its role (spec section 5.4
// "Client Arbitration Notifications"; PI's notify_one).
func (a *Arbiter[S]) notifyOne(r *role[S], s S) {
	m := &p4v1.MasterArbitrationUpdate{DeviceId: a.deviceID}
	st := &status.Status{}
	if a.policy == PI {
		if r.has {
			m.ElectionId = a.streams[r.primary].eid.proto()
		}
		if r.isPrimary(s) {
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
		case r.isPrimary(s):
			st.Code, st.Message = int32(code.Code_OK), "Is primary"
		case r.has:
			st.Code, st.Message = int32(code.Code_ALREADY_EXISTS), "Is backup"
		default:
			st.Code, st.Message = int32(code.Code_NOT_FOUND), "No primary"
		}
	}
	m.Status = st
	a.notify(s, m)
}

// Armed reports whether s has arbitrated (and not left).
func (a *Arbiter[S]) Armed(s S) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.streams[s] != nil
}

// IsPrimary reports whether s is the primary of its role.
func (a *Arbiter[S]) IsPrimary(s S) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.streams[s]
	return st != nil && a.roles[st.role].isPrimary(s)
}

// Primary returns the primary stream of a role.
func (a *Arbiter[S]) Primary(roleName string) (S, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var zero S
	r := a.roles[roleName]
	if r == nil || !r.has {
		return zero, false
	}
	return r.primary, true
}

// CheckWriter applies the checks a Write or SetForwardingPipelineConfig
// makes before anything else (spec section 12 "Write RPC": device, role,
// then primary). PI accepts requests without an election id while no
// controller has arbitrated.
func (a *Arbiter[S]) CheckWriter(deviceID uint64, roleName string, e *p4v1.Uint128) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	eid, has := toElection(e)
	if a.policy == PI {
		if deviceID != a.deviceID {
			if o := a.others[deviceID]; o != nil {
				o.mu.Lock()
				r := o.roles[""]
				primary := r.has && o.streams[r.primary].eid == eid
				armed := len(r.members) > 0
				o.mu.Unlock()
				if armed && !primary {
					return errorf(codes.PermissionDenied, "not primary (election id %v on device %d)", eid, deviceID)
				}
				if armed {
					return errorf(codes.FailedPrecondition, "no forwarding pipeline config set for device %d", deviceID)
				}
			}
			if has {
				return errorf(codes.PermissionDenied, "not primary (device %d is not known)", deviceID)
			}
			return errorf(codes.FailedPrecondition, "no forwarding pipeline config set for device %d", deviceID)
		}
		r := a.roles[""]
		if len(r.members) == 0 {
			if has {
				return errorf(codes.PermissionDenied, "not primary (no controller has arbitrated)")
			}
			return nil
		}
		if !r.has || a.streams[r.primary].eid != eid {
			return errorf(codes.PermissionDenied, "not primary (election id %v)", eid)
		}
		return nil
	}
	if deviceID != a.deviceID {
		return errorf(codes.NotFound, "device %d is not known (this is device %d)", deviceID, a.deviceID)
	}
	r := a.roles[roleName]
	if r == nil {
		return errorf(codes.NotFound, "role %q is not known", roleName)
	}
	if !has {
		return errorf(codes.PermissionDenied, "not the primary of role %q (no election id)", roleName)
	}
	if !r.has || a.streams[r.primary].eid != eid {
		return errorf(codes.PermissionDenied, "not the primary of role %q (election id %v)", roleName, eid)
	}
	return nil
}

// electionID is a P4Runtime Uint128.
type electionID struct{ hi, lo uint64 }

func (e electionID) cmp(o electionID) int {
	if c := cmp.Compare(e.hi, o.hi); c != 0 {
		return c
	}
	return cmp.Compare(e.lo, o.lo)
}

func (e electionID) proto() *p4v1.Uint128 { return &p4v1.Uint128{High: e.hi, Low: e.lo} }

func (e electionID) String() string {
	if e.hi == 0 {
		return fmt.Sprint(e.lo)
	}
	return fmt.Sprintf("%d:%d", e.hi, e.lo)
}

func toElection(u *p4v1.Uint128) (electionID, bool) {
	if u == nil {
		return electionID{}, false
	}
	return electionID{u.GetHigh(), u.GetLow()}, true
}
