package dataplane

import (
	"github.com/lime-p4/lime/bmv2/sim/dataplane/bmjson"
	"github.com/lime-p4/lime/bmv2/sim/dataplane/hashalg"
)

// calcC is a compiled calculation (bmv2 NamedCalculation): a hash over a
// byte string built as bmv2's BufBuilder does, packing the inputs' bits
// back to back (not byte-aligned), skipping fields of invalid headers,
// then appending the payload when asked.
type calcC struct {
	name        string
	algo        string
	hasher      hashalg.Hasher
	inputs      []calcInput
	withPayload bool
}

type calcInput struct {
	field int    // field id, or -1
	hdr   int    // header id for a whole-header input, or -1
	konst []byte // constant bits (right-aligned), with bits
	bits  int
}

// compileCalc builds a calculation from its JSON inputs.
func (c *compiled) compileCalc(name, algo string, inputs []bmjson.TypedValue, pr *problems) *calcC {
	h, err := hashalg.New(algo)
	if err != nil {
		pr.unsup("calculation %q: hash algorithm %q", name, algo)
		return nil
	}
	k := &calcC{name: name, algo: algo, hasher: h}
	for i := range inputs {
		in := &inputs[i]
		switch in.Type {
		case "field":
			r, err := in.Field()
			if err != nil {
				pr.bad("calculation %q: %v", name, err)
				continue
			}
			fi, ok := c.l.field(r)
			if !ok {
				pr.bad("calculation %q: unknown field %s", name, r)
				continue
			}
			k.inputs = append(k.inputs, calcInput{field: fi, hdr: -1})
		case "hexstr":
			s, err := in.String()
			if err != nil {
				pr.bad("calculation %q: %v", name, err)
				continue
			}
			v, err := bmjson.ParseHex(s)
			if err != nil || v.Sign() < 0 || in.Bitwidth <= 0 {
				pr.bad("calculation %q: constant %q needs a nonnegative value and a positive bitwidth", name, s)
				continue
			}
			truncBig(v, in.Bitwidth, false)
			k.inputs = append(k.inputs, calcInput{field: -1, hdr: -1, konst: bigBytes(v, nbytes(in.Bitwidth)), bits: in.Bitwidth})
		case "header":
			s, err := in.String()
			if err != nil {
				pr.bad("calculation %q: %v", name, err)
				continue
			}
			hi, ok := c.l.headerByName[s]
			if !ok {
				pr.bad("calculation %q: unknown header %q", name, s)
				continue
			}
			k.inputs = append(k.inputs, calcInput{field: -1, hdr: hi})
		case "payload":
			k.withPayload = true
		default:
			pr.unsup("calculation %q: input of type %q", name, in.Type)
		}
	}
	return k
}

// build assembles the hash input of p into dst.
func (k *calcC) build(p *pkt, dst []byte) []byte {
	bw := bitWriter{buf: dst[:0]}
	l := p.l
	for _, in := range k.inputs {
		switch {
		case in.field >= 0:
			f := &l.fields[in.field]
			if !p.h.valid[f.hdr] {
				continue
			}
			switch {
			case f.vl:
				v := p.h.vl[f.slot]
				bw.writeBytes(v, len(v)*8)
			case f.wide:
				bw.writeBytes(bigBytes(&p.h.w[f.slot], nbytes(f.width)), f.width)
			default:
				bw.write(p.h.u[f.slot], f.width)
			}
		case in.hdr >= 0:
			if !p.h.valid[in.hdr] {
				continue
			}
			// Headers start on a byte boundary.
			bw.align()
			n := nbytes(p.h.headerBits(l, in.hdr))
			start := len(bw.buf)
			for i := 0; i < n; i++ {
				bw.buf = append(bw.buf, 0)
			}
			p.h.deparseHeader(l, in.hdr, bw.buf[start:])
		default:
			bw.writeBytes(in.konst, in.bits)
		}
	}
	bw.align()
	if k.withPayload {
		bw.buf = append(bw.buf, p.payload...)
	}
	return bw.buf
}

// output computes the calculation for packet p.
func (k *calcC) output(p *pkt) uint64 {
	p.hbuf = k.build(p, p.hbuf)
	return k.hasher.Sum(p.hbuf)
}
