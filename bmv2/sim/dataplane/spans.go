package dataplane

// FieldSpan is where a header field lies in a frame: bits [Offset,
// Offset+Width), counted from the frame's first bit.
type FieldSpan struct {
	// Field is "instance.field" as the bmv2 JSON names it (a stack's
	// elements are "stack[i]").
	Field  string
	Offset int
	Width  int
}

// extracted is one header the parser extracted: at byte at, its
// variable-length field vlBytes long.
type extracted struct {
	hdr, at, vlBytes int
}

// Spans runs the program's parser over frame, as if it arrived on port,
// and returns where each field of every header it extracted lies, in
// frame order. It is for tools that look into the frames a program emits
// (the differential packet test finds the timestamps in them so); the
// switch's state is read (parser value sets, registers a parser reads),
// never written, and nothing is forwarded.
func (s *Switch) Spans(port uint32, frame []byte) []FieldSpan {
	c := s.prog.c
	p := s.get()
	defer s.release(p)
	var hs []extracted
	p.spans = &hs
	defer func() { p.spans = nil }()
	p.data = frame
	p.ingressPort = port
	p.ingressLen, p.pktLen = len(frame), len(frame)
	p.now = s.now()
	setStd(p, c.std.ingressPort, uint64(port))
	setStd(p, c.std.ingressTS, uint64(p.now))
	setStd(p, c.std.packetLength, uint64(len(frame)))
	setStd(p, c.std.instanceType, InstanceNormal)
	c.parser.parse(p)
	var out []FieldSpan
	l := c.l
	for _, e := range hs {
		off := 8 * e.at
		for _, fi := range l.headers[e.hdr].fields {
			f := &l.fields[fi]
			w := f.width
			if f.vl {
				w = 8 * e.vlBytes
			}
			out = append(out, FieldSpan{Field: f.name, Offset: off, Width: w})
			off += w
		}
	}
	return out
}
