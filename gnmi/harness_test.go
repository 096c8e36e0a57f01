package gnmi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"sync"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/internal/watchers"
)

// glog (under openconfig/gnmi's cache) starts its flush goroutine at init.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/golang/glog.(*fileSink).flushDaemon"))
}

// fakePorts is an in-memory Ports backend.
type fakePorts struct {
	mu       sync.Mutex
	ports    map[string]*PortState
	watchers watchers.List[func()]
	failSet  map[string]error // SetEnabled on these names fails
	calls    []string         // SetEnabled calls, "name=true"
	listErr  error
}

func newFake(ports ...PortState) *fakePorts {
	f := &fakePorts{ports: map[string]*PortState{}, failSet: map[string]error{}}
	for _, p := range ports {
		p := p
		f.ports[p.Name] = &p
	}
	return f
}

func (f *fakePorts) Ports(context.Context) ([]PortState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listErr != nil {
		return nil, f.listErr
	}
	out := make([]PortState, 0, len(f.ports))
	for _, p := range f.ports {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name > out[j].Name }) // any order will do
	return out, nil
}

func (f *fakePorts) SetEnabled(_ context.Context, name string, enabled bool) error {
	f.mu.Lock()
	f.calls = append(f.calls, fmt.Sprintf("%s=%v", name, enabled))
	if err := f.failSet[name]; err != nil {
		f.mu.Unlock()
		return err
	}
	p := f.ports[name]
	if p == nil {
		f.mu.Unlock()
		return fmt.Errorf("fake: %q: %w", name, ErrUnknownPort)
	}
	p.Enabled = enabled
	if enabled {
		p.Oper = OperUp
	} else {
		p.Oper = OperDown
	}
	f.mu.Unlock()
	f.notify()
	return nil
}

func (f *fakePorts) Watch(fn func()) func() { return f.watchers.Add(fn) }

func (f *fakePorts) notify() {
	for _, w := range f.watchers.Snapshot() {
		w()
	}
}

// update changes a port in place (nil removes it) and notifies.
func (f *fakePorts) update(name string, fn func(p *PortState)) {
	f.mu.Lock()
	if fn == nil {
		delete(f.ports, name)
	} else {
		p := f.ports[name]
		if p == nil {
			p = &PortState{Name: name}
			f.ports[name] = p
		}
		fn(p)
	}
	f.mu.Unlock()
	f.notify()
}

func (f *fakePorts) state(name string) PortState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.ports[name]
}

func (f *fakePorts) setCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// twoPorts is the usual fixture: eth0 (id 1) and eth1 (id 2), both UP.
func twoPorts() *fakePorts {
	return newFake(
		PortState{Name: "eth0", ID: 1, Enabled: true, Oper: OperUp, Counters: Counters{InOctets: 1000, InPkts: 10, OutOctets: 2000, OutPkts: 20}},
		PortState{Name: "eth1", ID: 2, Enabled: true, Oper: OperUp},
	)
}

// harness serves a backend on 127.0.0.1 and dials it.
type harness struct {
	srv    *Server
	client gpb.GNMIClient
}

func serve(t *testing.T, b Ports, opts Options) *harness {
	t.Helper()
	if opts.RefreshInterval == 0 {
		opts.RefreshInterval = 20 * time.Millisecond
	}
	srv, err := NewServer(b, opts)
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	srv.Register(g)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(lis)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		g.Stop()
		srv.Close()
	})
	return &harness{srv: srv, client: gpb.NewGNMIClient(conn)}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func wantCode(t *testing.T, what string, err error, code codes.Code) {
	t.Helper()
	if got := status.Code(err); got != code {
		t.Errorf("%s: code %v (%v), want %v", what, got, err, code)
	}
}

// ifp is InterfacePath for tests.
func ifp(name string, rel ...string) *gpb.Path { return InterfacePath(name, rel...) }

// subscription reads a Subscribe stream in the background; responses and
// the final error come in order on one channel.
type subscription struct {
	t      *testing.T
	stream gpb.GNMI_SubscribeClient
	ch     chan recvd
	cancel context.CancelFunc
}

type recvd struct {
	r   *gpb.SubscribeResponse
	err error
}

func startSub(t *testing.T, h *harness, sl *gpb.SubscriptionList) *subscription {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := h.client.Subscribe(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := stream.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: sl}}); err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &subscription{t: t, stream: stream, ch: make(chan recvd, 10000), cancel: cancel}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			r, err := stream.Recv()
			s.ch <- recvd{r, err}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return s
}

// next returns the next response, failing after 5s.
func (s *subscription) next() *gpb.SubscribeResponse {
	s.t.Helper()
	select {
	case x := <-s.ch:
		if x.err != nil {
			s.t.Fatalf("subscription ended: %v", x.err)
		}
		return x.r
	case <-time.After(5 * time.Second):
		s.t.Fatal("no SubscribeResponse within 5s")
	}
	return nil
}

// untilSync collects updates up to the sync_response.
func (s *subscription) untilSync() map[string]*gpb.TypedValue {
	s.t.Helper()
	got := map[string]*gpb.TypedValue{}
	for i := 0; i < 10000; i++ {
		r := s.next()
		if r.GetSyncResponse() {
			return got
		}
		for _, u := range r.GetUpdate().GetUpdate() {
			got[PathString(u.GetPath())] = u.GetVal()
		}
	}
	s.t.Fatal("no sync_response in 10000 responses")
	return nil
}

// waitFor reads responses until an update of path p has value v.
func (s *subscription) waitFor(p string, v *gpb.TypedValue) *gpb.Notification {
	s.t.Helper()
	for i := 0; i < 10000; i++ {
		r := s.next()
		for _, u := range r.GetUpdate().GetUpdate() {
			if PathString(u.GetPath()) == p && proto.Equal(u.GetVal(), v) {
				return r.GetUpdate()
			}
		}
	}
	s.t.Fatalf("no update of %s to %v", p, v)
	return nil
}

// quiet checks that nothing arrives for d.
func (s *subscription) quiet(d time.Duration) {
	s.t.Helper()
	select {
	case x := <-s.ch:
		s.t.Fatalf("unexpected response %v (%v)", x.r, x.err)
	case <-time.After(d):
	}
}

// ended waits for the stream's end and returns its error (nil for EOF).
func (s *subscription) ended() error {
	s.t.Helper()
	select {
	case x := <-s.ch:
		if x.err == nil {
			s.t.Fatalf("response %v where the stream should end", x.r)
		}
		if errors.Is(x.err, io.EOF) {
			return nil
		}
		return x.err
	case <-time.After(5 * time.Second):
		s.t.Fatal("stream did not end within 5s")
	}
	return nil
}
