package entity

import (
	"encoding/binary"
	"fmt"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/lime-p4/lime/p4/canon"
)

// Cell is one cell of an indirect counter or register array: its array,
// index and value in a comparable form. Arrays hold cells by the ten
// thousand, most of them alike on two devices; a Cell decoded from the wire
// (DecodeCell) lets a reader compare them without building an entity each.
type Cell struct {
	Kind  Kind // KindCounter or KindRegister
	ID    uint32
	Index int64
	// Value is CellValue of the cell's data.
	Value []byte
}

// CellValue is a counter cell's or register cell's value in comparable
// form: a counter's byte and packet counts (16 bytes, big-endian; no data
// reads as zero), a register's bitstring in canonical form. ok is false for
// other entities, and for a register holding another kind of P4Data.
func CellValue(e *p4v1.Entity) (v []byte, ok bool) {
	switch x := e.GetEntity().(type) {
	case *p4v1.Entity_CounterEntry:
		d := x.CounterEntry.GetData()
		return counterValue(d.GetByteCount(), d.GetPacketCount()), true
	case *p4v1.Entity_RegisterEntry:
		if bs, ok := x.RegisterEntry.GetData().GetData().(*p4v1.P4Data_Bitstring); ok {
			return canon.Canonical(bs.Bitstring), true
		}
	}
	return nil, false
}

func counterValue(bytes, packets int64) []byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(bytes))
	binary.BigEndian.PutUint64(b[8:], uint64(packets))
	return b[:]
}

// CellOf gives e as a Cell; ok is false when CellValue has none.
func CellOf(e *p4v1.Entity) (c Cell, ok bool) {
	v, ok := CellValue(e)
	if !ok {
		return Cell{}, false
	}
	switch x := e.GetEntity().(type) {
	case *p4v1.Entity_CounterEntry:
		return Cell{Kind: KindCounter, ID: x.CounterEntry.CounterId, Index: x.CounterEntry.GetIndex().GetIndex(), Value: v}, true
	case *p4v1.Entity_RegisterEntry:
		return Cell{Kind: KindRegister, ID: x.RegisterEntry.RegisterId, Index: x.RegisterEntry.GetIndex().GetIndex(), Value: v}, true
	}
	return Cell{}, false
}

// Field numbers DecodeCell reads, from the generated descriptors.
var (
	fEntityCounter  = FieldNumber(&p4v1.Entity{}, "counter_entry")
	fEntityRegister = FieldNumber(&p4v1.Entity{}, "register_entry")
	fCounterID      = FieldNumber(&p4v1.CounterEntry{}, "counter_id")
	fCounterIndex   = FieldNumber(&p4v1.CounterEntry{}, "index")
	fCounterData    = FieldNumber(&p4v1.CounterEntry{}, "data")
	fRegisterID     = FieldNumber(&p4v1.RegisterEntry{}, "register_id")
	fRegisterIndex  = FieldNumber(&p4v1.RegisterEntry{}, "index")
	fRegisterData   = FieldNumber(&p4v1.RegisterEntry{}, "data")
	fIndex          = FieldNumber(&p4v1.Index{}, "index")
	fByteCount      = FieldNumber(&p4v1.CounterData{}, "byte_count")
	fPacketCount    = FieldNumber(&p4v1.CounterData{}, "packet_count")
	fBitstring      = FieldNumber(&p4v1.P4Data{}, "bitstring")
)

// FieldNumber is the number of field name of message m, from its generated
// descriptor, for code that reads or writes the wire form by hand. It
// panics when m has no such field (a programming error).
func FieldNumber(m proto.Message, name string) protowire.Number {
	f := m.ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(name))
	if f == nil {
		panic(fmt.Sprintf("%s has no field %s", m.ProtoReflect().Descriptor().FullName(), name))
	}
	return f.Number()
}

// DecodeCell reads a counter or register cell from an Entity in wire form,
// building nothing. ok is false when b is another entity, or a cell a Cell
// cannot stand for (a register of another P4Data than a bitstring, a field
// this version does not know): decode the entity whole then. A register's
// Value may alias b.
func DecodeCell(b []byte) (c Cell, ok bool, err error) {
	var w walker
	ok = w.fields(b, func(n protowire.Number, typ protowire.Type, v []byte, _ uint64) bool {
		switch {
		case n == fEntityCounter && typ == protowire.BytesType:
			c.Kind = KindCounter
			return w.counter(v, &c)
		case n == fEntityRegister && typ == protowire.BytesType:
			c.Kind = KindRegister
			return w.register(v, &c)
		}
		return false
	})
	if w.err != nil {
		return Cell{}, false, fmt.Errorf("%w: cell: %v", ErrMalformed, w.err)
	}
	if !ok || c.Kind == KindUnknown {
		return Cell{}, false, nil
	}
	return c, true, nil
}

// walker walks messages in wire form, keeping the first parse error.
type walker struct{ err error }

// fields calls f with each field of b: its number, type and value (v for
// length-delimited fields, x for varints). f returns false for a field it
// does not take, which ends the walk; fields then returns false, as it
// does for malformed data (w.err says so).
func (w *walker) fields(b []byte, f func(n protowire.Number, typ protowire.Type, v []byte, x uint64) bool) bool {
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			w.err = protowire.ParseError(l)
			return false
		}
		b = b[l:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, l = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v, l = protowire.ConsumeBytes(b)
		default:
			l = protowire.ConsumeFieldValue(n, typ, b)
		}
		if l < 0 {
			w.err = protowire.ParseError(l)
			return false
		}
		b = b[l:]
		if !f(n, typ, v, x) {
			return false
		}
	}
	return true
}

func (w *walker) counter(b []byte, c *Cell) bool {
	var bytes, packets int64
	ok := w.fields(b, func(n protowire.Number, typ protowire.Type, v []byte, x uint64) bool {
		switch {
		case n == fCounterID && typ == protowire.VarintType:
			c.ID = uint32(x)
			return true
		case n == fCounterIndex && typ == protowire.BytesType:
			return w.index(v, c)
		case n == fCounterData && typ == protowire.BytesType:
			// A repeated message field merges, as protobuf decodes it.
			return w.fields(v, func(n protowire.Number, typ protowire.Type, _ []byte, x uint64) bool {
				switch {
				case n == fByteCount && typ == protowire.VarintType:
					bytes = int64(x)
				case n == fPacketCount && typ == protowire.VarintType:
					packets = int64(x)
				default:
					return false
				}
				return true
			})
		}
		return false
	})
	c.Value = counterValue(bytes, packets)
	return ok
}

func (w *walker) register(b []byte, c *Cell) bool {
	bitstring := false
	ok := w.fields(b, func(n protowire.Number, typ protowire.Type, v []byte, x uint64) bool {
		switch {
		case n == fRegisterID && typ == protowire.VarintType:
			c.ID = uint32(x)
			return true
		case n == fRegisterIndex && typ == protowire.BytesType:
			return w.index(v, c)
		case n == fRegisterData && typ == protowire.BytesType:
			// A repeated message field merges: a later bitstring wins.
			return w.fields(v, func(n protowire.Number, typ protowire.Type, v []byte, _ uint64) bool {
				if n != fBitstring || typ != protowire.BytesType {
					return false // another kind of P4Data
				}
				bitstring, c.Value = true, canon.Canonical(v)
				return true
			})
		}
		return false
	})
	return ok && bitstring
}

func (w *walker) index(b []byte, c *Cell) bool {
	return w.fields(b, func(n protowire.Number, typ protowire.Type, _ []byte, x uint64) bool {
		if n != fIndex || typ != protowire.VarintType {
			return false
		}
		c.Index = int64(x)
		return true
	})
}
