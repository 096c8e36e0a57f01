package snapshot

import (
	"context"
	"fmt"
	"iter"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/entity"
)

// Reader reads entities selected by filters, streaming the answer
// (*client.Client is one).
type Reader interface {
	Read(ctx context.Context, filters ...*p4v1.Entity) iter.Seq2[*p4v1.Entity, error]
}

// ReadFunc adapts a function to Reader.
type ReadFunc func(ctx context.Context, filters ...*p4v1.Entity) iter.Seq2[*p4v1.Entity, error]

// Read calls f.
func (f ReadFunc) Read(ctx context.Context, filters ...*p4v1.Entity) iter.Seq2[*p4v1.Entity, error] {
	return f(ctx, filters...)
}

// Read streams the entities of one request, leaving out const entries and
// anything of another kind than asked (a server's default entry in an
// entries read, say). An error ends the stream and names the request.
//
// Action-profile members are read once each (entity.Members): bmv2 (PI)
// answers a wildcard read of members with a member once more for every
// unit of weight above 1 it has in a group, and the group, read apart,
// carries the weight.
func Read(ctx context.Context, r Reader, req Request) iter.Seq2[*p4v1.Entity, error] {
	return func(yield func(*p4v1.Entity, error) bool) {
		var members entity.Members
		for e, err := range r.Read(ctx, req.Filter) {
			if err != nil {
				yield(nil, fmt.Errorf("reading %s: %w", req.Name(), err))
				return
			}
			if entity.KindOf(e) != req.Kind || e.GetTableEntry().GetIsConst() {
				continue
			}
			if members.Repeated(e) {
				continue
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}
