package dataplane

// A small builder for synthetic bmv2 JSON programs, so that tests can
// exercise constructs the public fixtures do not (wide and signed
// arithmetic, parser features, jumps, resubmit, recirculation, egress
// clones, range tables, ...). The JSON follows docs/JSON_format.md and
// the shape p4c gives v1model programs.

import (
	"fmt"
	"strings"
	"testing"
)

// Operand and node builders; each returns a JSON fragment.

// F is a field operand.
func F(h, f string) string { return fmt.Sprintf(`{"type":"field","value":[%q,%q]}`, h, f) }

// H is a hexstr constant.
func H(v string) string { return fmt.Sprintf(`{"type":"hexstr","value":%q}`, v) }

// RD is action parameter i (runtime data).
func RD(i int) string { return fmt.Sprintf(`{"type":"runtime_data","value":%d}`, i) }

// E is an expression node; l may be "null" for unary operators.
func E(op, l, r string) string {
	return fmt.Sprintf(`{"type":"expression","value":{"op":%q,"left":%s,"right":%s}}`, op, l, r)
}

// Cond is a ternary expression.
func Cond(c, l, r string) string {
	return fmt.Sprintf(`{"type":"expression","value":{"op":"?","left":%s,"right":%s,"cond":%s}}`, l, r, c)
}

// X wraps an expression as a primitive argument, as p4c does.
func X(e string) string { return fmt.Sprintf(`{"type":"expression","value":%s}`, e) }

// Hdr names a header operand.
func Hdr(h string) string { return fmt.Sprintf(`{"type":"header","value":%q}`, h) }

// Named names an object operand (counter_array, register_array, ...).
func Named(kind, name string) string { return fmt.Sprintf(`{"type":%q,"value":%q}`, kind, name) }

// P is a primitive call.
func P(op string, params ...string) string {
	return fmt.Sprintf(`{"op":%q,"parameters":[%s]}`, op, strings.Join(params, ","))
}

// Act is an action; params are "name:width".
func Act(name string, id int, params []string, prims ...string) string {
	var rd []string
	for _, p := range params {
		var n string
		var w int
		fmt.Sscanf(strings.Replace(p, ":", " ", 1), "%s %d", &n, &w)
		rd = append(rd, fmt.Sprintf(`{"name":%q,"bitwidth":%d}`, n, w))
	}
	return fmt.Sprintf(`{"name":%q,"id":%d,"runtime_data":[%s],"primitives":[%s]}`, name, id, strings.Join(rd, ","), strings.Join(prims, ","))
}

// Dummy is a keyless table running action id (p4c's tbl_* tables).
func Dummy(name string, id, action int, actName, next string) string {
	return fmt.Sprintf(`{"name":%q,"id":%d,"key":[],"match_type":"exact","type":"simple","max_size":1024,
		"with_counters":false,"support_timeout":false,"direct_meters":null,"action_ids":[%d],"actions":[%q],
		"base_default_next":%s,"next_tables":{%q:%s},
		"default_entry":{"action_id":%d,"action_const":true,"action_data":[],"action_entry_const":true}}`,
		name, id, action, actName, next, actName, next, action)
}

// CondNode is a conditional.
func CondNode(name string, id int, expr, t, f string) string {
	return fmt.Sprintf(`{"name":%q,"id":%d,"expression":%s,"true_next":%s,"false_next":%s}`, name, id, expr, t, f)
}

// Q quotes a node name (or gives null for "").
func Q(s string) string {
	if s == "" {
		return "null"
	}
	return fmt.Sprintf("%q", s)
}

// synth is a program under construction.
type synth struct {
	scalars  []string // "name:width" fields of the scalars header
	types    []string
	headers  []string
	stacks   []string
	states   []string
	deparse  []string
	actions  []string
	inInit   string
	inTables []string
	inConds  []string
	egInit   string
	egTables []string
	egConds  []string
	top      map[string]string
}

var stdMetaFields = `[["ingress_port",9,false],["egress_spec",9,false],["egress_port",9,false],["instance_type",32,false],
	["packet_length",32,false],["enq_timestamp",32,false],["enq_qdepth",19,false],["deq_timedelta",32,false],
	["deq_qdepth",19,false],["ingress_global_timestamp",48,false],["egress_global_timestamp",48,false],
	["mcast_grp",16,false],["egress_rid",16,false],["checksum_error",1,false],["parser_error",32,false],
	["priority",3,false],["_padding",3,false]]`

var stdAliases = `[["queueing_metadata.enq_timestamp",["standard_metadata","enq_timestamp"]],
	["queueing_metadata.enq_qdepth",["standard_metadata","enq_qdepth"]],
	["queueing_metadata.deq_timedelta",["standard_metadata","deq_timedelta"]],
	["queueing_metadata.deq_qdepth",["standard_metadata","deq_qdepth"]],
	["intrinsic_metadata.ingress_global_timestamp",["standard_metadata","ingress_global_timestamp"]],
	["intrinsic_metadata.egress_global_timestamp",["standard_metadata","egress_global_timestamp"]],
	["intrinsic_metadata.mcast_grp",["standard_metadata","mcast_grp"]],
	["intrinsic_metadata.egress_rid",["standard_metadata","egress_rid"]],
	["intrinsic_metadata.priority",["standard_metadata","priority"]]]`

// json assembles the document.
func (s *synth) json() string {
	var sc []string
	for _, f := range s.scalars {
		i := strings.IndexByte(f, ':')
		sc = append(sc, fmt.Sprintf(`[%q,%s,false]`, f[:i], f[i+1:]))
	}
	types := append([]string{
		fmt.Sprintf(`{"name":"scalars_0","id":0,"fields":[%s]}`, strings.Join(sc, ",")),
		`{"name":"standard_metadata","id":1,"fields":` + stdMetaFields + `}`,
	}, s.types...)
	headers := append([]string{
		`{"name":"scalars","id":0,"header_type":"scalars_0","metadata":true}`,
		`{"name":"standard_metadata","id":1,"header_type":"standard_metadata","metadata":true}`,
	}, s.headers...)
	var order []string
	for _, d := range s.deparse {
		order = append(order, fmt.Sprintf("%q", d))
	}
	pipe := func(name string, id int, init string, tables, conds []string) string {
		return fmt.Sprintf(`{"name":%q,"id":%d,"init_table":%s,"action_profiles":[],"tables":[%s],"conditionals":[%s]}`,
			name, id, Q(init), strings.Join(tables, ","), strings.Join(conds, ","))
	}
	doc := map[string]string{
		"__meta__":        `{"version":[2,23],"compiler":"synthetic"}`,
		"header_types":    "[" + strings.Join(types, ",") + "]",
		"headers":         "[" + strings.Join(headers, ",") + "]",
		"header_stacks":   "[" + strings.Join(s.stacks, ",") + "]",
		"errors":          `[["NoError",0],["PacketTooShort",1],["NoMatch",2],["StackOutOfBounds",3],["HeaderTooShort",4],["ParserTimeout",5],["ParserInvalidArgument",6],["Custom",7]]`,
		"parsers":         `[{"name":"parser","id":0,"init_state":"start","parse_states":[` + strings.Join(s.states, ",") + `]}]`,
		"deparsers":       `[{"name":"deparser","id":0,"order":[` + strings.Join(order, ",") + `],"primitives":[]}]`,
		"actions":         "[" + strings.Join(s.actions, ",") + "]",
		"pipelines":       "[" + pipe("ingress", 0, s.inInit, s.inTables, s.inConds) + "," + pipe("egress", 1, s.egInit, s.egTables, s.egConds) + "]",
		"field_aliases":   stdAliases,
		"meter_arrays":    "[]",
		"counter_arrays":  "[]",
		"register_arrays": "[]",
		"calculations":    "[]",
		"learn_lists":     "[]",
		"field_lists":     "[]",
		"checksums":       "[]",
		"parse_vsets":     "[]",
	}
	for k, v := range s.top {
		doc[k] = v
	}
	var parts []string
	for k, v := range doc {
		parts = append(parts, fmt.Sprintf("%q:%s", k, v))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func (s *synth) load(t testing.TB) *Program {
	t.Helper()
	p, err := Load([]byte(s.json()))
	if err != nil {
		t.Fatalf("Load: %v\n%s", err, s.json())
	}
	return p
}

// pstate is a parse state extracting one header, then a select.
func pstate(name string, ops []string, key []string, trans ...string) string {
	return fmt.Sprintf(`{"name":%q,"id":0,"parser_ops":[%s],"transition_key":[%s],"transitions":[%s]}`,
		name, strings.Join(ops, ","), strings.Join(key, ","), strings.Join(trans, ","))
}

// extract is an extract parser op.
func extract(h string) string {
	return fmt.Sprintf(`{"op":"extract","parameters":[{"type":"regular","value":%q}]}`, h)
}

// tr is a transition: value "default" for the default case.
func tr(value, mask, next string) string {
	if value == "default" {
		return fmt.Sprintf(`{"type":"default","value":null,"mask":null,"next_state":%s}`, Q(next))
	}
	m := "null"
	if mask != "" {
		m = fmt.Sprintf("%q", mask)
	}
	return fmt.Sprintf(`{"type":"hexstr","value":%q,"mask":%s,"next_state":%s}`, value, m, Q(next))
}

// htype declares a header type from "name:width" fields.
func htype(name string, fields ...string) string {
	var fs []string
	for _, f := range fields {
		i := strings.IndexByte(f, ':')
		w, signed := f[i+1:], false
		if strings.HasSuffix(w, "s") {
			w, signed = strings.TrimSuffix(w, "s"), true
		}
		if w == "*" {
			w = `"*"`
		}
		fs = append(fs, fmt.Sprintf(`[%q,%s,%v]`, f[:i], w, signed))
	}
	return fmt.Sprintf(`{"name":%q,"id":0,"fields":[%s]}`, name, strings.Join(fs, ","))
}

// hinst declares a header instance.
func hinst(name, typ string, id int) string {
	return fmt.Sprintf(`{"name":%q,"id":%d,"header_type":%q,"metadata":false}`, name, id, typ)
}
