package p4rt

import (
	"bytes"
	"context"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/entity"
)

// emitter receives the entities of a read.
type emitter interface {
	// entity adds one entity; the reply owns it afterwards.
	entity(e *p4v1.Entity) error
	// stored adds a table entry kept marshalled in a slot (decoded when
	// the caller has it decoded already, else nil), with the optional
	// parts a request asks for (nil when not asked).
	stored(data []byte, decoded *p4v1.TableEntry, counter *p4v1.CounterData, idle *p4v1.TableEntry_IdleTimeout) error
	// register and counter add one cell of an array (value is canonical,
	// and only read during the call).
	register(id uint32, index int64, value []byte) error
	counter(id uint32, index int64, d *p4v1.CounterData) error
}

// Field numbers of the wire form that reply writes by hand.
var (
	readResponseEntities = entity.FieldNumber(&p4v1.ReadResponse{}, "entities")
	entityTableEntry     = entity.FieldNumber(&p4v1.Entity{}, "table_entry")
	tableCounterData     = entity.FieldNumber(&p4v1.TableEntry{}, "counter_data")
	tableTimeSinceHit    = entity.FieldNumber(&p4v1.TableEntry{}, "time_since_last_hit")
	entityRegister       = entity.FieldNumber(&p4v1.Entity{}, "register_entry")
	entityCounter        = entity.FieldNumber(&p4v1.Entity{}, "counter_entry")
	cellArrayID          = entity.FieldNumber(&p4v1.RegisterEntry{}, "register_id") // = CounterEntry.counter_id
	cellIndex            = entity.FieldNumber(&p4v1.RegisterEntry{}, "index")       // = CounterEntry.index
	cellData             = entity.FieldNumber(&p4v1.RegisterEntry{}, "data")        // = CounterEntry.data
	indexIndex           = entity.FieldNumber(&p4v1.Index{}, "index")
	dataBitstring        = entity.FieldNumber(&p4v1.P4Data{}, "bitstring")
	counterBytes         = entity.FieldNumber(&p4v1.CounterData{}, "byte_count")
	counterPackets       = entity.FieldNumber(&p4v1.CounterData{}, "packet_count")
)

func init() {
	// Cells are written by hand on the assumption that counter and
	// register entries number their fields alike.
	if entity.FieldNumber(&p4v1.CounterEntry{}, "counter_id") != cellArrayID || entity.FieldNumber(&p4v1.CounterEntry{}, "index") != cellIndex ||
		entity.FieldNumber(&p4v1.CounterEntry{}, "data") != cellData {
		panic("p4rt: CounterEntry and RegisterEntry number their fields differently")
	}
}

// reply gathers the entities of one Read into ReadResponses of at most
// chunk entities (0: one response for the whole read, as PI answers).
//
// In wire mode (the gRPC server's), a stored table entry goes out as the
// bytes its slot already holds, without being decoded and encoded again:
// the response carries its entities pre-marshalled, in order, as its
// unknown fields, which protobuf writes out verbatim, so the client
// receives ordinary repeated entities. Entities built as protos are
// marshalled in runs between stored ones. In-process callers get protos.
type reply struct {
	ctx   context.Context
	send  func(*p4v1.ReadResponse) error
	chunk int
	wire  bool

	ents    []*p4v1.Entity
	buf     []byte
	n       int
	sendErr error // the first error send returned
}

func (r *reply) entity(e *p4v1.Entity) error {
	r.ents = append(r.ents, e)
	return r.added()
}

// marshalEntities moves the entities gathered as protos to buf, in one
// marshal (a ReadResponse holding only them is their repeated field).
func (r *reply) marshalEntities() error {
	if len(r.ents) == 0 {
		return nil
	}
	var err error
	r.buf, err = marshalOpts.MarshalAppend(r.buf, &p4v1.ReadResponse{Entities: r.ents})
	if err != nil {
		return errorf(ErrInternal, "marshal read entities: %v", err)
	}
	r.ents = r.ents[:0]
	return nil
}

func (r *reply) stored(data []byte, e *p4v1.TableEntry, counter *p4v1.CounterData, idle *p4v1.TableEntry_IdleTimeout) error {
	if !r.wire {
		if e == nil {
			var err error
			if e, err = decodeEntry(data); err != nil {
				return err
			}
		}
		e.CounterData, e.TimeSinceLastHit = counter, idle
		return r.entity(&p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: e}})
	}
	if err := r.marshalEntities(); err != nil { // they come first
		return err
	}
	// Appending fields to a marshalled message sets them (the slot holds
	// neither field).
	te := len(data)
	var extra []byte
	if counter != nil {
		extra = appendMessage(extra, tableCounterData, counter)
	}
	if idle != nil {
		extra = appendMessage(extra, tableTimeSinceHit, idle)
	}
	te += len(extra)
	ent := protowire.SizeTag(entityTableEntry) + protowire.SizeBytes(te)
	r.buf = protowire.AppendTag(r.buf, readResponseEntities, protowire.BytesType)
	r.buf = protowire.AppendVarint(r.buf, uint64(ent))
	r.buf = protowire.AppendTag(r.buf, entityTableEntry, protowire.BytesType)
	r.buf = protowire.AppendVarint(r.buf, uint64(te))
	r.buf = append(r.buf, data...)
	r.buf = append(r.buf, extra...)
	return r.added()
}

// register adds a register cell. In wire mode it is written as protobuf
// would marshal RegisterEntry{register_id, index{index}, data{bitstring}},
// without building one.
func (r *reply) register(id uint32, index int64, value []byte) error {
	if !r.wire {
		return r.entity(&p4v1.Entity{Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: &p4v1.RegisterEntry{
			RegisterId: id, Index: &p4v1.Index{Index: index}, Data: &p4v1.P4Data{Data: &p4v1.P4Data_Bitstring{Bitstring: bytes.Clone(value)}}}}})
	}
	data := protowire.SizeTag(dataBitstring) + protowire.SizeBytes(len(value))
	return r.cell(entityRegister, id, index, data, func(b []byte) []byte {
		b = protowire.AppendTag(b, dataBitstring, protowire.BytesType)
		return protowire.AppendBytes(b, value)
	})
}

// counter adds a counter cell, in wire mode written by hand as register is.
func (r *reply) counter(id uint32, index int64, d *p4v1.CounterData) error {
	if !r.wire || d == nil || len(d.ProtoReflect().GetUnknown()) > 0 {
		return r.entity(&p4v1.Entity{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{
			CounterId: id, Index: &p4v1.Index{Index: index}, Data: d}}})
	}
	data := 0
	if d.ByteCount != 0 {
		data += protowire.SizeTag(counterBytes) + protowire.SizeVarint(uint64(d.ByteCount))
	}
	if d.PacketCount != 0 {
		data += protowire.SizeTag(counterPackets) + protowire.SizeVarint(uint64(d.PacketCount))
	}
	return r.cell(entityCounter, id, index, data, func(b []byte) []byte {
		if d.ByteCount != 0 {
			b = protowire.AppendTag(b, counterBytes, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(d.ByteCount))
		}
		if d.PacketCount != 0 {
			b = protowire.AppendTag(b, counterPackets, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(d.PacketCount))
		}
		return b
	})
}

// cell appends Entity{kind: {id, index{index}, data}} whose data takes
// dataSize bytes that appendData writes.
func (r *reply) cell(kind protowire.Number, id uint32, index int64, dataSize int, appendData func([]byte) []byte) error {
	if err := r.marshalEntities(); err != nil {
		return err
	}
	idx := 0
	if index != 0 {
		idx = protowire.SizeTag(indexIndex) + protowire.SizeVarint(uint64(index))
	}
	entry := protowire.SizeTag(cellIndex) + protowire.SizeBytes(idx) + protowire.SizeTag(cellData) + protowire.SizeBytes(dataSize)
	if id != 0 {
		entry += protowire.SizeTag(cellArrayID) + protowire.SizeVarint(uint64(id))
	}
	ent := protowire.SizeTag(kind) + protowire.SizeBytes(entry)
	b := r.buf
	b = protowire.AppendTag(b, readResponseEntities, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(ent))
	b = protowire.AppendTag(b, kind, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(entry))
	if id != 0 {
		b = protowire.AppendTag(b, cellArrayID, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(id))
	}
	b = protowire.AppendTag(b, cellIndex, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(idx))
	if index != 0 {
		b = protowire.AppendTag(b, indexIndex, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(index))
	}
	b = protowire.AppendTag(b, cellData, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(dataSize))
	r.buf = appendData(b)
	return r.added()
}

func appendMessage(b []byte, n protowire.Number, m proto.Message) []byte {
	b = protowire.AppendTag(b, n, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(marshalOpts.Size(m)))
	b, _ = marshalOpts.MarshalAppend(b, m) // messages built here always marshal
	return b
}

// added counts an entity and sends a full chunk.
func (r *reply) added() error {
	r.n++
	if r.chunk > 0 && r.n >= r.chunk {
		if err := r.flush(false); err != nil {
			return err
		}
	}
	return r.ctx.Err()
}

// flush sends what is gathered; with always, even an empty response.
func (r *reply) flush(always bool) error {
	if r.sendErr != nil {
		return r.sendErr
	}
	if r.n == 0 && !always {
		return nil
	}
	resp := &p4v1.ReadResponse{Entities: r.ents}
	if r.wire && len(r.buf) > 0 {
		// All in buf, in order.
		if err := r.marshalEntities(); err != nil {
			return err
		}
		resp.Entities = nil
		resp.ProtoReflect().SetUnknown(r.buf)
	}
	r.ents, r.n = nil, 0
	if r.wire {
		// gRPC has encoded resp once send returns: buf serves the next
		// chunk.
		defer func() { r.buf = r.buf[:0] }()
	} else {
		r.buf = nil
	}
	if err := r.send(resp); err != nil {
		r.sendErr = err
		return err
	}
	return nil
}
