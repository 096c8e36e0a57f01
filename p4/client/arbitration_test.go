package client

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Spec "Client Arbitration and Controller Replication": the highest election
// id is primary (advisory status OK), a lower one a backup (ALREADY_EXISTS,
// not an error); when the primary leaves, bmv2 promotes the next and tells
// it; a higher newcomer takes over and the old primary is told.
func TestArbitrationPrimaryBackupPromotion(t *testing.T) {
	f := newFakeServer()
	addr := f.start(t)

	a, sa := primary(t, addr, 10)
	if !a.IsPrimary() {
		t.Fatal("Client.IsPrimary is false for the primary")
	}
	m := sa.Current()
	if m.Code != codes.OK || m.ElectionID == nil || m.ElectionID.Low != 10 {
		t.Errorf("primary's advisory = %+v, want OK with election id 10", m)
	}

	b := dial(t, addr, 5, nil)
	sb := arbitrate(t, b)
	if sb.IsPrimary() || b.IsPrimary() {
		t.Fatal("client with the lower election id is primary")
	}
	if m := sb.Current(); m.Code != codes.AlreadyExists || m.ElectionID.Low != 10 {
		t.Errorf("backup's advisory = %+v, want ALREADY_EXISTS with the primary's election id 10", m)
	}

	// The primary leaves: the backup is promoted and told.
	sa.Close()
	if sa.IsPrimary() || a.IsPrimary() {
		t.Error("closed session still primary")
	}
	if !errors.Is(sa.Err(), ErrSessionClosed) {
		t.Errorf("closed session Err = %v, want ErrSessionClosed", sa.Err())
	}
	nextMastership(t, sb, func(m Mastership) bool { return m.Primary })
	if !b.IsPrimary() {
		t.Fatal("promoted backup: Client.IsPrimary false")
	}
	// The promoted client's writes are accepted.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.Write(ctx, inserts(fakeTableID, 0, 1)); err != nil {
		t.Fatalf("write from the promoted primary: %v", err)
	}

	// A higher newcomer takes over; the old primary is demoted and told.
	c := dial(t, addr, 20, nil)
	sc := arbitrate(t, c)
	if !sc.IsPrimary() {
		t.Fatal("newcomer with the highest election id is not primary")
	}
	got := nextMastership(t, sb, func(m Mastership) bool { return !m.Primary })
	if got.Code != codes.AlreadyExists || got.ElectionID.Low != 20 {
		t.Errorf("demotion advisory = %+v, want ALREADY_EXISTS with election id 20", got)
	}
	// The demoted client's writes are refused as a whole.
	err := b.Write(ctx, inserts(fakeTableID, 1, 1))
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("write from the demoted client: code %v (%v), want PERMISSION_DENIED", status.Code(err), err)
	}
}

// Spec "Rules for Handling MasterArbitrationUpdate Messages": an election id
// already used by a live controller ends the stream with INVALID_ARGUMENT; an
// unknown device id with NOT_FOUND.
func TestArbitrationRefused(t *testing.T) {
	f := newFakeServer()
	addr := f.start(t)
	_, sa := primary(t, addr, 10)

	tests := []struct {
		name   string
		device uint64
		low    uint64
		want   codes.Code
	}{
		{"duplicate election id", fakeDevice, 10, codes.InvalidArgument},
		{"unknown device id", 99, 11, codes.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, addr, tt.low, func(o *DialOptions) { o.DeviceID = tt.device })
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			s, err := c.Arbitrate(ctx)
			if err == nil {
				t.Fatalf("Arbitrate succeeded (primary %v), want %v", s.IsPrimary(), tt.want)
			}
			if status.Code(err) != tt.want {
				t.Errorf("code %v, want %v (err %v)", status.Code(err), tt.want, err)
			}
			if !strings.Contains(err.Error(), addr) {
				t.Errorf("error %q does not name the address %s", err, addr)
			}
			if c.IsPrimary() {
				t.Error("refused client reports primary")
			}
			// The refusal leaves the client free to try again.
			c2 := dial(t, addr, 2, nil)
			s2 := arbitrate(t, c2)
			s2.Close()
		})
	}
	if !sa.IsPrimary() {
		t.Error("the original primary lost mastership to refused clients")
	}
}

// Spec "Unset Election ID": a client without election id is lower than any
// and never primary; with no primary at all its advisory is NOT_FOUND.
func TestArbitrationUnsetElectionID(t *testing.T) {
	f := newFakeServer()
	addr := f.start(t)
	c := dial(t, addr, 0, func(o *DialOptions) { o.ElectionID = nil })
	s := arbitrate(t, c)
	if s.IsPrimary() {
		t.Fatal("client without election id is primary")
	}
	if m := s.Current(); m.Code != codes.NotFound || m.ElectionID != nil {
		t.Errorf("advisory = %+v, want NOT_FOUND without election id", m)
	}
	// Its writes carry no election id and are refused.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, inserts(fakeTableID, 0, 1)); status.Code(err) != codes.PermissionDenied {
		t.Errorf("write without election id: %v, want PERMISSION_DENIED", err)
	}
	recs := f.writeRecords()
	if len(recs) != 1 || recs[0].req.GetElectionId() != nil {
		t.Errorf("server saw %d writes, first election id %v; want 1 write without election id", len(recs), recs[0].req.GetElectionId())
	}
}

// A backup raising its election id on the live stream (spec: "the server
// updates the election_id it has stored for this controller") becomes
// primary, and its later writes carry the new id.
func TestSetElectionIDTakesOver(t *testing.T) {
	f := newFakeServer()
	addr := f.start(t)
	_, sa := primary(t, addr, 10)
	b := dial(t, addr, 5, nil)
	sb := arbitrate(t, b)
	if sb.IsPrimary() {
		t.Fatal("backup is primary")
	}
	if err := sb.SetElectionID(&ElectionID{High: 1, Low: 0}); err != nil {
		t.Fatalf("SetElectionID: %v", err)
	}
	got := nextMastership(t, sb, func(m Mastership) bool { return m.Primary })
	if got.ElectionID == nil || *got.ElectionID != (ElectionID{High: 1}) {
		t.Errorf("advisory election id %v, want 1:0", got.ElectionID)
	}
	nextMastership(t, sa, func(m Mastership) bool { return !m.Primary })
	if id := b.ElectionID(); id == nil || *id != (ElectionID{High: 1}) {
		t.Errorf("client election id %v, want 1:0", id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.Write(ctx, inserts(fakeTableID, 0, 1)); err != nil {
		t.Fatalf("write after taking over: %v", err)
	}
}

// Role name and role config travel in the arbitration request (P4Runtime
// 1.4 Role.name) and the role is carried on writes.
func TestArbitrationRole(t *testing.T) {
	f := newFakeServer()
	addr := f.start(t)
	cfg, err := anypb.New(wrapperspb.String("partition-a"))
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, addr, 3, func(o *DialOptions) { o.Role = "sdn-a"; o.RoleConfig = cfg })
	s := arbitrate(t, c)
	if !s.IsPrimary() {
		t.Fatalf("sole client of role sdn-a is not primary: %+v", s.Current())
	}
	f.mu.Lock()
	role := f.controllers[0].role
	f.mu.Unlock()
	if role != "sdn-a" {
		t.Errorf("server saw role %q, want sdn-a", role)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, inserts(fakeTableID, 0, 1)); err != nil {
		t.Fatalf("write in role sdn-a: %v", err)
	}
	if got := f.writeRecords()[0].req.GetRole(); got != "sdn-a" {
		t.Errorf("write carried role %q, want sdn-a", got)
	}
}

// Arbitrate's ctx bounds the wait for the server's answer; the stream is
// torn down when it expires.
func TestArbitrationContextTimeout(t *testing.T) {
	f := newFakeServer()
	f.silentArbitration = true
	addr := f.start(t)
	c := dial(t, addr, 1, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Arbitrate(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Arbitrate against a silent server: %v, want DeadlineExceeded", err)
	}
	// The client is free to arbitrate again (once the server has noticed
	// that the abandoned stream is gone, its election id is free).
	waitFor(t, "the server to drop the abandoned stream", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.controllers) == 0
	})
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	if _, err := c.Arbitrate(ctx2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Arbitrate: %v, want DeadlineExceeded again", err)
	}
}

// One live session per client.
func TestArbitrationOneSessionPerClient(t *testing.T) {
	f := newFakeServer()
	addr := f.start(t)
	c, s := primary(t, addr, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Arbitrate(ctx); err == nil || !strings.Contains(err.Error(), "already live") {
		t.Fatalf("second Arbitrate on a live session: %v, want an 'already live' error", err)
	}
	s.Close()
	s2 := arbitrate(t, c)
	if !s2.IsPrimary() {
		t.Error("re-arbitrated client is not primary")
	}
}

// The server ending the stream ends the session: Done closes, Err carries
// the status, the last mastership value says Ended, channels close.
func TestSessionEndedByServer(t *testing.T) {
	f := newFakeServer()
	addr := f.start(t)
	c, s := primary(t, addr, 1)
	f.kickAll(status.Error(codes.Unavailable, "switch going down"))
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("session not done after the server ended the stream")
	}
	if status.Code(s.Err()) != codes.Unavailable {
		t.Errorf("Err = %v, want UNAVAILABLE", s.Err())
	}
	if s.IsPrimary() || c.IsPrimary() {
		t.Error("ended session still primary")
	}
	last := nextMastership(t, s, func(m Mastership) bool { return m.Ended })
	if last.Primary || status.Code(last.Err) != codes.Unavailable {
		t.Errorf("final mastership %+v, want not primary with UNAVAILABLE", last)
	}
	if _, ok := <-s.PacketIns(); ok {
		t.Error("packet-in channel open after the session ended")
	}
	if err := s.SendPacketOut(&p4v1.PacketOut{Payload: []byte("x")}); err == nil {
		t.Error("SendPacketOut on an ended session succeeded")
	}
	// A new session may be opened.
	s2 := arbitrate(t, c)
	if !s2.IsPrimary() {
		t.Error("new session after the server ended the old one is not primary")
	}
}
