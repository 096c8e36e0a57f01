package p4rt_test

import (
	"errors"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/fixtures"
)

func eid(n uint64) *p4v1.Uint128 { return &p4v1.Uint128{Low: n} }

func arbUpdate(dev uint64, e *p4v1.Uint128, role string) *p4v1.StreamMessageRequest {
	u := &p4v1.MasterArbitrationUpdate{DeviceId: dev, ElectionId: e}
	if role != "" {
		u.Role = &p4v1.Role{Name: role}
	}
	return &p4v1.StreamMessageRequest{Update: &p4v1.StreamMessageRequest_Arbitration{Arbitration: u}}
}

// wantAdvisory checks one arbitration advisory (spec section 5.4 "Client
// Arbitration Notifications"; PI's notify_one).
func wantAdvisory(t *testing.T, what string, a *p4v1.MasterArbitrationUpdate, code codes.Code, election uint64) {
	t.Helper()
	if codes.Code(a.GetStatus().GetCode()) != code || a.GetElectionId().GetLow() != election || a.GetDeviceId() != devID {
		t.Errorf("%s: advisory %v, want status %v and election id %d", what, a, code, election)
	}
}

// TestArbitrationBMv2 follows PI's pi_server.cpp: the highest live
// election id is the primary ("Is primary"), the others are backups
// ("Is backup", ALREADY_EXISTS); a duplicate id ends the stream with
// INVALID_ARGUMENT; when the primary leaves the next one is promoted and
// everyone is told; only the primary may write or set the pipeline.
func TestArbitrationBMv2(t *testing.T) {
	h := newHarness(t, p4rt.ProfileBMv2)
	h.load(fixtures.Get(t, "onos-basic"))
	c1 := h.openStream()
	c1.send(arbUpdate(devID, eid(1), ""))
	wantAdvisory(t, "c1 alone", c1.nextArbitration(), codes.OK, 1)

	c2 := h.openStream()
	c2.send(arbUpdate(devID, eid(2), ""))
	wantAdvisory(t, "c2 takes over: to c2", c2.nextArbitration(), codes.OK, 2)
	wantAdvisory(t, "c2 takes over: to c1", c1.nextArbitration(), codes.AlreadyExists, 2)

	c3 := h.openStream()
	c3.send(arbUpdate(devID, eid(0), ""))
	wantAdvisory(t, "c3 joins as backup", c3.nextArbitration(), codes.AlreadyExists, 2)
	c1.quiet(50 * time.Millisecond)
	c2.quiet(10 * time.Millisecond)

	dup := h.openStream()
	dup.send(arbUpdate(devID, eid(2), ""))
	if c := dup.ended(); c != codes.InvalidArgument {
		t.Errorf("duplicate election id: stream ended with %v, want INVALID_ARGUMENT", c)
	}

	for _, tc := range []struct {
		what string
		dev  uint64
		eid  *p4v1.Uint128
		want codes.Code
	}{
		{"backup", devID, eid(1), codes.PermissionDenied},
		{"unknown election id", devID, eid(9), codes.PermissionDenied},
		{"no election id", devID, nil, codes.PermissionDenied},
		{"wrong device id", 9, eid(2), codes.PermissionDenied},
		{"primary", devID, eid(2), codes.OK},
	} {
		_, err := h.cl.Write(ctx(t), &p4v1.WriteRequest{DeviceId: tc.dev, ElectionId: tc.eid})
		if status.Code(err) != tc.want {
			t.Errorf("Write from %s: %v, want %v", tc.what, err, tc.want)
		}
		// In process, the refusal is the Device's kind of that code.
		err = h.dev.Write(ctx(t), &p4v1.WriteRequest{DeviceId: tc.dev, ElectionId: tc.eid})
		if (tc.want == codes.PermissionDenied) != errors.Is(err, p4rt.ErrPermission) {
			t.Errorf("in-process Write from %s: %v, want errors.Is ErrPermission %v", tc.what, err, tc.want == codes.PermissionDenied)
		}
	}
	if c := h.setPipeline(eid(1), p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, config(t, fixtures.Get(t, "onos-basic"))); c != codes.PermissionDenied {
		t.Errorf("SetForwardingPipelineConfig from a backup: %v, want PERMISSION_DENIED", c)
	}

	// The primary leaves: c1 (election id 1) is promoted.
	c2.s.CloseSend()
	if c := c2.ended(); c != codes.OK {
		t.Errorf("c2 closing: %v", c)
	}
	wantAdvisory(t, "after c2 left: to c1", c1.nextArbitration(), codes.OK, 1)
	wantAdvisory(t, "after c2 left: to c3", c3.nextArbitration(), codes.AlreadyExists, 1)
	if _, err := h.cl.Write(ctx(t), &p4v1.WriteRequest{DeviceId: devID, ElectionId: eid(1)}); err != nil {
		t.Errorf("Write from the promoted primary: %v", err)
	}

	// A backup raising its election id takes over.
	c3.send(arbUpdate(devID, eid(5), ""))
	wantAdvisory(t, "c3 raises: to c3", c3.nextArbitration(), codes.OK, 5)
	wantAdvisory(t, "c3 raises: to c1", c1.nextArbitration(), codes.AlreadyExists, 5)

	// Another device id on an arbitrated stream: FAILED_PRECONDITION.
	c1.send(arbUpdate(7, eid(1), ""))
	if c := c1.ended(); c != codes.FailedPrecondition {
		t.Errorf("device id change: %v, want FAILED_PRECONDITION", c)
	}
}

// TestArbitrationSpec follows spec section 5 to the letter: the primary
// is whoever reaches election_id_past; when it leaves, nobody is primary
// (backups are told NOT_FOUND) until a controller sends an id at least as
// high; an unset election id never becomes primary; roles arbitrate
// separately.
func TestArbitrationSpec(t *testing.T) {
	h := newHarness(t, p4rt.ProfileSpec)
	c1 := h.openStream()
	c1.send(arbUpdate(devID, eid(1), ""))
	wantAdvisory(t, "c1 alone", c1.nextArbitration(), codes.OK, 1)
	c2 := h.openStream()
	c2.send(arbUpdate(devID, eid(2), ""))
	wantAdvisory(t, "c2: to c2", c2.nextArbitration(), codes.OK, 2)
	wantAdvisory(t, "c2: to c1", c1.nextArbitration(), codes.AlreadyExists, 2)
	standby := h.openStream()
	standby.send(arbUpdate(devID, nil, ""))
	wantAdvisory(t, "unset election id", standby.nextArbitration(), codes.AlreadyExists, 2)

	c2.s.CloseSend()
	c2.ended()
	wantAdvisory(t, "primary left: to c1", c1.nextArbitration(), codes.NotFound, 2)
	wantAdvisory(t, "primary left: to standby", standby.nextArbitration(), codes.NotFound, 2)
	if _, err := h.cl.Write(ctx(t), &p4v1.WriteRequest{DeviceId: devID, ElectionId: eid(1)}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("Write without a primary: %v, want PERMISSION_DENIED", err)
	}
	// Re-sending a lower id than election_id_past keeps c1 a backup.
	c1.send(arbUpdate(devID, eid(1), ""))
	wantAdvisory(t, "c1 below election_id_past", c1.nextArbitration(), codes.NotFound, 2)
	c1.send(arbUpdate(devID, eid(3), ""))
	wantAdvisory(t, "c1 at 3: to c1", c1.nextArbitration(), codes.OK, 3)
	wantAdvisory(t, "c1 at 3: to standby", standby.nextArbitration(), codes.AlreadyExists, 3)

	// Roles: a separate primary; an unknown role is NOT_FOUND.
	r := h.openStream()
	r.send(arbUpdate(devID, eid(1), "acl"))
	if a := r.nextArbitration(); codes.Code(a.GetStatus().GetCode()) != codes.OK || a.GetRole().GetName() != "acl" {
		t.Errorf("role acl: %v, want primary of role acl", a)
	}
	for _, tc := range []struct {
		role string
		eid  *p4v1.Uint128
		want codes.Code
	}{
		{"acl", eid(1), codes.FailedPrecondition}, // allowed, then no pipeline
		{"", eid(3), codes.FailedPrecondition},
		{"", eid(1), codes.PermissionDenied},
		{"nosuch", eid(1), codes.NotFound},
	} {
		_, err := h.cl.Write(ctx(t), &p4v1.WriteRequest{DeviceId: devID, Role: tc.role, ElectionId: tc.eid})
		if status.Code(err) != tc.want {
			t.Errorf("Write role %q election %v: %v, want %v", tc.role, tc.eid, err, tc.want)
		}
	}
	if _, err := h.cl.Write(ctx(t), &p4v1.WriteRequest{DeviceId: 9, ElectionId: eid(3)}); status.Code(err) != codes.NotFound {
		t.Errorf("Write to an unknown device: %v, want NOT_FOUND", err)
	}
	// Changing role on a stream is FAILED_PRECONDITION; an unknown device
	// in the first update NOT_FOUND.
	r.send(arbUpdate(devID, eid(1), "other"))
	if c := r.ended(); c != codes.FailedPrecondition {
		t.Errorf("role change: %v, want FAILED_PRECONDITION", c)
	}
	u := h.openStream()
	u.send(arbUpdate(9, eid(1), ""))
	if c := u.ended(); c != codes.NotFound {
		t.Errorf("unknown device: %v, want NOT_FOUND", c)
	}
	// A duplicate election id within the role ends the stream.
	d := h.openStream()
	d.send(arbUpdate(devID, eid(3), ""))
	if c := d.ended(); c != codes.InvalidArgument {
		t.Errorf("duplicate election id: %v, want INVALID_ARGUMENT", c)
	}
}

// TestStreamLimit: spec section 5.3 allows a limit on streams per (device,
// role), answered RESOURCE_EXHAUSTED; PI's limit is 16.
func TestStreamLimit(t *testing.T) {
	h := newHarness(t, p4rt.ProfileBMv2, func(o *p4rt.Options) { o.MaxStreams = 2 })
	h.arbitrate(eid(1))
	h.arbitrate(eid(2))
	s := h.openStream()
	s.send(arbUpdate(devID, eid(3), ""))
	if c := s.ended(); c != codes.ResourceExhausted {
		t.Errorf("third stream: %v, want RESOURCE_EXHAUSTED", c)
	}
}
