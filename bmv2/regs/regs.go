package regs

import (
	"context"
	"errors"
	"fmt"
	"iter"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/info"
)

// Thrift is the part of bmv2's Thrift API registers need
// (*thrift.Client is one).
type Thrift interface {
	RegisterReadAll(ctx context.Context, name string) ([]int64, error)
	RegisterWrite(ctx context.Context, name string, index int32, value int64) error
}

// P4Reader is a streaming P4Runtime reader (*client.Client is one).
type P4Reader interface {
	Read(ctx context.Context, filters ...*p4v1.Entity) iter.Seq2[*p4v1.Entity, error]
}

// ErrTooWide reports a register wider than the 64 bits Thrift carries.
var ErrTooWide = errors.New("register wider than 64 bits cannot travel over bmv2's Thrift API")

// Reader reads through P4Runtime, and reads registers over Thrift when
// P4Runtime answers UNIMPLEMENTED for them (or always, with Always). It is
// a drop-in P4Reader.
type Reader struct {
	P4     P4Reader
	Thrift Thrift
	Info   *info.Info
	Always bool // skip the P4Runtime attempt for registers
}

// Read serves each filter: register filters over Thrift when needed, the
// rest over P4Runtime.
func (r *Reader) Read(ctx context.Context, filters ...*p4v1.Entity) iter.Seq2[*p4v1.Entity, error] {
	return route(r, filters,
		func(f *p4v1.Entity) iter.Seq2[*p4v1.Entity, error] { return r.P4.Read(ctx, f) },
		func(f *p4v1.RegisterEntry) iter.Seq2[*p4v1.Entity, error] { return r.thriftRead(ctx, f) })
}

// RawP4Reader is a P4Reader that can also stream entities in wire form
// (*client.Client is one).
type RawP4Reader interface {
	ReadRaw(ctx context.Context, filters ...*p4v1.Entity) iter.Seq2[[]byte, error]
}

// ReadRaw is Read with each entity in wire form (a snapshot.RawReader):
// as P4Runtime sent it when P4 is a RawP4Reader, and marshalled from the
// values where registers travel over Thrift (or P4 cannot read raw), so
// that counter arrays keep their fast path on bmv2.
func (r *Reader) ReadRaw(ctx context.Context, filters ...*p4v1.Entity) iter.Seq2[[]byte, error] {
	p4 := func(f *p4v1.Entity) iter.Seq2[[]byte, error] { return marshalled(r.P4.Read(ctx, f)) }
	if raw, ok := r.P4.(RawP4Reader); ok {
		p4 = func(f *p4v1.Entity) iter.Seq2[[]byte, error] { return raw.ReadRaw(ctx, f) }
	}
	return route(r, filters, p4,
		func(f *p4v1.RegisterEntry) iter.Seq2[[]byte, error] { return marshalled(r.thriftRead(ctx, f)) })
}

// route serves each filter in turn from p4, or a register filter from
// thrift when P4Runtime answers UNIMPLEMENTED (before yielding anything)
// or when r.Always says not to try P4Runtime.
func route[T any](r *Reader, filters []*p4v1.Entity, p4 func(*p4v1.Entity) iter.Seq2[T, error], thrift func(*p4v1.RegisterEntry) iter.Seq2[T, error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, f := range filters {
			re := f.GetRegisterEntry()
			if re == nil || r.Thrift == nil {
				for e, err := range p4(f) {
					if !yield(e, err) || err != nil {
						return
					}
				}
				continue
			}
			if !r.Always {
				fellBack := false
				for e, err := range p4(f) {
					if err != nil && status.Code(err) == codes.Unimplemented {
						fellBack = true
						break
					}
					if !yield(e, err) || err != nil {
						return
					}
				}
				if !fellBack {
					continue
				}
			}
			for e, err := range thrift(re) {
				if !yield(e, err) || err != nil {
					return
				}
			}
		}
	}
}

// marshalled turns a stream of entities into their wire form.
func marshalled(entities iter.Seq2[*p4v1.Entity, error]) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		for e, err := range entities {
			if err != nil {
				yield(nil, err)
				return
			}
			b, err := proto.Marshal(e)
			if err != nil {
				yield(nil, fmt.Errorf("encoding %v: %w", e, err))
				return
			}
			if !yield(b, nil) {
				return
			}
		}
	}
}

func (r *Reader) thriftRead(ctx context.Context, f *p4v1.RegisterEntry) iter.Seq2[*p4v1.Entity, error] {
	return func(yield func(*p4v1.Entity, error) bool) {
		regs := r.Info.Registers
		if f.RegisterId != 0 {
			reg := r.Info.Register(f.RegisterId)
			if reg == nil {
				yield(nil, fmt.Errorf("register 0x%08x: not in the P4Info", f.RegisterId))
				return
			}
			regs = []*info.Register{reg}
		}
		for _, reg := range regs {
			if reg.Width > 64 || reg.Width == 0 {
				yield(nil, fmt.Errorf("register %s (%d bits): %w", reg.Name, reg.Width, ErrTooWide))
				return
			}
			vals, err := r.Thrift.RegisterReadAll(ctx, reg.Name)
			if err != nil {
				yield(nil, fmt.Errorf("register %s over Thrift: %w", reg.Name, err))
				return
			}
			for i, v := range vals {
				if f.Index != nil && int64(i) != f.Index.Index {
					continue
				}
				e := &p4v1.Entity{Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: &p4v1.RegisterEntry{
					RegisterId: reg.ID, Index: &p4v1.Index{Index: int64(i)},
					Data: &p4v1.P4Data{Data: &p4v1.P4Data_Bitstring{Bitstring: fromInt64(v, reg.Width)}}}}}
				if !yield(e, nil) {
					return
				}
			}
		}
	}
}

// fromInt64 turns a Thrift register value into a canonical bit<width>
// bytestring (two's complement bits, masked to the width).
func fromInt64(v int64, width int) []byte {
	u := uint64(v)
	if width < 64 {
		u &= 1<<width - 1
	}
	return canon.FromUint64(u)
}

// Writer writes register entities over Thrift.
type Writer struct {
	Thrift Thrift
	Info   *info.Info
}

// WriteRegister writes one register cell (a RegisterEntry with an index and
// bitstring data).
func (w *Writer) WriteRegister(ctx context.Context, e *p4v1.Entity) error {
	re := e.GetRegisterEntry()
	if re == nil {
		return errors.New("regs: not a register entry")
	}
	reg := w.Info.Register(re.RegisterId)
	if reg == nil {
		return fmt.Errorf("register 0x%08x: not in the P4Info", re.RegisterId)
	}
	if reg.Width > 64 || reg.Width == 0 {
		return fmt.Errorf("register %s (%d bits): %w", reg.Name, reg.Width, ErrTooWide)
	}
	if re.Index == nil || re.Index.Index < 0 || re.Index.Index >= int64(reg.Size) {
		return fmt.Errorf("register %s: index %v out of range [0, %d)", reg.Name, re.GetIndex(), reg.Size)
	}
	bs := re.GetData().GetBitstring()
	if err := canon.Check(bs, reg.Width); err != nil {
		return fmt.Errorf("register %s[%d]: %w", reg.Name, re.Index.Index, err)
	}
	v, _ := canon.ToUint64(bs)
	if err := w.Thrift.RegisterWrite(ctx, reg.Name, int32(re.Index.Index), int64(v)); err != nil {
		return fmt.Errorf("register %s[%d] over Thrift: %w", reg.Name, re.Index.Index, err)
	}
	return nil
}
