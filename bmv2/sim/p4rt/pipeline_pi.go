package p4rt

import (
	"fmt"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
)

// piImport refuses what PI refuses when it imports a P4Info, before it
// looks at the device config (p4lang/PI proto/p4info/
// p4info_to_and_from_proto.cpp, p4info_proto_reader): a match type other
// than exact, lpm, ternary, range and optional; an action scope it does not
// know; a counter or meter without a unit; a digest whose type is not a
// bit<W>, or a struct or tuple of bit<W> members only (a member of a
// @p4runtime_translation type, a bool, an int<W>, a header...). bmv2 answers
// each with UNKNOWN ("Error when importing p4info"), VERIFY included, and
// logs PI's reason; the error names the object and the reason.
func piImport(p *p4configv1.P4Info) error {
	for _, t := range p.GetTables() {
		for _, mf := range t.GetMatchFields() {
			switch mf.GetMatchType() {
			case p4configv1.MatchField_EXACT, p4configv1.MatchField_LPM, p4configv1.MatchField_TERNARY,
				p4configv1.MatchField_RANGE, p4configv1.MatchField_OPTIONAL:
			default:
				return fmt.Errorf("table %q match field %q: match type %v is not one PI imports (exact, lpm, ternary, range, optional): Invalid match type",
					t.GetPreamble().GetName(), mf.GetName(), mf.GetMatchType())
			}
		}
		for _, ref := range t.GetActionRefs() {
			if _, ok := p4configv1.ActionRef_Scope_name[int32(ref.GetScope())]; !ok {
				return fmt.Errorf("table %q action %d: scope %d: Invalid action scope", t.GetPreamble().GetName(), ref.GetId(), ref.GetScope())
			}
		}
	}
	counterUnit := func(kind, name string, u p4configv1.CounterSpec_Unit) error {
		switch u {
		case p4configv1.CounterSpec_BYTES, p4configv1.CounterSpec_PACKETS, p4configv1.CounterSpec_BOTH:
			return nil
		}
		return fmt.Errorf("%s %q: unit %v (PI needs bytes, packets or both): Invalid counter unit", kind, name, u)
	}
	for _, c := range p.GetCounters() {
		if err := counterUnit("counter", c.GetPreamble().GetName(), c.GetSpec().GetUnit()); err != nil {
			return err
		}
	}
	for _, c := range p.GetDirectCounters() {
		if err := counterUnit("direct counter", c.GetPreamble().GetName(), c.GetSpec().GetUnit()); err != nil {
			return err
		}
	}
	meterUnit := func(kind, name string, u p4configv1.MeterSpec_Unit) error {
		if u == p4configv1.MeterSpec_BYTES || u == p4configv1.MeterSpec_PACKETS {
			return nil
		}
		return fmt.Errorf("%s %q: unit %v (PI needs bytes or packets): Invalid meter unit", kind, name, u)
	}
	for _, m := range p.GetMeters() {
		if err := meterUnit("meter", m.GetPreamble().GetName(), m.GetSpec().GetUnit()); err != nil {
			return err
		}
	}
	for _, m := range p.GetDirectMeters() {
		if err := meterUnit("direct meter", m.GetPreamble().GetName(), m.GetSpec().GetUnit()); err != nil {
			return err
		}
	}
	for _, d := range p.GetDigests() {
		if err := piDigest(d.GetTypeSpec(), p.GetTypeInfo()); err != nil {
			return fmt.Errorf("digest %q: %w", d.GetPreamble().GetName(), err)
		}
	}
	return nil
}

// piDigest checks a digest's type as PI's convert_type_spec_to_digest_fields
// does.
func piDigest(ts *p4configv1.P4DataTypeSpec, types *p4configv1.P4TypeInfo) error {
	field := func(what string, f *p4configv1.P4DataTypeSpec) error {
		bit := f.GetBitstring().GetBit()
		if bit == nil {
			return fmt.Errorf("%s is %s, and PI packs only bit<W> into a digest: Packed type for digest too complex", what, typeName(f))
		}
		if bit.GetBitwidth() < 0 {
			return fmt.Errorf("%s: negative bitwidth %d: Negative bitwidth in type spec", what, bit.GetBitwidth())
		}
		return nil
	}
	switch {
	case ts.GetStruct() != nil:
		name := ts.GetStruct().GetName()
		st, ok := types.GetStructs()[name]
		if !ok {
			return fmt.Errorf("struct %q is not in the P4Info's type_info: Struct name not found in P4Info map", name)
		}
		for _, m := range st.GetMembers() {
			if err := field(fmt.Sprintf("member %q of struct %q", m.GetName(), name), m.GetTypeSpec()); err != nil {
				return err
			}
		}
	case ts.GetTuple() != nil:
		for i, m := range ts.GetTuple().GetMembers() {
			if err := field(fmt.Sprintf("tuple member %d", i), m); err != nil {
				return err
			}
		}
	case ts.GetBitstring() != nil:
		return field("its type", ts)
	default:
		return fmt.Errorf("its type is %s, not a bit<W>, struct or tuple: Packed type for digest too complex", typeName(ts))
	}
	return nil
}

// typeName says what kind of type a type spec is, for messages.
func typeName(ts *p4configv1.P4DataTypeSpec) string {
	switch x := ts.GetTypeSpec().(type) {
	case *p4configv1.P4DataTypeSpec_NewType:
		return fmt.Sprintf("the new type %q (@p4runtime_translation)", x.NewType.GetName())
	case *p4configv1.P4DataTypeSpec_Bitstring:
		switch {
		case x.Bitstring.GetInt() != nil:
			return "an int<W>"
		case x.Bitstring.GetVarbit() != nil:
			return "a varbit<W>"
		}
		return "a bitstring"
	case *p4configv1.P4DataTypeSpec_Bool:
		return "a bool"
	case *p4configv1.P4DataTypeSpec_Header:
		return fmt.Sprintf("the header %q", x.Header.GetName())
	case *p4configv1.P4DataTypeSpec_Struct:
		return fmt.Sprintf("the struct %q", x.Struct.GetName())
	case *p4configv1.P4DataTypeSpec_Tuple:
		return "a tuple"
	case nil:
		return "unset"
	}
	return fmt.Sprintf("%T", ts.GetTypeSpec())
}
