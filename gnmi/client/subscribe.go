package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/lime-p4/lime/gnmi"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
)

// Event is a change of an interface's oper-status or admin-status.
type Event struct {
	Name    string    // the interface
	Leaf    string    // "oper-status" or "admin-status"
	Value   string    // e.g. "UP", "DOWN"
	Time    time.Time // when the target saw it
	Initial bool      // sent before the target's sync_response: the state at subscription time
	Deleted bool      // the interface (or leaf) went away
	// Err, on the last event before the channel closes, is why the
	// subscription ended (not set when ctx was canceled).
	Err error
}

// SubscribeOperStatus streams the oper-status of the named interfaces (all
// of them when none is named) with an ON_CHANGE subscription. It returns
// once the target has sent the current values (the first events, Initial
// set) or failed. The channel closes when ctx ends or the stream fails;
// cancel ctx to end the subscription.
func (c *Client) SubscribeOperStatus(ctx context.Context, names ...string) (<-chan Event, error) {
	return c.subscribeStatus(ctx, []string{"oper-status"}, names)
}

// SubscribeStatus is SubscribeOperStatus for both oper-status and
// admin-status.
func (c *Client) SubscribeStatus(ctx context.Context, names ...string) (<-chan Event, error) {
	return c.subscribeStatus(ctx, []string{"oper-status", "admin-status"}, names)
}

func (c *Client) subscribeStatus(ctx context.Context, leaves, names []string) (<-chan Event, error) {
	if len(names) == 0 {
		names = []string{"*"}
	}
	sl := &gpb.SubscriptionList{Prefix: c.prefix(), Mode: gpb.SubscriptionList_STREAM, Encoding: gpb.Encoding_PROTO}
	for _, n := range names {
		for _, l := range leaves {
			sl.Subscription = append(sl.Subscription, &gpb.Subscription{
				Path: gnmi.InterfacePath(n, "state", l), Mode: gpb.SubscriptionMode_ON_CHANGE})
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	ok := false
	defer func() {
		if !ok {
			cancel()
		}
	}()
	stream, err := c.g.Subscribe(ctx)
	if err != nil {
		return nil, fmt.Errorf("gnmi client: subscribe: %w", err)
	}
	if err := stream.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: sl}}); err != nil {
		return nil, fmt.Errorf("gnmi client: subscribe: %w", err)
	}
	// Read up to the sync_response here, so that errors surface now.
	var initial []Event
	for synced := false; !synced; {
		r, err := stream.Recv()
		if err != nil {
			return nil, fmt.Errorf("gnmi client: subscribe to %v of %v: %w", leaves, names, err)
		}
		if r.GetSyncResponse() {
			synced = true
			continue
		}
		evs, err := events(r.GetUpdate(), true)
		if err != nil {
			return nil, err
		}
		initial = append(initial, evs...)
	}
	ch := make(chan Event, len(initial)+16)
	for _, e := range initial {
		ch <- e
	}
	ok = true
	go func() {
		defer cancel()
		defer close(ch)
		for {
			r, err := stream.Recv()
			if err != nil {
				if ctx.Err() == nil && !errors.Is(err, io.EOF) {
					select {
					case ch <- Event{Err: fmt.Errorf("gnmi client: subscription ended: %w", err)}:
					case <-ctx.Done():
					}
				}
				return
			}
			evs, err := events(r.GetUpdate(), false)
			if err != nil {
				select {
				case ch <- Event{Err: err}:
				case <-ctx.Done():
				}
				return
			}
			for _, e := range evs {
				select {
				case ch <- e:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return ch, nil
}

// events turns a notification into events.
func events(n *gpb.Notification, initial bool) ([]Event, error) {
	if n == nil {
		return nil, nil
	}
	ts := time.Unix(0, n.GetTimestamp())
	var out []Event
	for _, u := range n.GetUpdate() {
		name, rel, err := ifaceLeaf(n.GetPrefix(), u.GetPath())
		if err != nil {
			return nil, fmt.Errorf("gnmi client: %w", err)
		}
		if len(rel) == 0 {
			continue
		}
		out = append(out, Event{Name: name, Leaf: rel[len(rel)-1], Value: u.GetVal().GetStringVal(), Time: ts, Initial: initial})
	}
	for _, d := range n.GetDelete() {
		name, rel, err := ifaceLeaf(n.GetPrefix(), d)
		if err != nil {
			return nil, fmt.Errorf("gnmi client: %w", err)
		}
		leaf := ""
		if len(rel) > 0 {
			leaf = rel[len(rel)-1]
		}
		out = append(out, Event{Name: name, Leaf: leaf, Time: ts, Initial: initial, Deleted: true})
	}
	return out, nil
}
