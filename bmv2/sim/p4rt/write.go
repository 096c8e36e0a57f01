package p4rt

import (
	"context"
	"errors"
	"fmt"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// journal records how to undo the updates of a ROLLBACK_ON_ERROR batch;
// nil when the batch does not roll back.
type journal struct {
	undo []func()
}

func (j *journal) add(f func()) {
	if j != nil {
		j.undo = append(j.undo, f)
	}
}

// rollback undoes the recorded updates, last first.
func (j *journal) rollback() {
	for i := len(j.undo) - 1; i >= 0; i-- {
		j.undo[i]()
	}
	j.undo = nil
}

// Write applies a WriteRequest (P4Runtime spec section "Write RPC").
// Before any update it checks, in the spec's order, the device id, that
// the client is the primary (PERMISSION_DENIED) and that a pipeline is set
// (FAILED_PRECONDITION); such an error refuses the whole request. Otherwise
// each update is attempted and a *BatchError reports the failed ones.
//
// Atomicity: CONTINUE_ON_ERROR always; ROLLBACK_ON_ERROR in profile spec
// (the first failure undoes the whole batch: that update reports its own
// error, every other one ErrAborted); DATAPLANE_ATOMIC is UNIMPLEMENTED, as
// is ROLLBACK_ON_ERROR in profile bmv2.
func (d *Device) Write(ctx context.Context, req *p4v1.WriteRequest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.checkWriter(req.GetDeviceId(), req.GetRole(), req.GetElectionId()); err != nil {
		return err
	}
	if d.st == nil {
		return errorf(ErrFailedPrecondition, "no forwarding pipeline config set for this device")
	}
	var j *journal
	switch req.GetAtomicity() {
	case p4v1.WriteRequest_CONTINUE_ON_ERROR:
	case p4v1.WriteRequest_ROLLBACK_ON_ERROR:
		if d.profile != ProfileSpec {
			return errorf(ErrUnimplemented, "support for atomic write modes has not been implemented (ROLLBACK_ON_ERROR)")
		}
		j = &journal{}
	case p4v1.WriteRequest_DATAPLANE_ATOMIC:
		return errorf(ErrUnimplemented, "DATAPLANE_ATOMIC writes are not supported")
	default:
		if d.profile == ProfileBMv2 { // PI takes only CONTINUE_ON_ERROR
			return exactf(ErrUnimplemented, "Support for atomic write modes has not been implemented yet")
		}
		return errorf(ErrInvalid, "unknown atomicity %d", req.GetAtomicity())
	}
	st := d.st
	var errs []error
	failed := false
	for i, u := range req.GetUpdates() {
		if err := ctx.Err(); err != nil && j != nil {
			// The client went away: do not half-apply a rollback batch.
			j.rollback()
			return fmt.Errorf("write abandoned: %w", err)
		}
		err := st.apply(u, j)
		if err == nil {
			continue
		}
		if errs == nil {
			errs = make([]error, len(req.GetUpdates()))
		}
		errs[i] = err
		failed = true
		if j != nil {
			j.rollback()
			for k := range errs {
				if k != i {
					errs[k] = errorf(ErrAborted, "update %d not applied: update %d failed and the batch was rolled back", k, i)
				}
			}
			break
		}
	}
	if failed {
		return &BatchError{Errors: errs}
	}
	return nil
}

// apply performs one update.
func (st *state) apply(u *p4v1.Update, j *journal) error {
	typ := u.GetType()
	valid := typ == p4v1.Update_INSERT || typ == p4v1.Update_MODIFY || typ == p4v1.Update_DELETE
	if !valid && st.dev.profile == ProfileBMv2 {
		return st.typeError(u)
	}
	if typ == p4v1.Update_UNSPECIFIED {
		return errorf(ErrInvalid, "update type is not set")
	}
	if typ != p4v1.Update_INSERT && typ != p4v1.Update_MODIFY && typ != p4v1.Update_DELETE {
		return errorf(ErrInvalid, "invalid update type %d", typ)
	}
	switch e := u.GetEntity().GetEntity().(type) {
	case *p4v1.Entity_TableEntry:
		return st.writeTable(typ, e.TableEntry, j)
	case *p4v1.Entity_ActionProfileMember:
		return st.writeMember(typ, e.ActionProfileMember, j)
	case *p4v1.Entity_ActionProfileGroup:
		return st.writeGroup(typ, e.ActionProfileGroup, j)
	case *p4v1.Entity_MeterEntry:
		return st.writeMeter(typ, e.MeterEntry, j)
	case *p4v1.Entity_DirectMeterEntry:
		return st.writeDirectMeter(typ, e.DirectMeterEntry, j)
	case *p4v1.Entity_CounterEntry:
		return st.writeCounter(typ, e.CounterEntry, j)
	case *p4v1.Entity_DirectCounterEntry:
		return st.writeDirectCounter(typ, e.DirectCounterEntry, j)
	case *p4v1.Entity_PacketReplicationEngineEntry:
		return st.writePRE(typ, e.PacketReplicationEngineEntry, j)
	case *p4v1.Entity_ValueSetEntry:
		return st.writeValueSet(typ, e.ValueSetEntry, j)
	case *p4v1.Entity_RegisterEntry:
		return st.writeRegister(typ, e.RegisterEntry, j)
	case *p4v1.Entity_DigestEntry:
		return st.writeDigest(typ, e.DigestEntry, j)
	case *p4v1.Entity_ExternEntry:
		return errorf(ErrUnimplemented, "extern entries are not supported")
	default:
		if st.dev.profile == ProfileSpec {
			return errorf(ErrInvalid, "update without an entity")
		}
		return errorf(ErrUnknown, "incorrect entity type")
	}
}

// targetErr wraps an error of the Program: ErrExhausted passes through,
// anything else is a target error (UNKNOWN, as PI reports them).
func targetErr(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if errors.Is(err, ErrExhausted) || errors.Is(err, ErrUnknown) {
		return fmt.Errorf("%s: %w", msg, err)
	}
	return fmt.Errorf("%s: target: %v: %w", msg, err, ErrUnknown)
}
