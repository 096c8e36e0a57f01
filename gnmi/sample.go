package gnmi

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/openconfig/gnmi/ctree"
	"github.com/openconfig/gnmi/path"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/proto"
)

// sampler serves the SAMPLE subscriptions of a STREAM (and the heartbeats
// of ON_CHANGE ones): every interval it refreshes the cache and sends the
// values of its paths, one Notification per sample stamped with the time
// the values were read. With suppress_redundant only leaves that changed
// since the last sample are sent, and everything again each
// heartbeat_interval.
type sampler struct {
	s     *Server
	out   *sender
	specs []sampleSpec
	state []sampleState
}

type sampleState struct {
	last     map[string]*gpb.TypedValue
	lastFull time.Time
}

// freshness lets several subscriptions sampling at once share a refresh.
const freshness = 5 * time.Millisecond

// initial sends the current values of the specs that want them.
func (sp *sampler) initial(ctx context.Context) error {
	sp.state = make([]sampleState, len(sp.specs))
	for i := range sp.specs {
		sp.state[i].last = map[string]*gpb.TypedValue{}
		sp.state[i].lastFull = time.Now()
		if sp.specs[i].initial {
			if err := sp.sample(ctx, i, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// run samples until ctx ends or a send fails.
func (sp *sampler) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(sp.specs))
	var wg sync.WaitGroup
	for i := range sp.specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(sp.specs[i].interval)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				if err := sp.sample(ctx, i, false); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	var err error
	select {
	case <-ctx.Done():
		err = ctx.Err()
	case err = <-errc:
	}
	cancel()
	wg.Wait()
	return err
}

// sample sends spec i's values (all of them when full).
func (sp *sampler) sample(ctx context.Context, i int, full bool) error {
	spec, st := &sp.specs[i], &sp.state[i]
	if err := sp.s.pub.refreshIfOlder(ctx, freshness); err != nil {
		return err
	}
	now := time.Now()
	if !spec.suppress || (spec.heartbeat > 0 && now.Sub(st.lastFull) >= spec.heartbeat) {
		full = true
	}
	var ups []*gpb.Update
	for _, q := range spec.queries {
		err := sp.s.cache.Query(sp.s.opts.Target, path.ToStrings(q.path, false), func(_ []string, _ *ctree.Leaf, v any) error {
			n, ok := v.(*gpb.Notification)
			if !ok {
				return nil
			}
			for _, u := range n.GetUpdate() {
				k := PathString(u.GetPath())
				if !full && proto.Equal(st.last[k], u.GetVal()) {
					continue
				}
				st.last[k] = u.GetVal()
				ups = append(ups, u)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if full {
		st.lastFull = now
	}
	if len(ups) == 0 {
		return nil
	}
	sort.Slice(ups, func(a, b int) bool { return PathString(ups[a].GetPath()) < PathString(ups[b].GetPath()) })
	n := &gpb.Notification{Timestamp: now.UnixNano(), Prefix: &gpb.Path{Target: sp.s.opts.Target}, Update: ups}
	return sp.out.send(&gpb.SubscribeResponse{Response: &gpb.SubscribeResponse_Update{Update: n}})
}
