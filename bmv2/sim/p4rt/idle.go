package p4rt

//lint:file-ignore SA1019 idle notifications carry controller_metadata (spec section 16.4)

import (
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// hit records a data-plane hit on an entry with a TTL.
func (st *state) hit(tableID uint32, h Handle, now int64) {
	ts := st.tables[tableID]
	if ts == nil || ts.idle == nil {
		return
	}
	st.idleMu.Lock()
	is := ts.idle[h]
	st.idleMu.Unlock()
	if is != nil {
		is.lastHit.Store(now)
	}
}

// scanIdle sends an IdleTimeoutNotification per table for the entries not
// hit for their TTL and restarts their timers (spec section "Table Idle
// Timeout Notification").
func (d *Device) scanIdle(st *state, now time.Time) {
	d.mu.RLock()
	if d.st != st {
		d.mu.RUnlock()
		return
	}
	var out []*p4v1.IdleTimeoutNotification
	for _, t := range st.inf.Tables {
		ts := st.tables[t.ID]
		if ts.idle == nil {
			continue
		}
		var n *p4v1.IdleTimeoutNotification
		st.idleMu.Lock()
		for h, is := range ts.idle {
			last := is.lastHit.Load()
			if now.UnixNano()-last < is.ttl {
				continue
			}
			is.lastHit.Store(now.UnixNano())
			e, err := ts.slots[h-1].entry()
			if err != nil {
				continue
			}
			if n == nil {
				n = &p4v1.IdleTimeoutNotification{Timestamp: now.UnixNano()}
			}
			n.TableEntry = append(n.TableEntry, &p4v1.TableEntry{
				TableId:            e.TableId,
				Match:              e.Match,
				Priority:           e.Priority,
				ControllerMetadata: e.ControllerMetadata,
				Metadata:           e.Metadata,
				IdleTimeoutNs:      e.IdleTimeoutNs,
			})
		}
		st.idleMu.Unlock()
		if n != nil {
			out = append(out, n)
		}
	}
	d.mu.RUnlock()
	for _, n := range out {
		d.arb.sendToPrimary(&p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_IdleTimeoutNotification{IdleTimeoutNotification: n}}, true)
	}
}

// elapsed returns the time since entry h was last hit (0 without a TTL,
// as PI answers).
func (st *state) elapsed(ts *tableState, h Handle, now int64) int64 {
	if ts.idle == nil {
		return 0
	}
	st.idleMu.Lock()
	is := ts.idle[h]
	st.idleMu.Unlock()
	if is == nil {
		return 0
	}
	return max(0, now-is.lastHit.Load())
}

// idleOf returns the idle state of entry h, or nil.
func (st *state) idleOf(ts *tableState, h Handle) *idleState {
	if ts.idle == nil {
		return nil
	}
	st.idleMu.Lock()
	defer st.idleMu.Unlock()
	return ts.idle[h]
}

// setIdle sets (or, with nil, clears) the idle state of entry h.
func (st *state) setIdle(ts *tableState, h Handle, is *idleState) {
	if ts.idle == nil {
		return
	}
	st.idleMu.Lock()
	defer st.idleMu.Unlock()
	if is == nil {
		delete(ts.idle, h)
	} else {
		ts.idle[h] = is
	}
}

// newIdle starts the timer of an entry with TTL ttl (nil for no TTL).
func newIdle(ttl int64) *idleState {
	if ttl <= 0 {
		return nil
	}
	is := &idleState{ttl: ttl}
	is.lastHit.Store(time.Now().UnixNano())
	return is
}
