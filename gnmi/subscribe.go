package gnmi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/proto"
)

// Subscribe serves ONCE, POLL and STREAM subscriptions (gNMI spec 3.5).
// ONCE, POLL and ON_CHANGE streams run on openconfig/gnmi's subscribe
// server over the agent's cache; SAMPLE (with suppress_redundant and
// heartbeat_interval) and ON_CHANGE heartbeats are the agent's own, sharing
// the stream and its single sync_response. TARGET_DEFINED is ON_CHANGE for
// every leaf: counters change at the agent's refresh interval. Paths may use
// wildcards ("*", "...", interface[name=*], an interface without key); a
// path outside the schema is UNIMPLEMENTED, a malformed one
// INVALID_ARGUMENT; an interface that does not exist (yet) sends nothing.
// Updates carry scalar values with full paths, whatever encoding is asked.
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

// libRequest is the SubscribeRequest handed to the subscribe server: the
// agent's target in the prefix, one ON_CHANGE subscription per query.
func (s *Server) libRequest(sl *gpb.SubscriptionList, qs []query) *gpb.SubscribeRequest {
	out := &gpb.SubscriptionList{
		Prefix:      &gpb.Path{Target: s.opts.Target},
		Mode:        sl.GetMode(),
		UpdatesOnly: sl.GetUpdatesOnly(),
	}
	for _, q := range qs {
		out.Subscription = append(out.Subscription, &gpb.Subscription{Path: q.path, Mode: gpb.SubscriptionMode_ON_CHANGE})
	}
	return &gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: out}}
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
	if _, err := s.pub.refresh(ctx); err != nil {
		return err
	}
	if sl.GetMode() != gpb.SubscriptionList_STREAM {
		return s.sub.Subscribe(&libStream{
			GNMI_SubscribeServer: stream, ctx: ctx, first: s.libRequest(sl, p.all), out: out,
			onPoll: func() error { _, err := s.pub.refresh(ctx); return err },
		})
	}

	parties := 0
	if len(p.onChange) > 0 {
		parties++
	}
	if len(p.sampled) > 0 {
		parties++
	}
	gate := &syncGate{parties: parties, send: func() error { return out.send(syncResponse) }}
	var runners []func() error
	if len(p.sampled) > 0 {
		sp := &sampler{s: s, out: out, specs: p.sampled}
		if err := sp.initial(ctx); err != nil {
			return err
		}
		if err := gate.arrive(); err != nil {
			return err
		}
		runners = append(runners, func() error { return sp.run(ctx) })
	}
	if len(p.onChange) > 0 {
		ls := &libStream{GNMI_SubscribeServer: stream, ctx: ctx, first: s.libRequest(sl, p.onChange), out: out, gate: gate}
		runners = append(runners, func() error { return s.sub.Subscribe(ls) })
	}
	errc := make(chan error, len(runners))
	var wg sync.WaitGroup
	for _, r := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- r()
		}()
	}
	err = <-errc
	cancel()
	wg.Wait()
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// sender serializes sends on the client's stream and shows the client the
// target it asked for (none if it asked for none, gNMI spec 2.2.2.1).
type sender struct {
	mu     sync.Mutex
	stream gpb.GNMI_SubscribeServer
	target string
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

// syncGate sends one sync_response once every party has sent its initial
// updates.
type syncGate struct {
	mu      sync.Mutex
	parties int
	arrived int
	send    func() error
}

func (g *syncGate) arrive() error {
	g.mu.Lock()
	g.arrived++
	last := g.arrived == g.parties
	g.mu.Unlock()
	if last {
		return g.send()
	}
	return nil
}

// libStream is the stream the subscribe server sees: its first Recv is the
// rewritten request, later Recvs (polls) refresh the cache first, Sends go
// through the sender, and a sync_response goes through the gate when there
// is one.
type libStream struct {
	gpb.GNMI_SubscribeServer
	ctx    context.Context
	first  *gpb.SubscribeRequest
	given  bool
	out    *sender
	gate   *syncGate
	onPoll func() error
}

func (l *libStream) Context() context.Context { return l.ctx }

func (l *libStream) Recv() (*gpb.SubscribeRequest, error) {
	if !l.given {
		l.given = true
		return l.first, nil
	}
	req, err := l.GNMI_SubscribeServer.Recv()
	if err != nil {
		return nil, err
	}
	if req.GetPoll() == nil {
		return nil, toStatus(fmt.Errorf("%w: only Poll requests may follow a POLL SubscriptionList", errInvalid))
	}
	if l.onPoll != nil {
		if err := l.onPoll(); err != nil {
			return nil, toStatus(err)
		}
	}
	return req, nil
}

func (l *libStream) Send(r *gpb.SubscribeResponse) error {
	if r.GetSyncResponse() && l.gate != nil {
		return l.gate.arrive()
	}
	return l.out.send(r)
}
