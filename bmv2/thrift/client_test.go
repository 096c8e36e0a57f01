package thrift_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/bmv2/thrift/thrifttest"
)

// TestConcurrentCalls runs many goroutines over one client and over several
// clients at once (run with -race): calls are serialized on a connection,
// each reply reaches its caller, and the server answers connections in
// parallel.
func TestConcurrentCalls(t *testing.T) {
	b := linkMonitor(t)
	if err := b.AddRegister("wide", 64, 32); err != nil {
		t.Fatal(err)
	}
	addr, _ := thrifttest.Serve(t, b)
	shared := thrifttest.Dial(t, addr)
	own := []*thrift.Client{thrifttest.Dial(t, addr), thrifttest.Dial(t, addr)}
	ctx := testCtx(t)
	const workers, rounds = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		c := shared
		if w%3 == 2 {
			c = own[w%2]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				idx := int32(w*8 + r%8)
				v := int64(w*1000 + r)
				if err := c.RegisterWrite(ctx, "wide", idx, v); err != nil {
					errs <- err
					return
				}
				got, err := c.RegisterRead(ctx, "wide", idx)
				if err != nil {
					errs <- err
					return
				}
				if got != v {
					errs <- fmt.Errorf("worker %d round %d: read %d, want %d", w, r, got, v)
					return
				}
				if _, err := c.RegisterRead(ctx, "wide", 64); !errors.Is(err, thrift.RegisterInvalidIndex) {
					errs <- fmt.Errorf("worker %d: out-of-range read gave %v", w, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// silentServer accepts connections and never answers; it returns its
// address and a channel that receives each accepted connection.
func silentServer(t *testing.T) (string, <-chan net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan net.Conn, 8)
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
			select {
			case conns <- c:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().String(), conns
}

// TestDeadlineAndCancel checks that a call to a server that never answers
// ends at the context's deadline, or when the context is cancelled, with the
// context's error, and that the client dials a fresh connection next time.
func TestDeadlineAndCancel(t *testing.T) {
	addr, conns := silentServer(t)
	c := thrifttest.Dial(t, addr)
	<-conns

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.RegisterRead(ctx, "r", 0)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want context.DeadlineExceeded", err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("call took %v past a 200ms deadline", el)
	}
	if !strings.Contains(err.Error(), `bm_register_read register "r" index 0`) {
		t.Errorf("error %q does not name the call", err)
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel2)
	start = time.Now()
	err = c.RegisterWrite(ctx2, "r", 0, 1)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("cancelled call took %v", el)
	}
	select {
	case <-conns:
	case <-time.After(5 * time.Second):
		t.Error("the client did not dial a new connection after the timed-out call")
	}
	if _, err := c.RegisterRead(ctx2, "r", 0); !errors.Is(err, context.Canceled) {
		t.Errorf("call with a done context: %v, want context.Canceled", err)
	}
}

// trackingListener records accepted connections so a test can cut them.
type trackingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

func (l *trackingListener) cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		c.Close()
	}
	l.conns = nil
}

// TestReconnect checks that a call on a connection the server dropped
// (bmv2 restarted) dials again and is made once more, transparently; when
// the server is gone, the call reports a transport error as an OpError.
func TestReconnect(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &trackingListener{Listener: inner}
	done := make(chan error, 1)
	go func() { done <- thrift.Serve(l, linkMonitor(t)) }()
	c := thrifttest.Dial(t, l.Addr().String())
	ctx := testCtx(t)
	if err := c.RegisterWrite(ctx, "w8", 0, 9); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		l.cut()
		time.Sleep(10 * time.Millisecond) // the close reaches the client
		if v, err := c.RegisterRead(ctx, "w8", 0); err != nil || v != 9 {
			t.Fatalf("cut %d: RegisterRead = %d, %v; want 9 on a new connection", i, v, err)
		}
	}
	l.Close()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	l.cut()
	_, err = c.RegisterRead(ctx, "w8", 0)
	var op *thrift.OpError
	if !errors.As(err, &op) || op.Op != "bm_register_read" {
		t.Errorf("with the server gone: %v, want an OpError for bm_register_read", err)
	}
}

func TestDialErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := l.Addr().String()
	l.Close()
	ctx := testCtx(t)
	for _, tc := range []struct{ addr, want string }{
		{"", "empty address"},
		{"localhost", `dial "localhost"`},
		{refused, "dial " + refused},
	} {
		if _, err := thrift.Dial(ctx, tc.addr); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Dial(%q) = %v, want an error containing %q", tc.addr, err, tc.want)
		}
	}
}

func TestClosedClient(t *testing.T) {
	addr, _ := thrifttest.Serve(t, linkMonitor(t))
	c := thrifttest.Dial(t, addr)
	if c.Addr() != addr {
		t.Errorf("Addr() = %q, want %q", c.Addr(), addr)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := c.DevMgrShowPorts(testCtx(t)); !errors.Is(err, thrift.ErrClosed) {
		t.Errorf("call after Close: %v, want ErrClosed", err)
	}
}

func TestServeNilBackend(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := thrift.Serve(l, nil); err == nil || !strings.Contains(err.Error(), "nil Backend") {
		t.Errorf("Serve(nil backend) = %v, want an error naming it", err)
	}
}
