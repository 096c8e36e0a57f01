package p4rt_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/p4/info"
)

const devID = 1

// harness is one Device served on a loopback gRPC listener and a raw
// P4Runtime stub connected to it.
type harness struct {
	t    *testing.T
	dev  *p4rt.Device
	cl   p4v1.P4RuntimeClient
	conn *grpc.ClientConn
	addr string
	inf  *info.Info
}

func newHarness(t *testing.T, profile p4rt.Profile, mod ...func(*p4rt.Options)) *harness {
	t.Helper()
	opts := p4rt.Options{DeviceID: devID, Profile: profile, IdleScan: 5 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
	for _, m := range mod {
		m(&opts)
	}
	dev, err := p4rt.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	p4rt.Register(g, dev)
	go g.Serve(lis)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		g.Stop()
		dev.Close()
	})
	return &harness{t: t, dev: dev, cl: p4v1.NewP4RuntimeClient(conn), conn: conn, addr: lis.Addr().String()}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// config reads a fixture's P4Info and bmv2 JSON.
func config(t testing.TB, p fixtures.Pipeline) *p4v1.ForwardingPipelineConfig {
	t.Helper()
	return p4test.Config(t, p, 0xc00c1e)
}

// withJSON lists the fixtures that have a bmv2 JSON (the device config).
func withJSON(t testing.TB) []fixtures.Pipeline {
	var out []fixtures.Pipeline
	for _, p := range fixtures.All(t) {
		if p.JSON != "" {
			out = append(out, p)
		}
	}
	return out
}

// load commits a fixture without a stream (PI accepts requests without an
// election id while no controller has arbitrated); profile spec needs a
// primary, so it arbitrates first and returns the election id to use.
func (h *harness) load(p fixtures.Pipeline) *p4v1.Uint128 {
	h.t.Helper()
	cfg := config(h.t, p)
	var eid *p4v1.Uint128
	if h.dev.Profile() == p4rt.ProfileSpec {
		eid = &p4v1.Uint128{Low: 1}
		h.arbitrate(eid)
	}
	_, err := h.cl.SetForwardingPipelineConfig(ctx(h.t), &p4v1.SetForwardingPipelineConfigRequest{
		DeviceId: devID, ElectionId: eid, Action: p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, Config: cfg})
	if err != nil {
		h.t.Fatalf("%s: SetForwardingPipelineConfig: %v", p.Name, err)
	}
	h.inf = mustInfo(h.t, cfg)
	return eid
}

// stream is a raw StreamChannel.
type stream struct {
	t  *testing.T
	s  p4v1.P4Runtime_StreamChannelClient
	in chan *p4v1.StreamMessageResponse
	// end receives the stream's final error (io.EOF for OK).
	end chan error
}

func (h *harness) openStream() *stream {
	h.t.Helper()
	c, cancel := context.WithCancel(context.Background())
	s, err := h.cl.StreamChannel(c)
	if err != nil {
		h.t.Fatal(err)
	}
	st := &stream{t: h.t, s: s, in: make(chan *p4v1.StreamMessageResponse, 1024), end: make(chan error, 1)}
	go func() {
		for {
			m, err := s.Recv()
			if err != nil {
				st.end <- err
				close(st.in)
				return
			}
			st.in <- m
		}
	}()
	h.t.Cleanup(cancel)
	return st
}

// arbitrate opens a stream, sends an arbitration update and waits for the
// advisory; it returns the stream.
func (h *harness) arbitrate(eid *p4v1.Uint128) *stream {
	h.t.Helper()
	s := h.openStream()
	s.send(&p4v1.StreamMessageRequest{Update: &p4v1.StreamMessageRequest_Arbitration{Arbitration: &p4v1.MasterArbitrationUpdate{DeviceId: devID, ElectionId: eid}}})
	s.nextArbitration()
	return s
}

func (s *stream) send(m *p4v1.StreamMessageRequest) {
	s.t.Helper()
	if err := s.s.Send(m); err != nil {
		s.t.Fatal(err)
	}
}

// next waits for the next message (failing after 5s).
func (s *stream) next() *p4v1.StreamMessageResponse {
	s.t.Helper()
	select {
	case m, ok := <-s.in:
		if !ok {
			s.t.Fatalf("stream ended: %v", <-s.end)
		}
		return m
	case <-time.After(5 * time.Second):
		s.t.Fatal("no stream message within 5s")
	}
	return nil
}

func (s *stream) nextArbitration() *p4v1.MasterArbitrationUpdate {
	s.t.Helper()
	for {
		m := s.next()
		if a := m.GetArbitration(); a != nil {
			return a
		}
	}
}

// quiet checks that no message arrives within d.
func (s *stream) quiet(d time.Duration) {
	s.t.Helper()
	select {
	case m, ok := <-s.in:
		if ok {
			s.t.Fatalf("unexpected stream message %v", m)
		}
	case <-time.After(d):
	}
}

// ended waits for the stream's end and returns its status code.
func (s *stream) ended() codes.Code {
	s.t.Helper()
	for {
		select {
		case _, ok := <-s.in:
			if ok {
				continue
			}
			err := <-s.end
			if errors.Is(err, io.EOF) {
				return codes.OK
			}
			return status.Code(err)
		case <-time.After(5 * time.Second):
			s.t.Fatal("stream did not end within 5s")
		}
	}
}

func update(typ p4v1.Update_Type, e *p4v1.Entity) *p4v1.Update {
	return &p4v1.Update{Type: typ, Entity: e}
}

func tableEntity(te *p4v1.TableEntry) *p4v1.Entity {
	return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: te}}
}

// write sends updates as one WriteRequest.
func (h *harness) write(eid *p4v1.Uint128, us ...*p4v1.Update) error {
	_, err := h.cl.Write(ctx(h.t), &p4v1.WriteRequest{DeviceId: devID, ElectionId: eid, Updates: us})
	return err
}

// mustWrite fails the test on any error.
func (h *harness) mustWrite(eid *p4v1.Uint128, us ...*p4v1.Update) {
	h.t.Helper()
	if err := h.write(eid, us...); err != nil {
		for i, c := range updateCodes(h.t, err, len(us)) {
			if c.Code != codes.OK {
				h.t.Errorf("update %d (%v): %v", i, us[i], c)
			}
		}
		h.t.Fatalf("write: %v", err)
	}
}

type p4v1Error struct {
	Code    codes.Code
	Message string
}

// updateCodes decodes the per-update p4.v1.Error details of a failed Write
// (spec section "Error Reporting Messages").
func updateCodes(t testing.TB, err error, n int) []p4v1Error {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != codes.Unknown {
		t.Fatalf("write failed with %v, want UNKNOWN with details: %v", st.Code(), err)
	}
	ds := st.Proto().GetDetails()
	if len(ds) != n {
		t.Fatalf("%d error details for %d updates", len(ds), n)
	}
	out := make([]p4v1Error, n)
	for i, d := range ds {
		pe := &p4v1.Error{}
		if err := d.UnmarshalTo(pe); err != nil {
			t.Fatal(err)
		}
		out[i] = p4v1Error{codes.Code(pe.CanonicalCode), pe.Message}
	}
	return out
}

// updateCode writes a single update and returns its code.
func (h *harness) updateCode(eid *p4v1.Uint128, u *p4v1.Update) codes.Code {
	h.t.Helper()
	err := h.write(eid, u)
	if err == nil {
		return codes.OK
	}
	return updateCodes(h.t, err, 1)[0].Code
}

// read reads entities and returns everything received (all messages).
func (h *harness) read(ents ...*p4v1.Entity) ([]*p4v1.Entity, int, error) {
	rc, err := h.cl.Read(ctx(h.t), &p4v1.ReadRequest{DeviceId: devID, Entities: ents})
	if err != nil {
		return nil, 0, err
	}
	var out []*p4v1.Entity
	msgs := 0
	for {
		r, err := rc.Recv()
		if errors.Is(err, io.EOF) {
			return out, msgs, nil
		}
		if err != nil {
			return out, msgs, err
		}
		msgs++
		out = append(out, r.GetEntities()...)
	}
}

func (h *harness) mustRead(ents ...*p4v1.Entity) []*p4v1.Entity {
	h.t.Helper()
	out, _, err := h.read(ents...)
	if err != nil {
		h.t.Fatalf("read: %v", err)
	}
	return out
}

func clone[T proto.Message](m T) T { return proto.Clone(m).(T) }

func mustInfo(t testing.TB, cfg *p4v1.ForwardingPipelineConfig) *info.Info {
	t.Helper()
	return p4test.Index(t, cfg.P4Info)
}

// codeOf is the code of a failed RPC (OK for nil). A Read that failed in
// profile spec is UNKNOWN with one p4.v1.Error per requested entity (spec
// section 13.3 "Batch Processing"); for a single entity its code is the
// code of that entity's error.
func codeOf(err error) codes.Code {
	st := status.Convert(err)
	if st.Code() == codes.Unknown && len(st.Proto().GetDetails()) == 1 {
		pe := &p4v1.Error{}
		if st.Proto().GetDetails()[0].UnmarshalTo(pe) == nil {
			return codes.Code(pe.CanonicalCode)
		}
	}
	return st.Code()
}
