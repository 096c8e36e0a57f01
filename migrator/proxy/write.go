package proxy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/translate"
)

// Repair is a mirror update that did not reach the mirror (or whose outcome
// on the authoritative device is unknown): the mirror may differ from the
// authoritative device on this entity until Repair reconciles it.
type Repair struct {
	Update *p4v1.Update // virtual form
	Error  string
}

// Write passes a controller's Write on (spec section 12 "Write RPC"): to
// the authoritative device and, with a live mirror, to the mirror. The
// answer is the authoritative device's, per-update details included, and
// means what it means on one switch: once a host is on the mirror, the
// controller is answered when both devices applied the write (it is sent
// to both at once, see writeBoth); before, the mirror may trail within a
// window (see trail).
func (d *Device) Write(ctx context.Context, req *p4v1.WriteRequest) error {
	return d.write(ctx, req, nil)
}

// write is Write; raw, when set, is req as its wire bytes: what the
// translation leaves as it came goes to the authoritative device as
// those bytes (Backend.writeWire).
func (d *Device) write(ctx context.Context, req *p4v1.WriteRequest, raw []byte) error {
	start := time.Now()
	defer func() { d.latency.observe(time.Since(start)) }()
	if err := d.arb.CheckWriter(req.GetDeviceId(), req.GetRole(), req.GetElectionId()); err != nil {
		return err
	}
	if err := d.checkHeld(); err != nil {
		return err
	}
	d.lockWrites(req.GetUpdates())
	defer d.writeMu.Unlock()
	d.mu.RLock()
	auth, mirror, mode, split := d.auth, d.mirror, d.mode, len(d.moved) > 0
	d.mu.RUnlock()
	ups := req.GetUpdates()
	d.stats.writes.Add(1)
	d.stats.updates.Add(int64(len(ups)))
	// Once sent, a write runs to its end whatever the controller does:
	// abandoned halfway, it would leave the mirror's fate unknown.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.WriteTimeout)
	defer cancel()
	var wire [][]byte // the updates as the controller's wire bytes
	if raw != nil {
		wire = rawUpdates(raw, len(ups))
	}
	var both *mirrorCall
	if mode == MirrorLive && split {
		// Translated for the mirror while prepared for the source, sent
		// to both at once.
		both = d.prepareMirror(wctx, mirror, ups, wire)
	}
	phys, other, was, err := d.prepareWrite(auth, ups)
	if err != nil {
		if both != nil {
			both.cancel()
		}
		return err
	}
	if both != nil {
		both.release()
	}
	werr := auth.writeWire(wctx, ups, phys, wire, req.GetAtomicity())
	idx, unsure, left := appliedUpdates(ups, werr)
	d.unShadow(was, idx, unsure)
	d.outputsWritten(ups, idx, unsure)
	if len(idx) > 0 {
		d.forgetOffsets(ups, idx)
	}
	if mode == MirrorOff {
		return werr
	}
	if len(unsure) > 0 {
		d.addRepairs(unsure, fmt.Sprintf("the outcome on %s is unknown: %v", auth.Name, werr))
	}
	if both != nil {
		d.settleMirror(wctx, auth, mirror, both, ups, idx, unsure)
	}
	// A group INSERT the source refused for its members may have left the
	// group there, empty (PI creates it first): the mirror gets it too.
	extra := d.leftGroups(wctx, auth, ups, left)
	if len(idx) == 0 && len(extra) == 0 {
		return werr
	}
	d.keepShadow(ups, other, idx)
	if both != nil {
		if len(extra) > 0 { // sent at once, the mirror may have left it too
			d.mirrorWrite(wctx, mirror, extra)
		}
		return werr
	}
	applied := make([]*p4v1.Update, len(idx), len(idx)+len(extra))
	var appliedWire [][]byte // as the controller's wire bytes, when all are
	if wire != nil && len(extra) == 0 {
		appliedWire = make([][]byte, len(idx))
	}
	for i, j := range idx {
		applied[i] = ups[j]
		if appliedWire != nil {
			appliedWire[i] = wire[j]
		}
	}
	applied = append(applied, extra...)
	switch mode {
	case MirrorLogging:
		d.mu.Lock()
		d.journal = append(d.journal, applied)
		d.mu.Unlock()
		d.stats.logged.Add(int64(len(applied)))
	case MirrorLive:
		d.trailWrite(mirror, applied, appliedWire)
	}
	return werr
}

// prepareWrite gives a controller's write ups as the authoritative device
// auth takes it, whether it holds each in another form (heldForms), and
// the shadow entries it replaced once the journal has them (preShadow).
func (d *Device) prepareWrite(auth *Backend, ups []*p4v1.Update) (phys []*p4v1.Update, other []bool, was []shadowWas, err error) {
	phys, err = auth.translateUpdates(ups)
	if err != nil {
		return nil, nil, nil, err
	}
	other = heldForms(auth, ups, phys)
	if err := d.journalShadows(ups, other); err != nil {
		return nil, nil, nil, err
	}
	return phys, other, d.preShadow(ups, other), nil
}

// appliedUpdates splits a write's updates by its answer: the indexes of
// those the device applied, those whose fate is unknown (a failure
// without per-update details that may have happened halfway), and the
// indexes of refused group INSERTs that may have left a group
// (leavesEmptyGroup).
func appliedUpdates(ups []*p4v1.Update, err error) (applied []int, unsure []*p4v1.Update, left []int) {
	if err == nil {
		applied = make([]int, len(ups))
		for i := range applied {
			applied[i] = i
		}
		return applied, nil, nil
	}
	items, derr := client.DecodeBatchError(err, len(ups))
	if derr != nil {
		if client.Uncertain(status.Code(err)) {
			return nil, ups, nil
		}
		return nil, nil, nil
	}
	for i, it := range items {
		switch {
		case it == nil:
			applied = append(applied, i)
		case leavesEmptyGroup(ups[i], it.Code):
			left = append(left, i)
		}
	}
	return applied, nil, left
}

// leftGroups reads back the groups of refused INSERTs that bmv2 may have
// made all the same (leavesEmptyGroup) and returns an INSERT (virtual form)
// of each that the authoritative device holds, for the mirror to hold it
// too; one that cannot be read is kept for repair.
func (d *Device) leftGroups(ctx context.Context, auth *Backend, ups []*p4v1.Update, left []int) []*p4v1.Update {
	var out []*p4v1.Update
	for _, i := range left {
		fix, err := d.reconcile(ctx, auth, ups[i].GetEntity())
		if err != nil {
			d.addRepairs([]*p4v1.Update{ups[i]}, err.Error())
			continue
		}
		for _, u := range fix {
			if u.GetType() == p4v1.Update_INSERT {
				out = append(out, u)
			}
		}
	}
	return out
}

// leavesEmptyGroup reports a refused INSERT of an action-profile group
// that bmv2 may have made all the same: PI creates the group before it
// checks its members (ActionProfAccessManual::group_create), so a group
// refused for its members (NOT_FOUND, INVALID_ARGUMENT, RESOURCE_EXHAUSTED)
// stays, empty: the proxy reads it back for the mirror.
func leavesEmptyGroup(u *p4v1.Update, c codes.Code) bool {
	if u.GetType() != p4v1.Update_INSERT || u.GetEntity().GetActionProfileGroup() == nil {
		return false
	}
	return c == codes.NotFound || c == codes.InvalidArgument || c == codes.ResourceExhausted
}

// pendingUpdate is a mirror update in both forms.
type pendingUpdate struct {
	virt, phys *p4v1.Update
	// tr made phys, when it is still to be made: an update the mirror
	// got as wire bytes (mirrorCall.decodeAll).
	tr *translate.Translator
}

// mirrorWrite writes updates (virtual form) to mirror b as one request,
// resending what the intent rules fix and retrying transient failures up
// to Options.MirrorRetries times; what still fails is kept for repair.
func (d *Device) mirrorWrite(ctx context.Context, b *Backend, ups []*p4v1.Update) {
	d.mirrorPending(ctx, b, d.mirrorUpdates(b, ups), nil, nil)
}

// mirrorWriteWire is mirrorWrite for updates also given as the
// controller's wire bytes (wire; nil: not): those Translator.UpdateWire
// takes go to the mirror translated as bytes (see mirrorCall.translate).
func (d *Device) mirrorWriteWire(ctx context.Context, b *Backend, ups []*p4v1.Update, wire [][]byte) {
	tr := b.phys()
	if len(wire) != len(ups) || tr == nil {
		d.mirrorWrite(ctx, b, ups)
		return
	}
	c := &mirrorCall{}
	body, ok := c.translate(tr, ups, wire)
	for _, i := range slices.Sorted(maps.Keys(c.bad)) { // in the write's order
		d.addRepairs([]*p4v1.Update{ups[i]}, fmt.Sprintf("cannot be translated for %s: %v", b.Name, c.bad[i]))
	}
	if len(c.pending) == 0 {
		return
	}
	first := answerOf(d.sendMirrorCall(ctx, b, c, body, ok), len(c.pending))
	if !first.ok() {
		c.decodeAll()
	}
	d.mirrorPending(ctx, b, c.pending, &first, nil)
}

// mirrorUpdates are ups in both forms for mirror b; those that cannot be
// translated are kept for repair.
func (d *Device) mirrorUpdates(b *Backend, ups []*p4v1.Update) []pendingUpdate {
	pending := make([]pendingUpdate, 0, len(ups))
	for _, u := range ups {
		p, err := physUpdate(b.phys(), u)
		if err != nil {
			d.addRepairs([]*p4v1.Update{u}, fmt.Sprintf("cannot be translated for %s: %v", b.Name, err))
			continue
		}
		pending = append(pending, pendingUpdate{virt: u, phys: p})
	}
	return pending
}

// mirrorAnswer is a mirror's answer to a write of pending updates: whole,
// when the request failed as a whole; else one error per update (nil:
// applied).
type mirrorAnswer struct {
	whole error
	items []*client.P4Error
}

// ok reports whether every update was applied.
func (a *mirrorAnswer) ok() bool {
	return a.whole == nil && !slices.ContainsFunc(a.items, func(it *client.P4Error) bool { return it != nil })
}

func answerOf(err error, n int) mirrorAnswer {
	if err == nil {
		return mirrorAnswer{items: make([]*client.P4Error, n)}
	}
	items, derr := client.DecodeBatchError(err, n)
	if derr != nil {
		return mirrorAnswer{whole: err}
	}
	return mirrorAnswer{items: items}
}

// mirrorPending writes pending to mirror b as mirrorWrite does; first,
// when set, is b's answer to them sent once already. What b refuses for
// good goes to refused, or, when nil, is kept for repair.
func (d *Device) mirrorPending(ctx context.Context, b *Backend, pending []pendingUpdate, first *mirrorAnswer, refused func([]pendingUpdate, error)) {
	if refused == nil {
		refused = func(ps []pendingUpdate, err error) { d.failMirror(b, ps, err) }
	}
	for attempt := 0; len(pending) > 0; attempt++ {
		last := attempt >= d.opts.MirrorRetries
		var ans mirrorAnswer
		if attempt == 0 && first != nil {
			ans = *first
		} else {
			phys := make([]*p4v1.Update, len(pending))
			for i, p := range pending {
				phys[i] = p.phys
			}
			ans = answerOf(b.write(ctx, phys, p4v1.WriteRequest_CONTINUE_ON_ERROR), len(pending))
		}
		if err := ans.whole; err != nil { // the request failed as a whole
			if last || !client.Uncertain(status.Code(err)) {
				refused(pending, err)
				return
			}
			d.stats.retried.Add(1)
			d.backoff(ctx, attempt)
			continue
		}
		var next []pendingUpdate
		transient := false
		for i, it := range ans.items {
			p := pending[i]
			if it == nil {
				d.stats.mirrored.Add(1)
				continue
			}
			outcome, u := client.Intent(p.phys, it.Code)
			switch {
			case outcome == client.IntentDone:
				d.stats.mirrored.Add(1)
			case outcome == client.IntentResend && !last:
				d.stats.fixed.Add(1)
				next = append(next, pendingUpdate{virt: p.virt, phys: u})
			case outcome == client.IntentRetry && !last:
				transient = true
				next = append(next, p)
			default:
				refused([]pendingUpdate{p}, it)
			}
		}
		if transient {
			d.stats.retried.Add(1)
			d.backoff(ctx, attempt)
		}
		pending = next
	}
}

// backoff waits before retry attempt+1.
func (d *Device) backoff(ctx context.Context, attempt int) {
	t := time.NewTimer(d.opts.RetryBackoff << attempt)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// failMirror keeps updates the mirror would not take for repair.
func (d *Device) failMirror(b *Backend, ps []pendingUpdate, err error) {
	ups := make([]*p4v1.Update, len(ps))
	for i, p := range ps {
		ups[i] = p.virt
	}
	d.addRepairs(ups, fmt.Sprintf("%s refused it: %v", b.Name, err))
}

func (d *Device) addRepairs(ups []*p4v1.Update, why string) {
	d.mu.Lock()
	for _, u := range ups {
		d.repairs = append(d.repairs, Repair{Update: u, Error: why})
	}
	d.mu.Unlock()
	d.stats.repairs.Add(int64(len(ups)))
	for _, u := range ups {
		d.log.Warn("mirror update kept for repair", "update", u.Type.String(), "entity", entity.Describe(u.Entity), "why", why)
		if d.opts.OnRepair != nil {
			d.opts.OnRepair(d.id, Repair{Update: u, Error: why})
		}
	}
}

// Repairs lists the mirror updates waiting for repair.
func (d *Device) Repairs() []Repair {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return append([]Repair(nil), d.repairs...)
}
