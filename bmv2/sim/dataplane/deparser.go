package dataplane

import (
	"fmt"

	"github.com/lime-p4/lime/bmv2/sim/dataplane/bmjson"
	"github.com/lime-p4/lime/bmv2/sim/dataplane/hashalg"
)

// checksumC is a compiled checksum (bmv2 CalcBasedChecksum or
// IPv4Checksum): verified after parsing, updated before deparsing, when
// its condition holds.
type checksumC struct {
	name   string
	target int // field id
	calc   *calcC
	ipv4   bool
	cond   func(*pkt) bool // nil: unconditional
}

func (c *compiled) compileChecksums(doc *bmjson.Document, pr *problems) {
	for i := range doc.Checksums {
		jc := &doc.Checksums[i]
		ck := &checksumC{name: jc.Name}
		fi, ok := c.l.field(jc.Target)
		if !ok {
			pr.bad("checksum %q: unknown target field %s", jc.Name, jc.Target)
			continue
		}
		ck.target = fi
		switch jc.Type {
		case "ipv4":
			ck.ipv4 = true
		case "generic", "":
			ci, ok := c.calcByName[jc.Calculation]
			if !ok {
				pr.bad("checksum %q: unknown calculation %q", jc.Name, jc.Calculation)
				continue
			}
			ck.calc = c.calcs[ci]
			if ck.calc == nil {
				continue // its algorithm was reported
			}
		default:
			pr.unsup("checksum %q of type %q", jc.Name, jc.Type)
			continue
		}
		if jc.IfCond != nil && !jc.IfCond.IsNull() {
			x := &cc{c: c, l: c.l, pr: pr, where: fmt.Sprintf("checksum %q condition", jc.Name), regs: map[int]bool{}}
			cond, ok := x.boolean(jc.IfCond)
			if !ok {
				continue
			}
			if len(x.regs) > 0 {
				pr.unsup("checksum %q: register read in its condition", jc.Name)
				continue
			}
			ck.cond = cond
		}
		if jc.Verify == nil || *jc.Verify {
			if c.parser != nil {
				c.parser.verify = append(c.parser.verify, ck)
			}
		}
		if jc.Update == nil || *jc.Update {
			c.deparser.update = append(c.deparser.update, ck)
		}
	}
}

var ipv4Sum, _ = hashalg.New("csum16")

// compute returns the checksum value for p.
func (ck *checksumC) compute(p *pkt) uint64 {
	if ck.ipv4 {
		hi := p.l.fields[ck.target].hdr
		buf := make([]byte, nbytes(p.h.headerBits(p.l, hi)))
		p.h.deparseHeader(p.l, hi, buf)
		if len(buf) >= 12 {
			buf[10], buf[11] = 0, 0
		}
		return ipv4Sum.Sum(buf)
	}
	return ck.calc.output(p)
}

// verifyOK reports whether the checksum is correct; a checksum whose
// target header is invalid or whose condition is false passes.
func (ck *checksumC) verifyOK(p *pkt) bool {
	if !p.h.valid[p.l.fields[ck.target].hdr] {
		return true
	}
	if ck.cond != nil && !ck.cond(p) {
		return true
	}
	return ck.compute(p) == p.h.getU(p.l, ck.target)
}

// update writes the checksum into its field.
func (ck *checksumC) update(p *pkt) {
	if ck.cond != nil && !ck.cond(p) {
		return
	}
	if ck.ipv4 && !p.h.valid[p.l.fields[ck.target].hdr] {
		return
	}
	p.h.setU(p.l, ck.target, ck.compute(p))
}

// deparserC is the compiled deparser.
type deparserC struct {
	order   []int
	methods []*actionC
	update  []*checksumC
}

func (c *compiled) compileDeparser(doc *bmjson.Document, pr *problems) {
	dp := &deparserC{}
	c.deparser = dp
	if len(doc.Deparsers) == 0 {
		pr.bad("no deparser")
		return
	}
	if len(doc.Deparsers) > 1 {
		pr.unsup("%d deparsers (v1model has one)", len(doc.Deparsers))
	}
	jd := &doc.Deparsers[0]
	for _, name := range jd.Order {
		hi, ok := c.l.headerByName[name]
		if !ok {
			pr.bad("deparser: unknown header %q", name)
			continue
		}
		dp.order = append(dp.order, hi)
	}
	for i := range jd.Primitives {
		info := &ActionInfo{Name: jd.Primitives[i].Op}
		a := c.compileAction(info, jd.Primitives[i:i+1], fmt.Sprintf("deparser method call %d", i), pr)
		dp.methods = append(dp.methods, a)
	}
}

// deparse updates checksums, runs the deparser's method calls and
// serialises the valid headers in order followed by the payload.
func (dp *deparserC) deparse(p *pkt) []byte {
	for _, ck := range dp.update {
		ck.update(p)
	}
	for _, m := range dp.methods {
		m.run(p, nil)
	}
	l := p.l
	n := 0
	for _, hi := range dp.order {
		if p.h.valid[hi] {
			n += nbytes(p.h.headerBits(l, hi))
		}
	}
	out := make([]byte, n, n+len(p.payload))
	off := 0
	for _, hi := range dp.order {
		if p.h.valid[hi] {
			sz := nbytes(p.h.headerBits(l, hi))
			p.h.deparseHeader(l, hi, out[off:off+sz])
			off += sz
		}
	}
	return append(out, p.payload...)
}
