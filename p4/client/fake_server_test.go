package client

import (
	"context"
	"log/slog"
	"net"
	"sort"
	"sync"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// The fake P4Runtime server of these tests answers the way DESIGN.md records
// for real bmv2 (simple_switch_grpc with PI): highest election id is primary,
// ALREADY_EXISTS for backups, INVALID_ARGUMENT ending the stream on a
// duplicate election id, promotion of the next client when the primary
// leaves, UNKNOWN with per-update p4.v1.Error details for partial write
// failure, PERMISSION_DENIED for writes from a non-primary, UNIMPLEMENTED for
// atomic batches (unless atomicOK), a Read answered in one message (unless
// readChunk), FAILED_PRECONDITION before a pipeline is set.

const (
	fakeDevice   = 1
	badTableID   = 666 // a table the fake does not know: per-update INVALID_ARGUMENT
	fakeTableID  = 7
	fakeTableID2 = 8
)

type fakeController struct {
	stream   p4v1.P4Runtime_StreamChannelServer
	role     string
	election *p4v1.Uint128 // nil: unset
	sendMu   sync.Mutex
	kick     chan error // a value ends the stream with that error
}

func (fc *fakeController) send(m *p4v1.StreamMessageResponse) {
	fc.sendMu.Lock()
	defer fc.sendMu.Unlock()
	_ = fc.stream.Send(m)
}

type writeRecord struct {
	req   *p4v1.WriteRequest
	start time.Time
	end   time.Time
}

type fakeServer struct {
	p4v1.UnimplementedP4RuntimeServer

	// Behaviour knobs, set before the first request.
	atomicOK          bool // implement ROLLBACK_ON_ERROR instead of UNIMPLEMENTED
	readChunk         int  // entities per ReadResponse; 0 = all in one message
	silentArbitration bool // never answer arbitration
	// writeHook, when set, runs before each Write is processed; an error
	// is returned as the RPC's status.
	writeHook func(ctx context.Context, req *p4v1.WriteRequest) error
	// readHook, when set, runs after each ReadResponse is sent.
	readHook func(ctx context.Context, sent int) error

	mu          sync.Mutex
	controllers []*fakeController
	store       map[string]*p4v1.Entity
	order       []string // insertion order of store keys
	pipeline    *p4v1.ForwardingPipelineConfig
	writes      []writeRecord
	inflight    int
	maxInflight int
	packetOuts  []*p4v1.PacketOut
	acks        []*p4v1.DigestListAck
}

func newFakeServer() *fakeServer {
	return &fakeServer{store: map[string]*p4v1.Entity{}}
}

// start serves f on 127.0.0.1:0 and returns the address.
func (f *fakeServer) start(t *testing.T, opts ...grpc.ServerOption) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := grpc.NewServer(opts...)
	p4v1.RegisterP4RuntimeServer(srv, f)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return lis.Addr().String()
}

func (f *fakeServer) Capabilities(context.Context, *p4v1.CapabilitiesRequest) (*p4v1.CapabilitiesResponse, error) {
	return &p4v1.CapabilitiesResponse{P4RuntimeApiVersion: "1.3.0"}, nil
}

// --- arbitration ---

func u128less(a, b *p4v1.Uint128) bool {
	if a.GetHigh() != b.GetHigh() {
		return a.GetHigh() < b.GetHigh()
	}
	return a.GetLow() < b.GetLow()
}

// primaryLocked is the live controller of role with the highest election id.
func (f *fakeServer) primaryLocked(role string) *fakeController {
	var best *fakeController
	for _, c := range f.controllers {
		if c.role != role || c.election == nil {
			continue
		}
		if best == nil || u128less(best.election, c.election) {
			best = c
		}
	}
	return best
}

// adviseLocked sends every controller of role its arbitration advisory.
func (f *fakeServer) adviseLocked(role string) {
	p := f.primaryLocked(role)
	for _, c := range f.controllers {
		if c.role != role {
			continue
		}
		u := &p4v1.MasterArbitrationUpdate{DeviceId: fakeDevice, Role: &p4v1.Role{Name: role}}
		switch {
		case p == nil:
			u.Status = &spb.Status{Code: int32(codes.NotFound), Message: "No primary"}
		case p == c:
			u.ElectionId = p.election
			u.Status = &spb.Status{Code: int32(codes.OK), Message: "Is primary"}
		default:
			u.ElectionId = p.election
			u.Status = &spb.Status{Code: int32(codes.AlreadyExists), Message: "Is backup"}
		}
		c.send(&p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Arbitration{Arbitration: u}})
	}
}

// arbitrateLocked applies one MasterArbitrationUpdate from c (nil: new).
func (f *fakeServer) arbitrateLocked(c *fakeController, u *p4v1.MasterArbitrationUpdate) error {
	if u.GetDeviceId() != fakeDevice {
		return status.Errorf(codes.NotFound, "unknown device id %d", u.GetDeviceId())
	}
	role := u.GetRole().GetName()
	if c.stream != nil && c.role != role && containsController(f.controllers, c) {
		return status.Error(codes.FailedPrecondition, "role change")
	}
	if eid := u.GetElectionId(); eid != nil {
		for _, o := range f.controllers {
			if o != c && o.role == role && o.election != nil && proto.Equal(o.election, eid) {
				return status.Error(codes.InvalidArgument, "Election id already exists")
			}
		}
	}
	c.role = role
	c.election = u.GetElectionId()
	if !containsController(f.controllers, c) {
		f.controllers = append(f.controllers, c)
	}
	if !f.silentArbitration {
		f.adviseLocked(role)
	}
	return nil
}

func containsController(cs []*fakeController, c *fakeController) bool {
	for _, o := range cs {
		if o == c {
			return true
		}
	}
	return false
}

func (f *fakeServer) StreamChannel(stream p4v1.P4Runtime_StreamChannelServer) error {
	c := &fakeController{stream: stream, kick: make(chan error, 1)}
	defer func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for i, o := range f.controllers {
			if o == c {
				f.controllers = append(f.controllers[:i], f.controllers[i+1:]...)
				// bmv2 promotes the next client and tells everyone.
				f.adviseLocked(c.role)
				break
			}
		}
	}()
	msgs := make(chan *p4v1.StreamMessageRequest)
	recvErr := make(chan error, 1)
	go func() {
		for {
			m, err := stream.Recv()
			if err != nil {
				recvErr <- err
				return
			}
			select {
			case msgs <- m:
			case <-stream.Context().Done():
				return
			}
		}
	}()
	for {
		var m *p4v1.StreamMessageRequest
		select {
		case err := <-c.kick:
			return err
		case <-recvErr:
			return nil
		case m = <-msgs:
		}
		switch u := m.GetUpdate().(type) {
		case *p4v1.StreamMessageRequest_Arbitration:
			f.mu.Lock()
			err := f.arbitrateLocked(c, u.Arbitration)
			f.mu.Unlock()
			if err != nil {
				return err
			}
		case *p4v1.StreamMessageRequest_Packet:
			f.mu.Lock()
			f.packetOuts = append(f.packetOuts, u.Packet)
			f.mu.Unlock()
			switch string(u.Packet.GetPayload()) {
			case "bad":
				c.send(&p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Error{Error: &p4v1.StreamError{
					CanonicalCode: int32(codes.InvalidArgument),
					Message:       "bad packet-out",
					Details:       &p4v1.StreamError_PacketOut{PacketOut: &p4v1.PacketOutError{PacketOut: u.Packet}},
				}}})
			default: // echo back as a packet-in
				c.send(&p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Packet{Packet: &p4v1.PacketIn{
					Payload: u.Packet.GetPayload(), Metadata: u.Packet.GetMetadata(),
				}}})
			}
		case *p4v1.StreamMessageRequest_DigestAck:
			f.mu.Lock()
			f.acks = append(f.acks, u.DigestAck)
			f.mu.Unlock()
		}
	}
}

// push sends m to the current primary of the default role.
func (f *fakeServer) push(t *testing.T, m *p4v1.StreamMessageResponse) {
	t.Helper()
	f.mu.Lock()
	p := f.primaryLocked("")
	f.mu.Unlock()
	if p == nil {
		t.Fatal("push: no primary")
	}
	p.send(m)
}

// kickAll ends every stream with err.
func (f *fakeServer) kickAll(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.controllers {
		c.kick <- err
	}
}

// --- write ---

func entityKey(e *p4v1.Entity) string {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(e)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func (f *fakeServer) Write(ctx context.Context, req *p4v1.WriteRequest) (*p4v1.WriteResponse, error) {
	rec := writeRecord{req: proto.Clone(req).(*p4v1.WriteRequest), start: time.Now()}
	f.mu.Lock()
	f.inflight++
	f.maxInflight = max(f.maxInflight, f.inflight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight--
		rec.end = time.Now()
		f.writes = append(f.writes, rec)
		f.mu.Unlock()
	}()
	if f.writeHook != nil {
		if err := f.writeHook(ctx, req); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.GetDeviceId() != fakeDevice {
		return nil, status.Errorf(codes.PermissionDenied, "wrong device id %d", req.GetDeviceId())
	}
	p := f.primaryLocked(req.GetRole())
	if p == nil || req.GetElectionId() == nil || !proto.Equal(p.election, req.GetElectionId()) {
		return nil, status.Error(codes.PermissionDenied, "Not primary")
	}
	switch req.GetAtomicity() {
	case p4v1.WriteRequest_CONTINUE_ON_ERROR:
	case p4v1.WriteRequest_ROLLBACK_ON_ERROR:
		if !f.atomicOK {
			return nil, status.Error(codes.Unimplemented, "Only CONTINUE_ON_ERROR is supported")
		}
	default:
		return nil, status.Error(codes.Unimplemented, "Only CONTINUE_ON_ERROR is supported")
	}
	snapshot := make(map[string]*p4v1.Entity, len(f.store))
	for k, v := range f.store {
		snapshot[k] = v
	}
	snapshotOrder := append([]string(nil), f.order...)
	items := make([]*p4v1.Error, len(req.GetUpdates()))
	failed := false
	for i, u := range req.GetUpdates() {
		items[i] = f.applyLocked(u)
		if items[i].GetCanonicalCode() != int32(codes.OK) {
			failed = true
		}
	}
	if failed && req.GetAtomicity() == p4v1.WriteRequest_ROLLBACK_ON_ERROR {
		f.store, f.order = snapshot, snapshotOrder
		for i, it := range items {
			if it.GetCanonicalCode() == int32(codes.OK) {
				items[i] = &p4v1.Error{CanonicalCode: int32(codes.Aborted), Message: "rolled back"}
			}
		}
	}
	if err := NewBatchError("Write failure.", items); err != nil {
		return nil, err
	}
	return &p4v1.WriteResponse{}, nil
}

// applyLocked applies one update to the store, bmv2-style.
func (f *fakeServer) applyLocked(u *p4v1.Update) *p4v1.Error {
	ok := &p4v1.Error{CanonicalCode: int32(codes.OK)}
	e := u.GetEntity()
	if e.GetTableEntry() == nil {
		return &p4v1.Error{CanonicalCode: int32(codes.Unimplemented), Message: "only table entries in this fake"}
	}
	if e.GetTableEntry().GetTableId() == badTableID {
		return &p4v1.Error{CanonicalCode: int32(codes.InvalidArgument), Message: "Invalid table id", Space: "ALL-sswitch-p4org", Code: 7}
	}
	k := entityKey(e)
	_, exists := f.store[k]
	switch u.GetType() {
	case p4v1.Update_INSERT:
		if exists {
			return &p4v1.Error{CanonicalCode: int32(codes.AlreadyExists), Message: "Match entry exists, use MODIFY if you wish to change action"}
		}
		f.store[k] = e
		f.order = append(f.order, k)
	case p4v1.Update_MODIFY:
		if !exists {
			return &p4v1.Error{CanonicalCode: int32(codes.NotFound), Message: "Cannot find match entry"}
		}
		f.store[k] = e
	case p4v1.Update_DELETE:
		if !exists {
			return &p4v1.Error{CanonicalCode: int32(codes.NotFound), Message: "Cannot find match entry"}
		}
		delete(f.store, k)
		for i, o := range f.order {
			if o == k {
				f.order = append(f.order[:i], f.order[i+1:]...)
				break
			}
		}
	default:
		return &p4v1.Error{CanonicalCode: int32(codes.InvalidArgument), Message: "Update type not set"}
	}
	return ok
}

// --- read ---

func (f *fakeServer) Read(req *p4v1.ReadRequest, stream p4v1.P4Runtime_ReadServer) error {
	f.mu.Lock()
	if f.pipeline == nil {
		f.mu.Unlock()
		return status.Error(codes.FailedPrecondition, "No forwarding pipeline config set for this device")
	}
	var out []*p4v1.Entity
	items := make([]*p4v1.Error, len(req.GetEntities()))
	for i, filter := range req.GetEntities() {
		items[i] = &p4v1.Error{CanonicalCode: int32(codes.OK)}
		te := filter.GetTableEntry()
		if te == nil {
			items[i] = &p4v1.Error{CanonicalCode: int32(codes.Unimplemented), Message: "Reading " + entityKind(filter) + " is not supported yet"}
			continue
		}
		for _, k := range f.order {
			e := f.store[k]
			if te.GetTableId() == 0 || te.GetTableId() == e.GetTableEntry().GetTableId() {
				out = append(out, e)
			}
		}
	}
	chunk := f.readChunk
	f.mu.Unlock()
	if chunk <= 0 {
		chunk = max(len(out), 1)
	}
	for sent := 0; sent < len(out); sent += chunk {
		end := min(sent+chunk, len(out))
		if err := stream.Send(&p4v1.ReadResponse{Entities: out[sent:end]}); err != nil {
			return err
		}
		if f.readHook != nil {
			if err := f.readHook(stream.Context(), end); err != nil {
				return err
			}
		}
	}
	return NewBatchError("Read failure.", items)
}

// preload puts entities in the store directly.
func (f *fakeServer) preload(es []*p4v1.Entity) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pipeline == nil {
		f.pipeline = &p4v1.ForwardingPipelineConfig{}
	}
	for _, e := range es {
		k := entityKey(e)
		f.store[k] = e
		f.order = append(f.order, k)
	}
}

// --- pipeline ---

func (f *fakeServer) SetForwardingPipelineConfig(_ context.Context, req *p4v1.SetForwardingPipelineConfigRequest) (*p4v1.SetForwardingPipelineConfigResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.primaryLocked(req.GetRole())
	if p == nil || !proto.Equal(p.election, req.GetElectionId()) {
		return nil, status.Error(codes.PermissionDenied, "Not primary")
	}
	if req.GetAction() != p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT {
		return nil, status.Errorf(codes.Unimplemented, "action %s", req.GetAction())
	}
	f.pipeline = proto.Clone(req.GetConfig()).(*p4v1.ForwardingPipelineConfig)
	return &p4v1.SetForwardingPipelineConfigResponse{}, nil
}

func (f *fakeServer) GetForwardingPipelineConfig(_ context.Context, req *p4v1.GetForwardingPipelineConfigRequest) (*p4v1.GetForwardingPipelineConfigResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pipeline == nil {
		return nil, status.Error(codes.FailedPrecondition, "No forwarding pipeline config set for this device")
	}
	cfg := &p4v1.ForwardingPipelineConfig{Cookie: f.pipeline.GetCookie()}
	switch req.GetResponseType() {
	case p4v1.GetForwardingPipelineConfigRequest_ALL:
		cfg = f.pipeline
	case p4v1.GetForwardingPipelineConfigRequest_P4INFO_AND_COOKIE:
		cfg.P4Info = f.pipeline.GetP4Info()
	case p4v1.GetForwardingPipelineConfigRequest_DEVICE_CONFIG_AND_COOKIE:
		cfg.P4DeviceConfig = f.pipeline.GetP4DeviceConfig()
	}
	return &p4v1.GetForwardingPipelineConfigResponse{Config: cfg}, nil
}

// --- inspection helpers ---

func (f *fakeServer) writeRecords() []writeRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := append([]writeRecord(nil), f.writes...)
	sort.Slice(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	return out
}

func (f *fakeServer) storeSize() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.store)
}

// --- test helpers ---

// dial connects an insecure client for device 1 with election id low,
// closed at cleanup.
func dial(t *testing.T, addr string, low uint64, mutate func(*DialOptions)) *Client {
	t.Helper()
	opts := DialOptions{
		DeviceID:   fakeDevice,
		ElectionID: &ElectionID{Low: low},
		Insecure:   true,
		Logger:     slog.New(slog.NewTextHandler(t.Output(), nil)),
	}
	if mutate != nil {
		mutate(&opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr, opts)
	if err != nil {
		t.Fatalf("Dial(%s): %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// arbitrate runs Arbitrate with a bounded context.
func arbitrate(t *testing.T, c *Client) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := c.Arbitrate(ctx)
	if err != nil {
		t.Fatalf("Arbitrate: %v", err)
	}
	return s
}

// primary dials and arbitrates a client that becomes primary.
func primary(t *testing.T, addr string, low uint64) (*Client, *Session) {
	t.Helper()
	c := dial(t, addr, low, nil)
	s := arbitrate(t, c)
	if !s.IsPrimary() {
		t.Fatalf("client with election id %d is not primary: %+v", low, s.Current())
	}
	return c, s
}

// waitFor polls cond every 5ms for up to 5s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// nextMastership waits up to 5s for a mastership value satisfying pred.
func nextMastership(t *testing.T, s *Session, pred func(Mastership) bool) Mastership {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case m, ok := <-s.Mastership():
			if !ok {
				t.Fatal("mastership channel closed before the expected advisory")
			}
			if pred(m) {
				return m
			}
		case <-timeout:
			t.Fatalf("timed out waiting for mastership change; current %+v", s.Current())
		}
	}
}

// tableEntry makes a distinct table-entry entity.
func tableEntry(table uint32, key uint32) *p4v1.Entity {
	return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{
		TableId: table,
		Match: []*p4v1.FieldMatch{{FieldId: 1, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{
			Value: []byte{byte(key >> 24), byte(key >> 16), byte(key >> 8), byte(key)},
		}}}},
		Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: 1}}},
	}}}
}

func insert(e *p4v1.Entity) *p4v1.Update {
	return &p4v1.Update{Type: p4v1.Update_INSERT, Entity: e}
}

func inserts(table uint32, from, n int) []*p4v1.Update {
	out := make([]*p4v1.Update, n)
	for i := range out {
		out[i] = insert(tableEntry(table, uint32(from+i)))
	}
	return out
}
