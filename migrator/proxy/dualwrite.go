package proxy

import (
	"context"
	"fmt"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/translate"
)

// Dual-write with hosts on the mirror (issue 14): a controller's write
// goes to the authoritative device and to the mirror at once, and the
// controller is answered when both answered. The two hold the same state,
// so their answers agree; where they do not, the mirror is set right:
// an update the authoritative device applied and the mirror did not is
// resent by its intent, retried, else kept for repair (as mirrorWrite
// does); one the mirror applied, or may have, and the authoritative device
// refused is repaired from the authoritative device at once (writeMu is
// held: nothing changes it meanwhile).

// mirrorCall is a write sent to the mirror alongside the authoritative
// device's.
type mirrorCall struct {
	pending []pendingUpdate // the updates the mirror got, in order
	of      []int           // each one's index in the controller's write
	bad     map[int]error   // the updates left out: they cannot be translated
	wired   int64           // of pending, those translated as wire bytes
	err     error           // the mirror's answer
	send    chan bool       // true: send now; false: not at all
	done    chan struct{}
}

// prepareMirror translates ups (the controller's write, virtual form) for
// mirror b while the write is prepared for the authoritative device, and
// sends them, with CONTINUE_ON_ERROR, once released (cancel: never);
// settleMirror waits for the answer. An update that cannot be translated
// is left out (settleMirror keeps it for repair if the authoritative
// device applied it). writeMu is held until the call is settled or
// cancelled: the mirror's translation does not change meanwhile.
func (d *Device) prepareMirror(ctx context.Context, b *Backend, ups []*p4v1.Update, wire [][]byte) *mirrorCall {
	c := &mirrorCall{send: make(chan bool, 1), done: make(chan struct{})}
	tr := b.phys()
	go func() {
		defer close(c.done)
		body, ok := c.translate(tr, ups, wire)
		if !<-c.send {
			c.pending, c.of, c.bad = nil, nil, nil
			return
		}
		if len(c.pending) > 0 {
			c.err = d.sendMirrorCall(ctx, b, c, body, ok)
		}
	}()
	return c
}

// sendMirrorCall sends c's pending updates to mirror b, with
// CONTINUE_ON_ERROR, and gives its answer: as body, their wire bytes from
// translate, or decoded when translate could not give them all (ok
// false).
func (d *Device) sendMirrorCall(ctx context.Context, b *Backend, c *mirrorCall, body []byte, ok bool) error {
	if !ok {
		c.decodeAll()
		phys := make([]*p4v1.Update, len(c.pending))
		for i, p := range c.pending {
			phys[i] = p.phys
		}
		return b.write(ctx, phys, p4v1.WriteRequest_CONTINUE_ON_ERROR)
	}
	d.stats.wired.Add(c.wired)
	return b.writeRequest(ctx, append(b.header(), body...))
}

// translate translates ups for the mirror (tr) into c.pending, and gives
// the mirror's updates as wire bytes (ok false when one did not encode):
// an update as its wire bytes in wire (rawUpdates) through
// Translator.UpdateWire where that takes it (its decoded form is made
// only if the mirror refuses it, see decodeAll), else decoded.
func (c *mirrorCall) translate(tr *translate.Translator, ups []*p4v1.Update, wire [][]byte) (body []byte, ok bool) {
	ok = true
	byWire := tr != nil && len(wire) == len(ups)
	for i, u := range ups {
		if byWire {
			if v, isUpdate := updateBytes(wire[i]); isUpdate {
				if w, taken := tr.UpdateWire(v); taken {
					c.pending = append(c.pending, pendingUpdate{virt: u, tr: tr})
					c.of = append(c.of, i)
					c.wired++
					body = protowire.AppendBytes(protowire.AppendTag(body, writeUpdates, protowire.BytesType), w)
					continue
				}
			}
		}
		p, err := physUpdate(tr, u)
		if err != nil {
			if c.bad == nil {
				c.bad = map[int]error{}
			}
			c.bad[i] = err
			continue
		}
		c.pending = append(c.pending, pendingUpdate{virt: u, phys: p})
		c.of = append(c.of, i)
		m, err := proto.Marshal(p)
		if err != nil {
			ok = false
			continue
		}
		body = protowire.AppendBytes(protowire.AppendTag(body, writeUpdates, protowire.BytesType), m)
	}
	return body, ok
}

// decodeAll makes the decoded form of every pending update that went as
// wire bytes: what is resent or kept for repair goes decoded.
func (c *mirrorCall) decodeAll() {
	for i := range c.pending {
		if p := &c.pending[i]; p.phys == nil {
			// UpdateWire took it, so the decoded translation takes it too.
			p.phys, _ = physUpdate(p.tr, p.virt)
		}
	}
}

// updateBytes is the Update message in an updates field of a
// WriteRequest (its tag and length stripped).
func updateBytes(field []byte) ([]byte, bool) {
	num, typ, n := protowire.ConsumeTag(field)
	if n < 0 || num != writeUpdates || typ != protowire.BytesType {
		return nil, false
	}
	v, m := protowire.ConsumeBytes(field[n:])
	return v, m == len(field)-n
}

// release sends c, once translated.
func (c *mirrorCall) release() { c.send <- true }

// cancel drops c unsent and waits for its translation to end.
func (c *mirrorCall) cancel() {
	c.send <- false
	<-c.done
}

// settleMirror waits for mirror b's answer to c, the controller's write
// ups, and sets it right where it differs from the authoritative
// device's: applied are the indexes of the updates auth applied, unsure those whose outcome there is unknown
// (kept for repair already).
func (d *Device) settleMirror(ctx context.Context, auth, b *Backend, c *mirrorCall, ups []*p4v1.Update, applied []int, unsure []*p4v1.Update) {
	<-c.done
	isApplied := make(map[int]bool, len(applied))
	for _, i := range applied {
		isApplied[i] = true
		if err := c.bad[i]; err != nil {
			d.addRepairs([]*p4v1.Update{ups[i]}, fmt.Sprintf("cannot be translated for %s: %v", b.Name, err))
		}
	}
	if len(c.pending) == 0 {
		return
	}
	ans := answerOf(c.err, len(c.pending))
	if !ans.ok() {
		c.decodeAll()
	}
	var retry []pendingUpdate
	var first mirrorAnswer
	first.whole = ans.whole
	var disagree []*p4v1.Update
	for k, p := range c.pending {
		i := c.of[k]
		switch {
		case isApplied[i]:
			retry = append(retry, p)
			if ans.whole == nil {
				first.items = append(first.items, ans.items[k])
			}
		case containsUpdate(unsure, p.virt):
			// kept for repair already
		case ans.whole == nil && ans.items[k] == nil,
			ans.whole != nil && client.Uncertain(status.Code(ans.whole)):
			disagree = append(disagree, p.virt)
		}
	}
	d.mirrorPending(ctx, b, retry, &first, nil)
	for _, u := range disagree {
		d.log.Warn("the mirror applied, or may have, an update the authoritative device refused: repairing it from there",
			"mirror", b.Name, "update", u.Type.String(), "entity", entity.Describe(u.Entity))
		fix, err := d.reconcile(ctx, auth, u.GetEntity())
		if err != nil {
			d.addRepairs([]*p4v1.Update{u}, fmt.Sprintf("%s refused it, %s applied it, and it could not be repaired: %v", auth.Name, b.Name, err))
			continue
		}
		d.mirrorWrite(ctx, b, fix)
	}
}

func containsUpdate(ups []*p4v1.Update, u *p4v1.Update) bool {
	for _, x := range ups {
		if x == u {
			return true
		}
	}
	return false
}
