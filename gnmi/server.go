package gnmi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/openconfig/gnmi/cache"
	"github.com/openconfig/gnmi/match"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
)

// Options configure a Server. The zero value is usable.
type Options struct {
	// Target is the target name the agent answers to in path prefixes
	// (requests may also leave it empty). Default "lime".
	Target string
	// RefreshInterval is how often the agent reads the backend to publish
	// counters (state changes are published as the backend reports them).
	// Default 1s; negative turns the periodic reading off.
	RefreshInterval time.Duration
	// DefaultSampleInterval is used for SAMPLE subscriptions that give
	// sample_interval 0. Default 1s, as Stratum.
	DefaultSampleInterval time.Duration
	// MinSampleInterval is the shortest sample_interval (or heartbeat)
	// accepted; shorter ones get INVALID_ARGUMENT. Default 10ms.
	MinSampleInterval time.Duration
	// Logger receives the agent's logs. Default slog.Default().
	Logger *slog.Logger
}

func (o *Options) fill() {
	if o.Target == "" {
		o.Target = "lime"
	}
	if o.RefreshInterval == 0 {
		o.RefreshInterval = time.Second
	}
	if o.DefaultSampleInterval <= 0 {
		o.DefaultSampleInterval = time.Second
	}
	if o.MinSampleInterval <= 0 {
		o.MinSampleInterval = 10 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Server is the gNMI port agent: it serves the OpenConfig interfaces of a
// Ports backend (Capabilities, Get, Set, Subscribe). Register it on a
// *grpc.Server; Close it when done.
type Server struct {
	gpb.UnimplementedGNMIServer

	opts    Options
	backend Ports
	cache   *cache.Cache
	match   *match.Match // the subscriptions following cache changes
	pub     *publisher
	setMu   sync.Mutex // Sets are applied one at a time

	kick    chan struct{}
	unwatch func()
	cancel  context.CancelFunc
	done    chan struct{}
	closeMu sync.Once
}

// NewServer returns an agent serving backend. It reads the backend once
// (failing if it cannot) and then follows it until Close.
func NewServer(backend Ports, opts Options) (*Server, error) {
	if backend == nil {
		return nil, errors.New("gnmi: NewServer: nil Ports backend")
	}
	opts.fill()
	c := cache.New([]string{opts.Target})
	s := &Server{
		opts:    opts,
		backend: backend,
		cache:   c,
		match:   match.New(),
		pub:     newPublisher(backend, c, opts.Target, opts.Logger),
		kick:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	c.SetClient(s.route)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.pub.refresh(ctx); err != nil {
		return nil, fmt.Errorf("gnmi: NewServer: %w", err)
	}
	s.unwatch = backend.Watch(s.notify)
	loopCtx, stop := context.WithCancel(context.Background())
	s.cancel = stop
	go s.loop(loopCtx)
	return s, nil
}

// Register registers the agent's gNMI service on g (which may also carry
// P4Runtime, as on a Stratum switch).
func (s *Server) Register(g *grpc.Server) { gpb.RegisterGNMIServer(g, s) }

// Target returns the target name the agent answers to.
func (s *Server) Target() string { return s.opts.Target }

// Close stops following the backend. Open RPCs are not ended; stop the
// grpc.Server for that.
func (s *Server) Close() error {
	s.closeMu.Do(func() {
		s.unwatch()
		s.cancel()
		<-s.done
	})
	return nil
}

// Refresh reads the backend now and publishes what changed; subscribers
// see changes that happened before the call.
func (s *Server) Refresh(ctx context.Context) error {
	_, err := s.pub.refresh(ctx)
	return err
}

// notify is the backend's Watch callback.
func (s *Server) notify() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *Server) loop(ctx context.Context) {
	defer close(s.done)
	var tick <-chan time.Time
	if s.opts.RefreshInterval > 0 {
		t := time.NewTicker(s.opts.RefreshInterval)
		defer t.Stop()
		tick = t.C
	}
	lastErr := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-tick:
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := s.pub.refresh(rctx)
		cancel()
		switch {
		case err != nil && err.Error() != lastErr && ctx.Err() == nil:
			s.opts.Logger.Warn("gnmi: reading port backend", "err", err)
			lastErr = err.Error()
		case err == nil:
			lastErr = ""
		}
	}
}

// checkTarget accepts the agent's own target or none.
func (s *Server) checkTarget(prefix *gpb.Path) error {
	if t := prefix.GetTarget(); t != "" && t != s.opts.Target {
		return fmt.Errorf("%w: target %q (this agent serves %q)", errNotFound, t, s.opts.Target)
	}
	return nil
}
