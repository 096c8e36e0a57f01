package p4rt

import (
	"context"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// savedForwardingState reads what PI's RECONCILE_AND_COMMIT keeps
// (DeviceMgr::save_forwarding_state): one read of every action-profile
// member, every group, every table entry (without direct resources or
// default entries), every meter cell and every counter cell, in that
// order, with bmv2's read semantics. A read that fails fails the push
// with its own error (a one-shot selector's members, say), before the
// pipeline changes.
func (st *state) savedForwardingState() ([]*p4v1.Entity, error) {
	var ents []*p4v1.Entity
	collect := &reply{ctx: context.Background(), send: func(r *p4v1.ReadResponse) error {
		ents = append(ents, r.Entities...)
		return nil
	}}
	for _, r := range []*p4v1.Entity{
		{Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{}}},
		{Entity: &p4v1.Entity_ActionProfileGroup{ActionProfileGroup: &p4v1.ActionProfileGroup{}}},
		{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{}}},
		{Entity: &p4v1.Entity_MeterEntry{MeterEntry: &p4v1.MeterEntry{}}},
		{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{}}},
	} {
		if err := st.readEntity(r, collect); err != nil {
			return nil, err
		}
	}
	if err := collect.flush(false); err != nil {
		return nil, err
	}
	return ents, nil
}

// replay writes the saved state into the new pipeline's state as PI does:
// every entity as an INSERT, in one batch that continues on error. PI
// inserts meter and counter cells too, which INSERT refuses, so a program
// with indirect meters or counters never reconciles cleanly on bmv2. Any
// failure is UNKNOWN "Error when reconciling config"; the new pipeline
// stays, with what was replayed.
func (st *state) replay(saved []*p4v1.Entity) error {
	failed := false
	for _, e := range saved {
		if err := st.apply(&p4v1.Update{Type: p4v1.Update_INSERT, Entity: e}, nil); err != nil {
			failed = true
		}
	}
	if failed {
		return exactf(ErrUnknown, "Error when reconciling config")
	}
	return nil
}
