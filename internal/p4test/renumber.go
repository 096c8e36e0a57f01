package p4test

import (
	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	"google.golang.org/protobuf/proto"
)

// Renumber returns a copy of p in which every id differs from p's and every
// reference follows: top-level object ids keep their kind prefix byte (as
// p4c allocates them) but change their low 24 bits (xor with salt, which
// must be non-zero in its low 24 bits), and match-field, action-parameter
// and packet-metadata ids are shifted by 100 while keeping their order.
// Names, widths and everything else stay as they are: the result is "the
// same program, compiled again" for id translation by name.
func Renumber(p *p4configv1.P4Info, salt uint32) *p4configv1.P4Info {
	q := proto.Clone(p).(*p4configv1.P4Info)
	salt &= 0x00ffffff
	if salt == 0 {
		salt = 0x5a5a5a
	}
	id := func(x uint32) uint32 {
		if x == 0 {
			return 0
		}
		return x ^ salt
	}
	ids := func(xs []uint32) {
		for i := range xs {
			xs[i] = id(xs[i])
		}
	}
	pre := func(pr *p4configv1.Preamble) {
		if pr != nil {
			pr.Id = id(pr.Id)
		}
	}
	for _, t := range q.GetTables() {
		pre(t.Preamble)
		for _, m := range t.GetMatchFields() {
			m.Id += 100
		}
		for _, r := range t.GetActionRefs() {
			r.Id = id(r.Id)
		}
		t.ConstDefaultActionId = id(t.ConstDefaultActionId)
		t.ImplementationId = id(t.ImplementationId)
		ids(t.DirectResourceIds)
		if d := t.GetInitialDefaultAction(); d != nil {
			d.ActionId = id(d.ActionId)
			for _, a := range d.GetArguments() {
				a.ParamId += 100
			}
		}
	}
	for _, a := range q.GetActions() {
		pre(a.Preamble)
		for _, pa := range a.GetParams() {
			pa.Id += 100
		}
	}
	for _, ap := range q.GetActionProfiles() {
		pre(ap.Preamble)
		ids(ap.TableIds)
	}
	for _, c := range q.GetCounters() {
		pre(c.Preamble)
	}
	for _, c := range q.GetDirectCounters() {
		pre(c.Preamble)
		c.DirectTableId = id(c.DirectTableId)
	}
	for _, m := range q.GetMeters() {
		pre(m.Preamble)
	}
	for _, m := range q.GetDirectMeters() {
		pre(m.Preamble)
		m.DirectTableId = id(m.DirectTableId)
	}
	for _, c := range q.GetControllerPacketMetadata() {
		pre(c.Preamble)
		for _, m := range c.GetMetadata() {
			m.Id += 100
		}
	}
	for _, v := range q.GetValueSets() {
		pre(v.Preamble)
		for _, m := range v.GetMatch() {
			m.Id += 100
		}
	}
	for _, r := range q.GetRegisters() {
		pre(r.Preamble)
	}
	for _, d := range q.GetDigests() {
		pre(d.Preamble)
	}
	for _, e := range q.GetExterns() {
		for _, in := range e.GetInstances() {
			pre(in.Preamble)
		}
	}
	return q
}
