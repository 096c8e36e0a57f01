package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// Read streams the entities the given filters select (spec section "Read
// RPC"; a filter with default key fields is a wildcard). It returns an
// iterator that sends the request when ranged over and yields entities as
// each ReadResponse arrives, holding no more than one response at a time.
// Breaking out of the loop cancels the RPC. An error is yielded once, as the
// last pair, with a nil entity: a *ReadError when the server answered
// UNKNOWN with per-request p4.v1.Error details (the entities of the other
// requests were yielded), else the RPC's error.
//
// The request carries the client's device id and role.
func (c *Client) Read(ctx context.Context, entities ...*p4v1.Entity) iter.Seq2[*p4v1.Entity, error] {
	return func(yield func(*p4v1.Entity, error) bool) {
		if len(entities) == 0 {
			yield(nil, c.errorf("read", errors.New("no entity filter given")))
			return
		}
		for i, e := range entities {
			if e == nil {
				yield(nil, c.errorf("read", fmt.Errorf("entity filter %d is nil", i)))
				return
			}
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := c.p4.Read(ctx, &p4v1.ReadRequest{DeviceId: c.deviceID, Role: c.role, Entities: entities})
		if err != nil {
			yield(nil, c.errorf("read", err))
			return
		}
		for {
			resp, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(nil, c.readError(err, entities))
				return
			}
			for _, e := range resp.GetEntities() {
				if !yield(e, nil) {
					return
				}
			}
		}
	}
}

// ReadAll collects what [Client.Read] yields. On error it returns the
// entities received before it.
func (c *Client) ReadAll(ctx context.Context, entities ...*p4v1.Entity) ([]*p4v1.Entity, error) {
	var out []*p4v1.Entity
	for e, err := range c.Read(ctx, entities...) {
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

// readError turns a Read's final status into a *ReadError when it carries
// per-request details, else wraps it.
func (c *Client) readError(err error, entities []*p4v1.Entity) error {
	items, derr := DecodeBatchError(err, len(entities))
	if derr != nil {
		return c.errorf("read", err)
	}
	re := &ReadError{Total: len(entities)}
	for i, it := range items {
		if it != nil {
			re.Failures = append(re.Failures, ReadFailure{Index: i, Entity: entities[i], Err: it})
		}
	}
	return c.errorf("read", re)
}
