package dataplane

// Header operations on a synthetic program: assign_header, header
// stacks (push_front, pop_front, indexing by a field, size and last
// index), header unions, header equality, saturating fields, register
// operands, calculations over unaligned constants, a header and the
// payload, checksum verification and a "valid" table key.

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func headerOpsProgram() *synth {
	s := &synth{
		types: []string{
			htype("h_t", "a:8", "b:8"),
			htype("s_t", "v:8"),
			htype("u1_t", "x:8"),
			htype("u2_t", "y:16"),
			`{"name":"o_t","id":0,"fields":[["r1",8,false],["r2",8,false],["r3",8,false],["r4",8,false],["r5",8,false],
				["sat",8,false,true],["sat2",8,false,true],["r6",16,false],["r7",8,false],["r8",16,false],["r9",16,false],["r10",8,false]]}`,
		},
		headers: []string{hinst("h", "h_t", 2), hinst("s0", "s_t", 3), hinst("s1", "s_t", 4), hinst("s2", "s_t", 5),
			hinst("ua", "u1_t", 6), hinst("ub", "u2_t", 7), hinst("c", "h_t", 8), hinst("o", "o_t", 9)},
		stacks:  []string{`{"name":"st","id":0,"header_type":"s_t","size":3,"header_ids":[3,4,5]}`},
		deparse: []string{"h", "c", "s0", "s1", "s2", "ua", "ub", "o"},
		states: []string{pstate("start", []string{extract("h"),
			`{"op":"extract","parameters":[{"type":"stack","value":"st"}]}`,
			`{"op":"extract","parameters":[{"type":"stack","value":"st"}]}`,
			extract("ua")}, nil, tr("default", "", ""))},
		top: map[string]string{
			"header_union_types": `[{"name":"u_t","id":0,"headers":[["a","u1_t"],["b","u2_t"]]}]`,
			"header_unions":      `[{"name":"u","id":0,"union_type":"u_t","header_ids":[6,7]}]`,
			"register_arrays":    `[{"name":"r","id":0,"size":4,"bitwidth":16}]`,
			"calculations": `[{"name":"packed","id":0,"algo":"identity","input":[{"type":"hexstr","value":"0x1","bitwidth":4},` + F("h", "a") + `,{"type":"hexstr","value":"0xf","bitwidth":4}]},
				{"name":"whole","id":1,"algo":"csum16","input":[{"type":"header","value":"h"},{"type":"payload","value":null}]},
				{"name":"vcalc","id":2,"algo":"csum16","input":[` + F("h", "a") + `]}]`,
			"checksums": `[{"name":"ck","id":0,"target":["h","b"],"type":"generic","calculation":"vcalc","update":false,"verify":true,"if_cond":null}]`,
		},
	}
	stackElem := func(idx string) string {
		return E("dereference_header_stack", `{"type":"header_stack","value":"st"}`, idx)
	}
	accessField := func(hdr string) string {
		return `{"type":"expression","value":{"op":"access_field","left":` + hdr + `,"right":0}}`
	}
	stk := `{"type":"header_stack","value":"st"}`
	s.actions = []string{
		Act("ops", 0, nil,
			P("add_header", Hdr("o")),
			P("assign_header", Hdr("c"), Hdr("h")),
			P("assign", F("c", "a"), H("0x11")),
			P("push", stk, H("0x1")),
			P("assign", F("o", "r1"), X(E("size_stack", "null", stk))),
			P("assign", F("o", "r2"), X(accessField(stackElem(H("0x1"))))),
			P("assign", X(accessField(stackElem(F("h", "b")))), H("0x77")),
			P("pop", stk, H("0x1")),
			P("assign", F("o", "r3"), X(E("last_stack_index", "null", stk))),
			P("add_header", Hdr("ub")),
			P("assign", F("o", "r4"), X(E("b2d", "null", E("valid", "null", Hdr("ua"))))),
			P("assign", F("o", "r5"), X(E("b2d", "null", E("valid_union", "null", `{"type":"header_union","value":"u"}`)))),
			P("assign", F("o", "sat"), X(E("+", F("h", "a"), H("0xff")))),
			P("assign", F("o", "sat2"), X(E("-", F("h", "a"), H("0x01ff")))),
			P("register_write", Named("register_array", "r"), H("0x1"), H("0xbeef")),
			P("assign", F("o", "r6"), `{"type":"register","value":["r",{"type":"hexstr","value":"0x1"}]}`),
			P("assign", F("o", "r7"), X(E("b2d", "null", E("==", Hdr("h"), Hdr("c"))))),
			P("modify_field_with_hash_based_offset", F("o", "r8"), H("0x0"), Named("calculation", "packed"), H("0x10000")),
			P("modify_field_with_hash_based_offset", F("o", "r9"), H("0x0"), Named("calculation", "whole"), H("0x10000")),
			P("assign", F("o", "r10"), F("standard_metadata", "checksum_error")),
			P("assign", F("standard_metadata", "egress_spec"), H("0x0001")),
		),
		Act("to5", 1, nil, P("assign", F("standard_metadata", "egress_spec"), H("0x0005"))),
		Act("NoAction", 2, nil),
	}
	vt := `{"name":"vt","id":1,"key":[{"match_type":"valid","name":"ua","target":"ua","mask":null}],
		"match_type":"exact","type":"simple","max_size":4,"with_counters":false,"support_timeout":false,"direct_meters":null,
		"action_ids":[1,2],"actions":["to5","NoAction"],"base_default_next":null,"next_tables":{"to5":null,"NoAction":null},
		"default_entry":{"action_id":2,"action_const":false,"action_data":[],"action_entry_const":false}}`
	s.inInit = "t"
	s.inTables = []string{Dummy("t", 0, 0, "ops", `"vt"`), vt}
	return s
}

func TestHeaderOps(t *testing.T) {
	p := headerOpsProgram().load(t)
	if k := p.Table("vt").Keys[0]; k.Match != MatchValid || k.Bitwidth != 1 || k.Target != "ua" {
		t.Fatalf("valid key %+v", k)
	}
	sw := New(p, Options{})
	payload := hx("dead")
	in := cat(hx("aa 02"), hx("10 20"), hx("33"), payload)
	o := one(t, sw.Process(0, in))
	sum := make([]byte, 2)
	binary.BigEndian.PutUint16(sum, ipChecksum(cat(hx("aa 02"), payload)))
	want := cat(
		hx("aa 02"), // h
		hx("11 02"), // c: a copy of h, then c.a = 0x11
		hx("10 77"), // the stack after push, st[2] = 0x77, pop
		// ua invalid once ub is valid (union); ub zeroed by add_header
		hx("0000"),
		hx("03"),   // size after push: 3
		hx("10"),   // st[1] after push: the old st[0]
		hx("01"),   // last index after pop: 1
		hx("00"),   // ua not valid
		hx("01"),   // the union valid
		hx("ff"),   // 0xaa + 0xff saturates
		hx("00"),   // 0xaa - 0x1ff saturates at 0
		hx("beef"), // register r[1]
		hx("00"),   // h != c
		hx("1aaf"), // identity over 0x1, 0xaa, 0xf packed: 0001 10101010 1111
		sum,        // csum16 over h and the payload
		hx("01"),   // checksum verification of h.b failed
		payload,
	)
	if o.Port != 1 || !bytes.Equal(o.Frame, want) {
		t.Fatalf("port %d\n got %x\nwant %x", o.Port, o.Frame, want)
	}
	// The "valid" key: an entry for ua invalid sends to port 5.
	must(t, sw.AddEntry("vt", Entry{Match: []FieldMatch{Valid(false)}, Action: Call("to5")}))
	if o := one(t, sw.Process(0, in)); o.Port != 5 {
		t.Fatalf("valid key: port %d", o.Port)
	}
	mustErr(t, sw.AddEntry("vt", Entry{Match: []FieldMatch{Exact(hx("02"))}, Action: Call("to5")}), ErrInvalid)
	v, err := sw.ReadRegister("r", 1)
	must(t, err)
	if !bytes.Equal(v, hx("beef")) {
		t.Fatalf("r[1] = %x", v)
	}
}
