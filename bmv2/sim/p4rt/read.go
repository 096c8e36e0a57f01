package p4rt

import (
	"context"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// Read answers a ReadRequest (spec section "Read RPC"), calling send with
// each ReadResponse. The state is locked against writes for the whole read.
//
// Profile bmv2 answers as PI: every entity in one ReadResponse; the first
// entity that fails ends the read with its error, after the entities read
// so far were sent. Profile spec streams responses of at most ReadChunk
// entities and reads every entity; failures come back as a *ReadError (one
// error per requested entity, gRPC UNKNOWN with p4.v1.Error details).
func (d *Device) Read(ctx context.Context, req *p4v1.ReadRequest, send func(*p4v1.ReadResponse) error) error {
	return d.read(ctx, req, send, false)
}

// ReadWire is Read for a gRPC server: the responses carry their entities
// already marshalled, as unknown fields (see reply), so they are only
// fit to be sent on the wire, and only until send returns (the next
// response reuses their bytes): send must have encoded its response by
// then, as a gRPC stream's Send has.
func (d *Device) ReadWire(ctx context.Context, req *p4v1.ReadRequest, send func(*p4v1.ReadResponse) error) error {
	return d.read(ctx, req, send, true)
}

func (d *Device) read(ctx context.Context, req *p4v1.ReadRequest, send func(*p4v1.ReadResponse) error, wire bool) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if req.GetDeviceId() != d.id {
		if d.profile == ProfileSpec {
			return errorf(ErrNotFound, "device %d is not known (this is device %d)", req.GetDeviceId(), d.id)
		}
		return errorf(ErrFailedPrecondition, "no forwarding pipeline config set for device %d", req.GetDeviceId())
	}
	if d.st == nil {
		return errorf(ErrFailedPrecondition, "no forwarding pipeline config set for this device")
	}
	st := d.st
	if d.profile != ProfileSpec {
		r := &reply{ctx: ctx, send: send, wire: wire}
		var rerr error
		for _, e := range req.GetEntities() {
			if rerr = st.readEntity(e, r); rerr != nil {
				break
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.flush(true); err != nil {
			return err
		}
		return rerr
	}
	r := &reply{ctx: ctx, send: send, chunk: d.opts.ReadChunk, wire: wire}
	var errs []error
	for i, e := range req.GetEntities() {
		err := st.readEntity(e, r)
		if r.sendErr != nil {
			return r.sendErr
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err != nil {
			if errs == nil {
				errs = make([]error, len(req.GetEntities()))
			}
			errs[i] = err
		}
	}
	if err := r.flush(false); err != nil {
		return err
	}
	if errs != nil {
		return &ReadError{Errors: errs}
	}
	return nil
}

// readEntity reads what one entity of a ReadRequest selects.
func (st *state) readEntity(e *p4v1.Entity, emit emitter) error {
	switch x := e.GetEntity().(type) {
	case *p4v1.Entity_TableEntry:
		return st.readTables(x.TableEntry, emit)
	case *p4v1.Entity_ActionProfileMember:
		return st.readMembers(x.ActionProfileMember, emit)
	case *p4v1.Entity_ActionProfileGroup:
		return st.readGroups(x.ActionProfileGroup, emit)
	case *p4v1.Entity_MeterEntry:
		return st.readMeters(x.MeterEntry, emit)
	case *p4v1.Entity_DirectMeterEntry:
		return st.readDirectMeters(x.DirectMeterEntry, emit)
	case *p4v1.Entity_CounterEntry:
		return st.readCounters(x.CounterEntry, emit)
	case *p4v1.Entity_DirectCounterEntry:
		return st.readDirectCounters(x.DirectCounterEntry, emit)
	case *p4v1.Entity_PacketReplicationEngineEntry:
		return st.readPRE(x.PacketReplicationEngineEntry, emit)
	case *p4v1.Entity_ValueSetEntry:
		return st.readValueSets(x.ValueSetEntry, emit)
	case *p4v1.Entity_RegisterEntry:
		return st.readRegisters(x.RegisterEntry, emit)
	case *p4v1.Entity_DigestEntry:
		return st.readDigests(x.DigestEntry, emit)
	case *p4v1.Entity_ExternEntry:
		return errorf(ErrUnimplemented, "extern entries are not supported")
	}
	if st.dev.profile == ProfileSpec {
		return errorf(ErrInvalid, "read of an entity with no type set (the entity oneof must be set)")
	}
	return errorf(ErrUnknown, "incorrect entity type")
}
