package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protowire"
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
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := c.openRead(ctx, entities)
		if err != nil {
			yield(nil, err)
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

// openRead checks the filters and sends the request.
func (c *Client) openRead(ctx context.Context, entities []*p4v1.Entity, opts ...grpc.CallOption) (p4v1.P4Runtime_ReadClient, error) {
	if len(entities) == 0 {
		return nil, c.errorf("read", errors.New("no entity filter given"))
	}
	for i, e := range entities {
		if e == nil {
			return nil, c.errorf("read", fmt.Errorf("entity filter %d is nil", i))
		}
	}
	stream, err := c.p4.Read(ctx, &p4v1.ReadRequest{DeviceId: c.deviceID, Role: c.role, Entities: entities}, opts...)
	if err != nil {
		return nil, c.errorf("read", err)
	}
	return stream, nil
}

// ReadRaw is [Client.Read] yielding each entity in its wire form, undecoded:
// for readers that look at a few fields of many entities (counter and
// register cells) and decode whole entities only where they must. A
// yielded slice is valid until the next iteration.
func (c *Client) ReadRaw(ctx context.Context, entities ...*p4v1.Entity) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := c.openRead(ctx, entities, grpc.ForceCodecV2(rawCodec{}))
		if err != nil {
			yield(nil, err)
			return
		}
		for {
			var resp rawMessage
			err := stream.RecvMsg(&resp)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(nil, c.readError(err, entities))
				return
			}
			for b := []byte(resp); len(b) > 0; {
				v, n, err := nextEntity(b)
				if err != nil {
					yield(nil, c.errorf("read", fmt.Errorf("decode response: %w", err)))
					return
				}
				b = b[n:]
				if v != nil && !yield(v, nil) {
					return
				}
			}
		}
	}
}

// nextEntity reads the next field of a ReadResponse in wire form: an
// entity's bytes, or nil for another field; n is the length consumed.
func nextEntity(b []byte) (v []byte, n int, err error) {
	num, typ, l := protowire.ConsumeTag(b)
	if l < 0 {
		return nil, 0, protowire.ParseError(l)
	}
	if num == readResponseEntities && typ == protowire.BytesType {
		v, m := protowire.ConsumeBytes(b[l:])
		if m < 0 {
			return nil, 0, protowire.ParseError(m)
		}
		return v, l + m, nil
	}
	m := protowire.ConsumeFieldValue(num, typ, b[l:])
	if m < 0 {
		return nil, 0, protowire.ParseError(m)
	}
	return nil, l + m, nil
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
