package dataplane

// Semantics tests on synthetic programs: each checks one behaviour of
// bmv2 (docs/JSON_format.md and the simple_switch sources) that the public
// fixtures do not exercise.

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// arithProgram parses h (a, b: 128 bits; c: 16; s: signed 8; d: 32) and
// emits o with the results of one action's expressions.
func arithProgram() *synth {
	s := &synth{
		types: []string{
			htype("h_t", "a:128", "b:128", "c:16", "s:8s", "d:32"),
			htype("o_t", "r1:128", "r2:128", "r3:16", "r4:16", "r5:8", "r6:32", "r7:32", "r8:32",
				"r9:8", "r10:16", "r11:16", "r12:8", "r13:8", "r14:8"),
		},
		headers: []string{hinst("h", "h_t", 2), hinst("o", "o_t", 3)},
		states:  []string{pstate("start", []string{extract("h")}, nil, tr("default", "", ""))},
		deparse: []string{"h", "o"},
	}
	allOnes := H("0x" + strings.Repeat("ff", 16))
	s.actions = []string{Act("compute", 0, nil,
		P("add_header", Hdr("o")),
		P("assign", F("o", "r1"), X(E("+", F("h", "a"), F("h", "b")))),
		P("assign", F("o", "r2"), X(E("<<", F("h", "a"), H("0x40")))),
		P("assign", F("o", "r3"), X(E("&", E("-", F("h", "c"), H("0x05")), H("0xffff")))),
		P("assign", F("o", "r4"), X(E("&", E("~", "null", F("h", "c")), H("0xffff")))),
		P("assign", F("o", "r5"), X(E(">>", F("h", "s"), H("0x01")))),
		P("assign", F("o", "r6"), X(E(">>", F("h", "a"), H("0x64")))),
		P("assign", F("o", "r7"), X(E("/", F("h", "d"), H("0x03")))),
		P("assign", F("o", "r8"), X(E("%", F("h", "d"), H("0x07")))),
		P("assign", F("o", "r9"), X(E("two_comp_mod", F("h", "c"), H("0x08")))),
		P("assign", F("o", "r10"), X(E("usat_cast", E("*", F("h", "d"), H("0x03e8")), H("0x10")))),
		P("assign", F("o", "r11"), X(Cond(E("==", F("h", "d"), H("0x07")), H("0x1111"), H("0x2222")))),
		P("assign", F("o", "r12"), X(E("b2d", "null", E("==", F("h", "a"), allOnes)))),
		P("assign", F("o", "r13"), X(E("b2d", "null", E(">", F("h", "a"), F("h", "b"))))),
		P("assign", F("o", "r14"), X(E("b2d", "null", E("d2b", "null", F("h", "c"))))),
		P("assign", F("standard_metadata", "egress_spec"), H("0x0001")),
	)}
	s.inInit = "tbl"
	s.inTables = []string{Dummy("tbl", 0, 0, "compute", "null")}
	return s
}

// TestArithmetic: bmv2 computes with infinite precision and truncates on
// store (JSON_format.md, "General information"); signed fields read as
// negative numbers; two_comp_mod, usat_cast, ?:, b2d and d2b.
func TestArithmetic(t *testing.T) {
	sw := New(arithProgram().load(t), Options{})
	h := cat(bytes.Repeat([]byte{0xff}, 16), hx("00000000000000000000000000000001"), hx("0081"), hx("fe"), be32(100))
	o := one(t, sw.Process(0, h))
	got := o.Frame[len(h):]
	want := cat(
		make([]byte, 16),                       // a + b wraps to 0 in 128 bits
		hx("ffffffffffffffff0000000000000000"), // a << 64
		hx("007c"),                             // (0x81 - 5) & 0xffff
		hx("ff7e"),                             // ~0x81 & 0xffff
		hx("ff"),                               // -2 >> 1 = -1, stored in 8 bits
		hx("0fffffff"),                         // a >> 100
		be32(33),                               // 100 / 3
		be32(2),                                // 100 % 7
		hx("81"),                               // two_comp_mod(0x81, 8) = -127
		hx("ffff"),                             // usat_cast(100000, 16)
		hx("2222"),                             // d == 7 ? ... : 0x2222
		hx("01"),                               // a == 2^128-1
		hx("01"),                               // a > b
		hx("01"),                               // d2b(c)
	)
	if o.Port != 1 || !bytes.Equal(got, want) {
		t.Fatalf("results\n got %x\nwant %x", got, want)
	}
	if !bytes.Equal(o.Frame[:len(h)], h) {
		t.Fatalf("h changed: %x", o.Frame[:len(h)])
	}
}

// TestParserFeatures: lookahead in a select, masked cases, verify with a
// program error, advance, stacks with StackOutOfBounds, extract_VL, and a
// value set; parser_error and the payload as bmv2 leaves them.
func TestParserFeatures(t *testing.T) {
	s := &synth{
		scalars: []string{"err:32", "len:32", "_pad:0"},
		types: []string{
			htype("t_t", "kind:8"),
			htype("e_t", "v:16"),
			htype("l_t", "n:8"),
			htype("v_t", "data:*"),
			htype("r_t", "err:32"),
		},
		headers: []string{hinst("t", "t_t", 2), hinst("e0", "e_t", 3), hinst("e1", "e_t", 4), hinst("l", "l_t", 7), hinst("v", "v_t", 5), hinst("r", "r_t", 6)},
		stacks:  []string{`{"name":"es","id":0,"header_type":"e_t","size":2,"header_ids":[3,4]}`},
		deparse: []string{"t", "e0", "e1", "l", "v", "r"},
		top: map[string]string{
			"parse_vsets": `[{"name":"vs","id":0,"compressed_bitwidth":8}]`,
		},
	}
	s.scalars = []string{"x:8"}
	lookahead := `{"type":"lookahead","value":[0,8]}`
	s.states = []string{
		// Select on the first byte without extracting it.
		pstate("start", nil, []string{lookahead},
			tr("0x01", "", "stack"), tr("0x02", "", "vl"), tr("0x30", "0xf0", "verify"), tr("0x04", "", "adv"),
			`{"type":"parse_vset","value":"vs","mask":null,"next_state":"vset"}`, tr("default", "", "")),
		// kind 1: a stack of e_t until e.v's top bit is clear.
		pstate("stack", []string{extract("t")}, nil, tr("default", "", "more")),
		pstate("more", []string{`{"op":"extract","parameters":[{"type":"stack","value":"es"}]}`},
			[]string{`{"type":"stack_field","value":["es","v"]}`}, tr("0x8000", "0x8000", "more"), tr("default", "", "")),
		// kind 2: v with n bytes of data.
		pstate("vl", []string{extract("t"), extract("l"),
			`{"op":"extract_VL","parameters":[{"type":"regular","value":"v"},` +
				X(E("<<", F("l", "n"), H("0x03"))) + `]}`}, nil, tr("default", "", "")),
		// kind 0x3?: verify the low nibble is 0, else error Custom.
		pstate("verify", []string{extract("t"),
			`{"op":"verify","parameters":[` + E("==", E("&", F("t", "kind"), H("0x0f")), H("0x00")) + `,` + H("0x7") + `]}`}, nil, tr("default", "", "")),
		// kind 4: skip two bytes.
		pstate("adv", []string{extract("t"), `{"op":"advance","parameters":[` + H("0x10") + `]}`}, nil, tr("default", "", "")),
		pstate("vset", []string{extract("t"),
			`{"op":"set","parameters":[` + F("scalars", "x") + `,` + H("0x77") + `]}`}, nil, tr("default", "", "")),
	}
	// Ingress: r = parser_error; x == 0x77 marks value-set packets in
	// egress_spec.
	s.actions = []string{Act("report", 0, nil,
		P("add_header", Hdr("r")),
		P("assign", F("r", "err"), F("standard_metadata", "parser_error")),
		P("assign", F("standard_metadata", "egress_spec"), X(Cond(E("==", F("scalars", "x"), H("0x77")), H("0x0007"), H("0x0001")))),
	)}
	s.inInit = "tbl"
	s.inTables = []string{Dummy("tbl", 0, 0, "report", "null")}
	p := s.load(t)
	if vi := p.ValueSet("vs"); vi == nil || len(vi.FieldWidths) != 1 || vi.FieldWidths[0] != 8 {
		t.Fatalf("value set info %+v", vi)
	}
	sw := New(p, Options{})
	// The output is the valid headers, then r (the parser error), then
	// the payload the parser left.
	for _, tc := range []struct {
		name    string
		in      []byte
		hdrs    []byte
		payload []byte
		err     uint32
		pError  string
	}{
		{"stack of two", hx("01 8001 0002 aa"), hx("01 8001 0002"), hx("aa"), 0, "NoError"},
		{"stack overflow", hx("01 8001 8002 8003"), hx("01 8001 8002"), hx("8003"), 3, "StackOutOfBounds"},
		{"short stack", hx("01 80"), hx("01"), hx("80"), 1, "PacketTooShort"},
		{"vl 3 bytes", hx("02 03 aabbcc dd"), hx("02 03 aabbcc"), hx("dd"), 0, "NoError"},
		{"vl too long", hx("02 09 aabb"), hx("02 09"), hx("aabb"), 1, "PacketTooShort"},
		{"verify ok", hx("30 11"), hx("30"), hx("11"), 0, "NoError"},
		{"verify fails", hx("35 11"), hx("35"), hx("11"), 7, "Custom"},
		{"advance", hx("04 1122 33"), hx("04"), hx("33"), 0, "NoError"},
		{"no match", hx("09 00"), nil, hx("09 00"), 0, "NoError"},
	} {
		r := sw.Process(2, tc.in)
		o := one(t, r)
		if r.ParserError != tc.pError || o.Port != 1 {
			t.Errorf("%s: parser error %q port %d, want %q 1", tc.name, r.ParserError, o.Port, tc.pError)
		}
		if want := cat(tc.hdrs, be32(tc.err), tc.payload); !bytes.Equal(o.Frame, want) {
			t.Errorf("%s: output %x, want %x", tc.name, o.Frame, want)
		}
	}
	// Value set: 0x09 becomes a member.
	must(t, sw.SetValueSet("vs", [][][]byte{{hx("09")}}))
	if o := one(t, sw.Process(2, hx("09 00"))); o.Port != 7 {
		t.Fatalf("value set member: port %d, want 7", o.Port)
	}
	m, _ := sw.ValueSetMembers("vs")
	if len(m) != 1 || !bytes.Equal(m[0][0], hx("09")) {
		t.Fatalf("members %x", m)
	}
	mustErr(t, sw.SetValueSet("vs", [][][]byte{{hx("0100")}}), ErrInvalid)
	must(t, sw.SetValueSet("vs", nil))
	if o := one(t, sw.Process(2, hx("09 00"))); o.Port != 1 {
		t.Fatalf("emptied value set: port %d", o.Port)
	}
}

// TestControlFlow: _jump_if_zero skips primitives, exit ends the control
// (and the rest of the action still runs, as in bmv2), a table's
// __HIT__/__MISS__ branches, range matching by priority, and a failing
// assert dropping the packet.
func TestControlFlow(t *testing.T) {
	s := &synth{
		scalars: []string{"hit:8"},
		types:   []string{htype("h_t", "a:8", "b:8", "c:8")},
		headers: []string{hinst("h", "h_t", 2)},
		states:  []string{pstate("start", []string{extract("h")}, nil, tr("default", "", ""))},
		deparse: []string{"h"},
	}
	s.actions = []string{
		// b = 1; if a == 0 skip "b = 2"; c = 3.
		Act("jumpy", 0, nil,
			P("assign", F("h", "b"), H("0x01")),
			P("_jump_if_zero", F("h", "a"), H("0x3")),
			P("assign", F("h", "b"), H("0x02")),
			P("assign", F("h", "c"), H("0x03")),
			P("assign", F("standard_metadata", "egress_spec"), H("0x0001")),
		),
		// exit when a == 0xee; the primitive after exit still runs.
		Act("maybe_exit", 1, nil,
			P("_jump_if_zero", X(E("b2d", "null", E("==", F("h", "a"), H("0xee")))), H("0x3")),
			P("exit"),
			P("assign", F("h", "c"), H("0x99")),
		),
		Act("set_port", 2, []string{"port:9"}, P("assign", F("standard_metadata", "egress_spec"), RD(0))),
		Act("mark", 3, nil, P("assign", F("h", "c"), H("0x44"))),
		Act("check", 4, nil, P("assert", X(E("b2d", "null", E("!=", F("h", "a"), H("0xdd")))))),
		Act("NoAction", 5, nil),
	}
	rangeTable := `{"name":"rt","id":3,"key":[{"match_type":"range","name":"h.b","target":["h","b"],"mask":null}],
		"match_type":"range","type":"simple","max_size":16,"with_counters":true,"support_timeout":false,"direct_meters":null,
		"action_ids":[2,5],"actions":["set_port","NoAction"],"base_default_next":null,
		"next_tables":{"__HIT__":"hitnode","__MISS__":null},
		"default_entry":{"action_id":5,"action_const":false,"action_data":[],"action_entry_const":false}}`
	s.inInit = "t0"
	s.inTables = []string{
		Dummy("t0", 0, 0, "jumpy", `"t1"`),
		Dummy("t1", 1, 1, "maybe_exit", `"t2"`),
		Dummy("t2", 2, 4, "check", `"rt"`),
		rangeTable,
		Dummy("hitnode", 4, 3, "mark", "null"),
	}
	p := s.load(t)
	if !p.Table("rt").NeedsPriority {
		t.Fatal("range table without priority")
	}
	sw := New(p, Options{})
	if o := one(t, sw.Process(0, hx("00 00 00"))); !bytes.Equal(o.Frame, hx("00 01 03")) {
		t.Fatalf("a=0: %x, want the jump to skip b=2", o.Frame)
	}
	if o := one(t, sw.Process(0, hx("05 00 00"))); !bytes.Equal(o.Frame, hx("05 02 03")) {
		t.Fatalf("a=5: %x", o.Frame)
	}
	// exit: c = 0x99 is still assigned, the range table never runs.
	must(t, sw.AddEntry("rt", Entry{Match: []FieldMatch{Range(hx("00"), hx("ff"))}, Priority: 1, Action: Call("set_port", hx("0009"))}))
	if o := one(t, sw.Process(0, hx("ee 00 00"))); o.Port != 1 || !bytes.Equal(o.Frame, hx("ee 02 99")) {
		t.Fatalf("exit: %+v", o)
	}
	// Ranges: [0, 255] prio 1 -> 9; [2, 4] prio 5 -> 4; b is 2 after
	// jumpy (a != 0). The hit branch marks c.
	must(t, sw.AddEntry("rt", Entry{Match: []FieldMatch{Range(hx("02"), hx("04"))}, Priority: 5, Action: Call("set_port", hx("0004"))}))
	if o := one(t, sw.Process(0, hx("05 00 00"))); o.Port != 4 || o.Frame[2] != 0x44 {
		t.Fatalf("range priority: %+v", o)
	}
	must(t, sw.DeleteEntry("rt", []FieldMatch{Range(hx("02"), hx("04"))}, 5))
	if o := one(t, sw.Process(0, hx("05 00 00"))); o.Port != 9 {
		t.Fatalf("wide range: %+v", o)
	}
	mustErr(t, sw.AddEntry("rt", Entry{Match: []FieldMatch{Range(hx("05"), hx("04"))}, Priority: 5, Action: Call("NoAction")}), ErrInvalid)
	// Miss: the __MISS__ branch ends the control; c keeps its value.
	must(t, sw.DeleteEntry("rt", []FieldMatch{Range(hx("00"), hx("ff"))}, 1))
	if o := one(t, sw.Process(0, hx("05 00 00"))); o.Port != 1 || o.Frame[2] != 0x03 {
		t.Fatalf("miss: %+v", o)
	}
	// A failing assert drops the packet (bmv2 would abort the process).
	r := sw.Process(0, hx("dd 00 00"))
	if len(r.Outputs) != 0 || len(r.Drops) != 1 || r.Drops[0].Reason != DropAssert {
		t.Fatalf("assert: %+v", r)
	}
}

// flowProgram counts passes in a metadata field kept by the field list:
// ingress resubmits on pass 1, egress recirculates on pass 2. Ingress
// sets bit instance_type of h.pad; egress writes the pass count and the
// instance type (as egress sees it) into h, and clones to session 5 with
// a truncation to 3 bytes when h.a == 0xcc and the instance is normal.
func flowProgram() *synth {
	s := &synth{
		scalars: []string{"passes:8"},
		types:   []string{htype("h_t", "a:8", "passes:8", "inst:8", "pad:8")},
		headers: []string{hinst("h", "h_t", 2)},
		states:  []string{pstate("start", []string{extract("h")}, nil, tr("default", "", ""))},
		deparse: []string{"h"},
		top: map[string]string{
			"field_lists": `[{"id":1,"name":"fl","elements":[` + F("scalars", "passes") + `]}]`,
		},
	}
	s.actions = []string{
		Act("count", 0, nil,
			P("assign", F("scalars", "passes"), X(E("&", E("+", F("scalars", "passes"), H("0x01")), H("0xff")))),
			P("assign", F("h", "pad"), X(E("&", E("|", F("h", "pad"), E("<<", H("0x1"), F("standard_metadata", "instance_type"))), H("0xff")))),
			P("assign", F("standard_metadata", "egress_spec"), H("0x0002")),
		),
		Act("resub", 1, nil, P("resubmit", H("0x1"))),
		Act("recirc", 2, nil, P("recirculate", H("0x1"))),
		Act("stamp", 3, nil,
			P("assign", F("h", "passes"), F("scalars", "passes")),
			P("assign", F("h", "inst"), F("standard_metadata", "instance_type")),
		),
		Act("e2e", 4, nil, P("clone_egress_pkt_to_egress", H("0x5"), H("0x1")), P("truncate", H("0x3"))),
	}
	s.inInit = "cnt"
	s.inTables = []string{Dummy("cnt", 0, 0, "count", `"c_resub"`), Dummy("resub", 1, 1, "resub", "null")}
	s.inConds = []string{CondNode("c_resub", 0, E("==", F("scalars", "passes"), H("0x01")), `"resub"`, "null")}
	s.egInit = "stamp"
	s.egTables = []string{Dummy("stamp", 2, 3, "stamp", `"c_recirc"`), Dummy("recirc", 3, 2, "recirc", "null"), Dummy("e2e", 4, 4, "e2e", "null")}
	s.egConds = []string{
		CondNode("c_recirc", 1, E("==", F("scalars", "passes"), H("0x02")), `"recirc"`, `"c_e2e"`),
		CondNode("c_e2e", 2, E("and", E("==", F("h", "a"), H("0xcc")), E("==", F("standard_metadata", "instance_type"), H("0x0"))), `"e2e"`, "null"),
	}
	return s
}

// TestResubmitRecirculate: resubmit restarts ingress with the original
// packet and the field list values; recirculation restarts it with the
// deparsed packet; ingress sees instance types RESUBMIT (6) and RECIRC
// (4), egress NORMAL (simple_switch resets it before unicast).
func TestResubmitRecirculate(t *testing.T) {
	sw := New(flowProgram().load(t), Options{})
	// Pass 1 resubmits (its change to h is lost: the original packet is
	// parsed again); pass 2 reaches egress (passes = 2) which
	// recirculates the deparsed packet; pass 3 goes out.
	r := sw.Process(1, hx("00 00 00 00"))
	o := one(t, r)
	if o.Port != 2 || !bytes.Equal(o.Frame, hx("00 03 00 50")) || o.InstanceType != InstanceNormal {
		t.Fatalf("got %+v, want 3 passes, ingress instances resubmit and recirculate", o)
	}
	// With MaxPasses 2 the recirculated copy is dropped.
	sw = New(flowProgram().load(t), Options{MaxPasses: 2})
	r = sw.Process(1, hx("00 00 00 00"))
	if len(r.Outputs) != 0 || len(r.Drops) != 1 || r.Drops[0].Reason != DropPassLimit {
		t.Fatalf("limited: %+v", r)
	}
}

// TestEgressClone: an E2E clone carries the headers as egress left them,
// metadata reset but the field list kept, instance type EGRESS_CLONE, and
// the truncation.
func TestEgressClone(t *testing.T) {
	sw := New(flowProgram().load(t), Options{})
	must(t, sw.SetCloneSession(5, CloneSession{Replicas: []Replica{{Port: 7, Instance: 3}}}, false))
	r := sw.Process(1, hx("cc 00 00 00"))
	if len(r.Outputs) != 2 {
		t.Fatalf("outputs %+v", r.Outputs)
	}
	for _, o := range r.Outputs {
		switch o.InstanceType {
		case InstanceNormal:
			// The original, truncated to 3 bytes.
			if o.Port != 2 || !bytes.Equal(o.Frame, hx("cc 03 00")) {
				t.Errorf("original %+v", o)
			}
		case InstanceEgressClone:
			// The clone of the third pass: egress stamped passes 3 and
			// instance 2 into h; it is not cloned again, and, like a bmv2
			// packet clone, does not keep the truncation.
			if o.Port != 7 || !bytes.Equal(o.Frame, hx("cc 03 02 50")) {
				t.Errorf("clone %+v", o)
			}
		default:
			t.Errorf("unexpected %+v", o)
		}
	}
}

// TestPriorityQueues: simple_switch drops packets whose priority has no
// queue (one queue per port by default).
func TestPriorityQueues(t *testing.T) {
	s := &synth{
		types:   []string{htype("h_t", "a:8")},
		headers: []string{hinst("h", "h_t", 2)},
		states:  []string{pstate("start", []string{extract("h")}, nil, tr("default", "", ""))},
		deparse: []string{"h"},
		actions: []string{Act("prio", 0, nil,
			P("assign", F("standard_metadata", "priority"), F("h", "a")),
			P("assign", F("standard_metadata", "egress_spec"), H("0x0003")))},
		inInit:   "t",
		inTables: []string{Dummy("t", 0, 0, "prio", "null")},
	}
	p := s.load(t)
	sw := New(p, Options{})
	one(t, sw.Process(0, hx("00")))
	r := sw.Process(0, hx("01"))
	if len(r.Outputs) != 0 || len(r.Drops) != 1 || r.Drops[0].Reason != DropPriority {
		t.Fatalf("priority 1 with one queue: %+v", r)
	}
	sw = New(p, Options{QueuesPerPort: 8})
	one(t, sw.Process(0, hx("07")))
}

// TestLoadErrors: malformed references are errors naming them, and
// constructs the dataplane cannot run are all listed in an
// UnsupportedError.
func TestLoadErrors(t *testing.T) {
	base := func() *synth {
		return &synth{
			types:    []string{htype("h_t", "a:8")},
			headers:  []string{hinst("h", "h_t", 2)},
			states:   []string{pstate("start", []string{extract("h")}, nil, tr("default", "", ""))},
			deparse:  []string{"h"},
			actions:  []string{Act("a0", 0, nil)},
			inInit:   "t",
			inTables: []string{Dummy("t", 0, 0, "a0", "null")},
		}
	}
	for _, tc := range []struct {
		name        string
		mod         func(*synth)
		unsupported []string
		invalid     string
	}{
		{"unknown primitive and hash", func(s *synth) {
			s.actions = []string{Act("a0", 0, nil, P("frobnicate", F("h", "a")))}
			s.top = map[string]string{"calculations": `[{"name":"c","id":0,"algo":"random","input":[]}]`}
		}, []string{`primitive "frobnicate"`, `hash algorithm "random"`}, ""},
		{"extern and union stack", func(s *synth) {
			s.top = map[string]string{
				"extern_instances":    `[{"name":"x","id":0,"type":"my_extern","attribute_values":[]}]`,
				"header_union_stacks": `[{"name":"us","id":0,"union_type":"u","header_union_ids":[]}]`,
			}
		}, []string{`extern instance "x" of type "my_extern"`, `header union stack "us"`}, ""},
		{"unknown field", func(s *synth) {
			s.actions = []string{Act("a0", 0, nil, P("assign", F("h", "nope"), H("0x1")))}
		}, nil, "unknown field h.nope"},
		{"unknown next node", func(s *synth) {
			s.inTables = []string{Dummy("t", 0, 0, "a0", `"ghost"`)}
		}, nil, `unknown next node "ghost"`},
		{"missing standard metadata field", func(s *synth) {
			s.top = map[string]string{"field_aliases": "[]"}
			s.types = append(s.types, htype("x_t", "y:8"))
		}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			tc.mod(s)
			_, err := Load([]byte(s.json()))
			var ue *UnsupportedError
			switch {
			case tc.unsupported != nil:
				if !errors.As(err, &ue) {
					t.Fatalf("error %v, want UnsupportedError", err)
				}
				for _, w := range tc.unsupported {
					if !strings.Contains(ue.Error(), w) {
						t.Errorf("%q not in %v", w, ue.Constructs)
					}
				}
			case tc.invalid != "":
				if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), tc.invalid) {
					t.Fatalf("error %v, want one naming %q", err, tc.invalid)
				}
			default:
				if err != nil {
					t.Fatalf("error %v", err)
				}
			}
		})
	}
	if _, err := Load([]byte(`{"__meta__":{"version":[3,0]}}`)); err == nil || !strings.Contains(err.Error(), "version") {
		t.Fatalf("version 3: %v", err)
	}
}
