package gnmi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/openconfig/gnmi/coalesce"
	"github.com/openconfig/gnmi/ctree"
	"github.com/openconfig/gnmi/path"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmi/subscribe"
	"google.golang.org/protobuf/proto"
)

// Subscribe serves ONCE, POLL and STREAM subscriptions (gNMI spec 3.5).
// Paths may use wildcards ("*", "...", interface[name=*], an interface
// without key); a path outside the schema is UNIMPLEMENTED, a malformed one
// INVALID_ARGUMENT; an interface that does not exist (yet) sends nothing
// until it appears. Updates carry scalar values with full paths, one leaf a
// notification as Stratum sends them, whatever encoding is asked.
//
// STREAM subscriptions: ON_CHANGE sends a leaf when its value changes (or
// it is deleted), with heartbeat_interval also every heartbeat; SAMPLE
// sends every sample_interval (DefaultSampleInterval for 0), with
// suppress_redundant only what changed, plus everything each
// heartbeat_interval; TARGET_DEFINED is ON_CHANGE for every leaf, counters
// changing at the agent's refresh interval. One sync_response follows the
// initial values of all of them.
//
// The engine is openconfig/gnmi's: the cache detects changes, match routes
// them to subscriptions, coalesce queues them per client (a slow client
// gets the latest value of a leaf, with the duplicates count). Its
// subscribe.Server is not used because it logs every RPC through glog,
// which writes files into os.TempDir(), and has no SAMPLE.
func (s *Server) Subscribe(stream gpb.GNMI_SubscribeServer) error {
	return toStatus(s.subscribe(stream))
}

// query is one leaf path to follow, the interface name concrete or "*".
type query struct {
	path *gpb.Path
}

// sampleSpec is one sampled subscription of a STREAM.
type sampleSpec struct {
	queries   []query
	interval  time.Duration
	heartbeat time.Duration // with suppress: send everything this often
	suppress  bool
	initial   bool // send the current values before sync_response
}

// subPlan is a checked SubscriptionList.
type subPlan struct {
	list     *gpb.SubscriptionList
	all      []query // ONCE, POLL: every path
	onChange []query // STREAM: ON_CHANGE and TARGET_DEFINED paths
	sampled  []sampleSpec
}

func (s *Server) plan(sl *gpb.SubscriptionList) (*subPlan, error) {
	if err := s.checkTarget(sl.GetPrefix()); err != nil {
		return nil, err
	}
	if len(sl.GetSubscription()) == 0 {
		return nil, fmt.Errorf("%w: the SubscriptionList has no subscription", errInvalid)
	}
	if !encodingSupported(sl.GetEncoding()) {
		return nil, fmt.Errorf("%w: encoding %v is unsupported (use JSON, JSON_IETF or PROTO)", errUnsupported, sl.GetEncoding())
	}
	if err := checkModels(sl.GetUseModels()); err != nil {
		return nil, err
	}
	switch sl.GetMode() {
	case gpb.SubscriptionList_ONCE, gpb.SubscriptionList_POLL, gpb.SubscriptionList_STREAM:
	default:
		return nil, fmt.Errorf("%w: subscription mode %v", errInvalid, sl.GetMode())
	}
	p := &subPlan{list: sl}
	seenAll, seenOnChange := map[string]bool{}, map[string]bool{}
	for _, sub := range sl.GetSubscription() {
		full := joinForMessage(sl.GetPrefix(), sub.GetPath())
		pat, err := parsePattern(sl.GetPrefix(), sub.GetPath())
		if err != nil {
			return nil, err
		}
		leaves, names := schemaLeaves(pat)
		if len(leaves) == 0 {
			return nil, fmt.Errorf("%w: path %s is not in the served schema (/interfaces/interface[name=*]/...)", errUnsupported, full)
		}
		qs := make([]query, 0, len(leaves))
		for i, l := range leaves {
			qs = append(qs, query{path: InterfacePath(names[i], l.rel...)})
		}
		if sl.GetMode() != gpb.SubscriptionList_STREAM {
			p.all = appendNew(p.all, qs, seenAll)
			continue
		}
		hb := time.Duration(sub.GetHeartbeatInterval())
		if hb != 0 && hb < s.opts.MinSampleInterval {
			return nil, fmt.Errorf("%w: path %s: heartbeat_interval %v is below the minimum %v", errInvalid, full, hb, s.opts.MinSampleInterval)
		}
		switch sub.GetMode() {
		case gpb.SubscriptionMode_ON_CHANGE:
			p.onChange = appendNew(p.onChange, qs, seenOnChange)
			if hb > 0 {
				p.sampled = append(p.sampled, sampleSpec{queries: qs, interval: hb})
			}
		case gpb.SubscriptionMode_TARGET_DEFINED:
			if sub.GetSampleInterval() != 0 {
				return nil, fmt.Errorf("%w: path %s: TARGET_DEFINED with a sample_interval (the target chooses)", errInvalid, full)
			}
			p.onChange = appendNew(p.onChange, qs, seenOnChange)
		case gpb.SubscriptionMode_SAMPLE:
			iv := time.Duration(sub.GetSampleInterval())
			if iv == 0 {
				iv = s.opts.DefaultSampleInterval
			}
			if iv < s.opts.MinSampleInterval {
				return nil, fmt.Errorf("%w: path %s: sample_interval %v is below the minimum %v", errInvalid, full, iv, s.opts.MinSampleInterval)
			}
			p.sampled = append(p.sampled, sampleSpec{queries: qs, interval: iv, heartbeat: hb,
				suppress: sub.GetSuppressRedundant(), initial: !sl.GetUpdatesOnly()})
		default:
			return nil, fmt.Errorf("%w: path %s: subscription mode %v", errInvalid, full, sub.GetMode())
		}
	}
	return p, nil
}

func appendNew(dst, qs []query, seen map[string]bool) []query {
	for _, q := range qs {
		k := PathString(q.path)
		if !seen[k] {
			seen[k] = true
			dst = append(dst, q)
		}
	}
	return dst
}

var syncResponse = &gpb.SubscribeResponse{Response: &gpb.SubscribeResponse_SyncResponse{SyncResponse: true}}

func (s *Server) subscribe(stream gpb.GNMI_SubscribeServer) error {
	req, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return err
	}
	sl := req.GetSubscribe()
	if sl == nil {
		return fmt.Errorf("%w: the first SubscribeRequest must carry a SubscriptionList (subscribe)", errInvalid)
	}
	p, err := s.plan(sl)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	out := &sender{stream: stream, target: sl.GetPrefix().GetTarget()}
	switch sl.GetMode() {
	case gpb.SubscriptionList_ONCE:
		return s.poll(ctx, out, p.all, sl.GetUpdatesOnly())
	case gpb.SubscriptionList_POLL:
		return s.pollLoop(ctx, stream, out, p.all, sl.GetUpdatesOnly())
	default:
		return s.stream(ctx, out, p, sl.GetUpdatesOnly())
	}
}

// poll sends the current values of qs (unless updatesOnly) and a
// sync_response.
func (s *Server) poll(ctx context.Context, out *sender, qs []query, updatesOnly bool) error {
	if !updatesOnly {
		if _, err := s.pub.refresh(ctx); err != nil {
			return err
		}
		var leaves []*ctree.Leaf
		if err := s.walk(qs, func(l *ctree.Leaf) { leaves = append(leaves, l) }); err != nil {
			return err
		}
		for _, l := range leaves {
			if err := out.sendLeaf(l, 0); err != nil {
				return err
			}
		}
	}
	return out.send(syncResponse)
}

// pollLoop answers the first request and then every Poll (gNMI spec
// 3.5.1.5.3) until the client closes the stream.
func (s *Server) pollLoop(ctx context.Context, stream gpb.GNMI_SubscribeServer, out *sender, qs []query, updatesOnly bool) error {
	if err := s.poll(ctx, out, qs, updatesOnly); err != nil {
		return err
	}
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if req.GetPoll() == nil {
			return fmt.Errorf("%w: only Poll requests may follow a POLL SubscriptionList", errInvalid)
		}
		if err := s.poll(ctx, out, qs, false); err != nil {
			return err
		}
	}
}

// walk calls fn with every cached leaf under qs.
func (s *Server) walk(qs []query, fn func(*ctree.Leaf)) error {
	for _, q := range qs {
		err := s.cache.Query(s.opts.Target, path.ToStrings(q.path, false), func(_ []string, l *ctree.Leaf, _ any) error {
			fn(l)
			return nil
		})
		if err != nil {
			return fmt.Errorf("cache query %s: %w", PathString(q.path), err)
		}
	}
	return nil
}

// queueClient is a match.Client feeding a subscriber's queue.
type queueClient struct{ q *coalesce.Queue }

func (c queueClient) Update(v any) { _, _ = c.q.Insert(v) }

type syncMarker struct{}

// stream serves a STREAM subscription until ctx ends or a send fails.
func (s *Server) stream(ctx context.Context, out *sender, p *subPlan, updatesOnly bool) error {
	if _, err := s.pub.refresh(ctx); err != nil {
		return err
	}
	q := coalesce.NewQueue()
	defer q.Close()
	// Follow changes before reading the current values, so none is missed.
	for _, oc := range p.onChange {
		remove := s.match.AddQuery(append([]string{s.opts.Target}, path.ToStrings(oc.path, false)...), queueClient{q})
		defer remove()
	}
	if !updatesOnly {
		if err := s.walk(p.onChange, func(l *ctree.Leaf) { _, _ = q.Insert(l) }); err != nil {
			return err
		}
	}
	sp := &sampler{s: s, out: out, specs: p.sampled}
	if err := sp.initial(ctx); err != nil {
		return err
	}
	_, _ = q.Insert(syncMarker{})

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		errc <- s.drain(ctx, q, out)
	}()
	go func() {
		defer wg.Done()
		errc <- sp.run(ctx)
	}()
	err := <-errc
	cancel()
	wg.Wait()
	return err
}

// drain sends what the queue holds, in order, until ctx ends.
func (s *Server) drain(ctx context.Context, q *coalesce.Queue, out *sender) error {
	for {
		item, dup, err := q.Next(ctx)
		if err != nil {
			return err
		}
		switch v := item.(type) {
		case syncMarker:
			err = out.send(syncResponse)
		case *ctree.Leaf:
			err = out.sendLeaf(v, dup)
		}
		if err != nil {
			return err
		}
	}
}

// route passes a cache change to the subscriptions that follow it.
func (s *Server) route(l *ctree.Leaf) {
	if n, ok := l.Value().(*gpb.Notification); ok {
		subscribe.UpdateNotification(s.match, l, n, path.ToStrings(n.GetPrefix(), true))
	}
}

// sender serializes sends on the client's stream and shows the client the
// target it asked for (none if it asked for none, gNMI spec 2.2.2.1).
type sender struct {
	mu     sync.Mutex
	stream gpb.GNMI_SubscribeServer
	target string
}

// sendLeaf sends a cached leaf's notification; dup is how many updates of
// it were coalesced into this one.
func (o *sender) sendLeaf(l *ctree.Leaf, dup uint32) error {
	n, ok := l.Value().(*gpb.Notification)
	if !ok {
		return nil
	}
	if dup > 0 && len(n.GetUpdate()) > 0 {
		n = proto.Clone(n).(*gpb.Notification)
		n.Update[0].Duplicates = dup
	}
	return o.send(&gpb.SubscribeResponse{Response: &gpb.SubscribeResponse_Update{Update: n}})
}

func (o *sender) send(r *gpb.SubscribeResponse) error {
	if n := r.GetUpdate(); n != nil && n.GetPrefix().GetTarget() != o.target {
		n = proto.Clone(n).(*gpb.Notification)
		if n.Prefix == nil {
			n.Prefix = &gpb.Path{}
		}
		n.Prefix.Target = o.target
		if proto.Equal(n.Prefix, &gpb.Path{}) {
			n.Prefix = nil
		}
		r = &gpb.SubscribeResponse{Response: &gpb.SubscribeResponse_Update{Update: n}, Extension: r.GetExtension()}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.stream.Send(r)
}
