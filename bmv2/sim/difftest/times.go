package difftest

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim/dataplane"
	"github.com/lime-p4/lime/bmv2/sim/dataplane/bmjson"
)

// clockFields are the fields of v1model's standard metadata whose values
// come from the switch's clock (bmv2's get_time_elapsed_us) or its queues:
// two switches given the same packets read different values there.
var clockFields = map[string]bool{
	"ingress_global_timestamp": true,
	"egress_global_timestamp":  true,
	"enq_timestamp":            true,
	"deq_timedelta":            true,
}

// Times is what in a program holds a time: the header fields and register
// arrays that the clock's values flow into, through assignments, register
// writes and register reads. Two switches' clocks differ (the simulator's
// and real bmv2's start at different instants), so a time compares by
// being set or not, not by its value.
type Times struct {
	// Fields are "instance.field" names as the bmv2 JSON has them.
	Fields map[string]bool
	// Registers are register array names.
	Registers map[string]bool
}

// TimesOf finds a program's times in its bmv2 JSON: the clock's fields,
// then, to a fixed point, every field assigned from an expression that
// reads a time, every register written with one and every field a time
// register is read into. An expression that reads a time anywhere makes a
// time (a difference of two times does too: both switches' differ).
func TimesOf(doc *bmjson.Document) Times {
	t := Times{Fields: map[string]bool{}, Registers: map[string]bool{}}
	for _, h := range doc.Headers {
		if !h.Metadata {
			continue
		}
		for _, ht := range doc.HeaderTypes {
			if ht.Name != h.HeaderType {
				continue
			}
			for _, f := range ht.Fields {
				if clockFields[f.Name] {
					t.Fields[h.Name+"."+f.Name] = true
				}
			}
		}
	}
	for changed := true; changed; {
		changed = false
		mark := func(set map[string]bool, k string) {
			if k != "" && !set[k] {
				set[k], changed = true, true
			}
		}
		for _, a := range doc.Actions {
			for _, p := range a.Primitives {
				ps := p.Parameters
				switch {
				case (p.Op == "assign" || p.Op == "modify_field") && len(ps) == 2:
					if t.reads(ps[1]) {
						mark(t.Fields, fieldName(ps[0]))
					}
				case p.Op == "register_read" && len(ps) == 3:
					if t.Registers[stringOf(ps[1])] {
						mark(t.Fields, fieldName(ps[0]))
					}
				case p.Op == "register_write" && len(ps) == 3:
					if t.reads(ps[2]) {
						mark(t.Registers, stringOf(ps[0]))
					}
				}
			}
		}
	}
	return t
}

// reads reports whether v reads a time field anywhere inside.
func (t Times) reads(v bmjson.TypedValue) bool {
	var tree any
	if err := json.Unmarshal(v.Value, &tree); err != nil {
		return false
	}
	if v.Type == "field" {
		return t.Fields[fieldName(v)]
	}
	var walk func(n any) bool
	walk = func(n any) bool {
		switch x := n.(type) {
		case map[string]any:
			if x["type"] == "field" {
				if ref, ok := x["value"].([]any); ok && len(ref) == 2 {
					h, _ := ref[0].(string)
					f, _ := ref[1].(string)
					return t.Fields[h+"."+f]
				}
			}
			for _, c := range x {
				if walk(c) {
					return true
				}
			}
		case []any:
			for _, c := range x {
				if walk(c) {
					return true
				}
			}
		}
		return false
	}
	return walk(tree)
}

func fieldName(v bmjson.TypedValue) string {
	if v.Type != "field" {
		return ""
	}
	r, err := v.Field()
	if err != nil {
		return ""
	}
	return r.String()
}

func stringOf(v bmjson.TypedValue) string {
	s, _ := v.String()
	return s
}

// FrameTimes renders the frames a program emits with their times masked:
// it finds the headers in a frame with the program's own parser (a
// simulated switch of the program, used for nothing else) and shows each
// time field as set or zero.
type FrameTimes struct {
	times Times
	sw    *dataplane.Switch
}

// NewFrameTimes is the renderer of doc's frames; a program that writes no
// time into a header renders frames as FrameOut does.
func NewFrameTimes(doc *bmjson.Document, raw []byte) (*FrameTimes, error) {
	ft := &FrameTimes{times: TimesOf(doc)}
	header := false
	for f := range ft.times.Fields {
		h, _, _ := strings.Cut(f, ".")
		for _, hd := range doc.Headers {
			if hd.Name == h && !hd.Metadata {
				header = true
			}
		}
	}
	if !header {
		return ft, nil
	}
	prog, err := dataplane.Load(raw)
	if err != nil {
		return nil, fmt.Errorf("loading the program to find its headers: %w", err)
	}
	ft.sw = dataplane.New(prog, dataplane.Options{})
	return ft, nil
}

// Render is FrameOut of frame out of port, its time fields (as the
// program's parser finds them) zeroed and listed as set or zero.
func (ft *FrameTimes) Render(port uint32, frame []byte) string {
	out, note := ft.mask(port, frame)
	return FrameOut(port, out) + note
}

// RenderPacketIn is PacketIn of p, the time fields of its payload (the
// frame sent to the CPU port, parsed as one from a host) zeroed and listed
// as set or zero.
func (ft *FrameTimes) RenderPacketIn(p *p4v1.PacketIn) string {
	out, note := ft.mask(0, p.GetPayload())
	if note == "" {
		return PacketIn(p)
	}
	q := proto.Clone(p).(*p4v1.PacketIn)
	q.Payload = out
	return PacketIn(q) + note
}

// mask gives frame with its time fields zeroed, and a note that lists
// them as set or zero ("" and frame itself when it holds none).
func (ft *FrameTimes) mask(port uint32, frame []byte) ([]byte, string) {
	if ft == nil || ft.sw == nil {
		return frame, ""
	}
	var masked []string
	out := frame
	for _, s := range ft.sw.Spans(port, frame) {
		if !ft.times.Fields[s.Field] {
			continue
		}
		if len(masked) == 0 {
			out = append([]byte(nil), frame...)
		}
		state := "zero"
		if bitsOf(out, s.Offset, s.Width).Sign() != 0 {
			state = "set"
		}
		clearBits(out, s.Offset, s.Width)
		masked = append(masked, s.Field+" "+state)
	}
	if len(masked) == 0 {
		return frame, ""
	}
	return out, " (times, compared set or zero: " + strings.Join(masked, ", ") + ")"
}

// bitsOf is the value of bits [off, off+width) of b, first bit most
// significant.
func bitsOf(b []byte, off, width int) *big.Int {
	v := new(big.Int)
	for i := off; i < off+width && i/8 < len(b); i++ {
		v.Lsh(v, 1)
		if b[i/8]&(0x80>>(i%8)) != 0 {
			v.SetBit(v, 0, 1)
		}
	}
	return v
}

func clearBits(b []byte, off, width int) {
	for i := off; i < off+width && i/8 < len(b); i++ {
		b[i/8] &^= 0x80 >> (i % 8)
	}
}
