package snapshot

import (
	"context"
	"fmt"
	"iter"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/entity"
)

// RawReader is a Reader that can also yield entities in wire form,
// undecoded (*client.Client is one).
type RawReader interface {
	ReadRaw(ctx context.Context, filters ...*p4v1.Entity) iter.Seq2[[]byte, error]
}

// Cell is one counter or register cell of a Cells read. Entity decodes it
// whole, for when it must be written; both it and the Value of the Cell are
// only valid until the iteration moves on.
type Cell struct {
	entity.Cell
	raw []byte       // wire form, when read raw
	ent *p4v1.Entity // else the entity
}

// Entity is the whole entity of the cell.
func (c Cell) Entity() (*p4v1.Entity, error) {
	if c.ent != nil {
		return c.ent, nil
	}
	e := &p4v1.Entity{}
	if err := proto.Unmarshal(c.raw, e); err != nil {
		return nil, fmt.Errorf("%w: %v", entity.ErrMalformed, err)
	}
	return e, nil
}

// CellsOf reports whether the cells of a request's kind can be read with
// Cells: indirect counters and registers.
func CellsOf(k entity.Kind) bool { return k == entity.KindCounter || k == entity.KindRegister }

// Cells streams the cells of a counter or register request, as Read does
// its entities. From a RawReader they are decoded from the wire without
// building an entity each. A cell that an entity.Cell cannot stand for (a
// register of a struct type) comes with Kind zero: take its Entity. An
// error ends the stream and names the request.
func Cells(ctx context.Context, r Reader, req Request) iter.Seq2[Cell, error] {
	return func(yield func(Cell, error) bool) {
		raw, ok := r.(RawReader)
		if !ok {
			for e, err := range Read(ctx, r, req) {
				if err != nil {
					yield(Cell{}, err)
					return
				}
				c, _ := entity.CellOf(e)
				if !yield(Cell{Cell: c, ent: e}, nil) {
					return
				}
			}
			return
		}
		for b, err := range raw.ReadRaw(ctx, req.Filter) {
			if err != nil {
				yield(Cell{}, fmt.Errorf("reading %s: %w", req.Name(), err))
				return
			}
			c, ok, err := entity.DecodeCell(b)
			if err != nil {
				yield(Cell{}, fmt.Errorf("reading %s: %w", req.Name(), err))
				return
			}
			cell := Cell{Cell: c, raw: b}
			if !ok {
				e, err := cell.Entity()
				if err != nil {
					yield(Cell{}, fmt.Errorf("reading %s: %w", req.Name(), err))
					return
				}
				cell = Cell{ent: e}
				cell.Cell, _ = entity.CellOf(e)
				if entity.KindOf(e) != req.Kind {
					continue
				}
			} else if c.Kind != req.Kind {
				continue
			}
			if !yield(cell, nil) {
				return
			}
		}
	}
}
