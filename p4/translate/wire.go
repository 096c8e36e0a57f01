package translate

import (
	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of p4runtime.proto that UpdateWire reads.
const (
	updType, updEntity           = 1, 2
	entTableEntry                = 2
	teTableID, teMatch, teAction = 1, 2, 3
	fmFieldID, fmExact           = 1, 2
	fmTernary, fmLPM             = 3, 4
	fmRange, fmOptional, fmOther = 6, 7, 100
	exactValue                   = 1
	taAction, taMember, taGroup  = 1, 2, 3
	actID, actParams             = 1, 4
	wParamID, wParamValue        = 2, 3
	maxVarintID                  = 1<<32 - 1
	wireSlack                    = 16 // room for ids and ports that grow
)

// UpdateWire translates an Update given as its wire bytes (the message,
// without its tag) into wire bytes, without decoding it into messages:
// the proxy's mirrored writes (issue 14) spend most of their time copying
// and encoding what a translation changes in a few places. It takes the
// updates a controller writes most (a table entry with a direct action,
// or none, or a member or group, matched on any field, exactly on port
// fields) and gives what Update would give for them, encoded (the fields
// it does not change as they came); ok false for anything else (another
// kind of entity, a field repeated, a port matched otherwise, anything it
// would refuse), which Update then translates as ever.
// FuzzUpdateWire holds it to Update.
func (t *Translator) UpdateWire(b []byte) (out []byte, ok bool) {
	out = make([]byte, 0, len(b)+wireSlack)
	var seenType, seenEntity bool
	for rest := b; len(rest) > 0; {
		num, typ, v, n := field(rest)
		if n < 0 {
			return nil, false
		}
		switch {
		case num == updType && typ == protowire.VarintType && !seenType:
			seenType = true
			out = append(out, rest[:n]...)
		case num == updEntity && typ == protowire.BytesType && !seenEntity:
			seenEntity = true
			e, ok := t.entityWire(v)
			if !ok {
				return nil, false
			}
			out = protowire.AppendTag(out, updEntity, protowire.BytesType)
			out = protowire.AppendBytes(out, e)
		default:
			return nil, false
		}
		rest = rest[n:]
	}
	return out, seenEntity
}

// field reads the field at the head of b: its number, wire type, value
// (the bytes of a length-delimited one, else the encoded value) and the
// length of the whole field (negative when malformed).
func field(b []byte) (protowire.Number, protowire.Type, []byte, int) {
	num, typ, k := protowire.ConsumeTag(b)
	if k < 0 {
		return 0, 0, nil, -1
	}
	m := protowire.ConsumeFieldValue(num, typ, b[k:])
	if m < 0 {
		return 0, 0, nil, -1
	}
	v := b[k : k+m]
	if typ == protowire.BytesType {
		var l int
		v, l = protowire.ConsumeBytes(v)
		if l < 0 {
			return 0, 0, nil, -1
		}
	}
	return num, typ, v, k + m
}

// varintOnce reads field num of message b, a varint that must be there
// exactly once.
func varintOnce(b []byte, num protowire.Number) (uint64, bool) {
	var x uint64
	seen := false
	for rest := b; len(rest) > 0; {
		n, typ, v, k := field(rest)
		if k < 0 {
			return 0, false
		}
		if n == num {
			if seen || typ != protowire.VarintType {
				return 0, false
			}
			var l int
			if x, l = protowire.ConsumeVarint(v); l < 0 {
				return 0, false
			}
			seen = true
		}
		rest = rest[k:]
	}
	return x, seen
}

// entityWire translates an Entity holding a table entry.
func (t *Translator) entityWire(b []byte) ([]byte, bool) {
	num, typ, v, n := field(b)
	if n != len(b) || num != entTableEntry || typ != protowire.BytesType {
		return nil, false
	}
	te, ok := t.tableEntryWire(v)
	if !ok {
		return nil, false
	}
	out := protowire.AppendTag(make([]byte, 0, len(te)+4), entTableEntry, protowire.BytesType)
	return protowire.AppendBytes(out, te), true
}

func (t *Translator) tableEntryWire(b []byte) ([]byte, bool) {
	id, ok := varintOnce(b, teTableID)
	if !ok || id > maxVarintID {
		return nil, false
	}
	tp := t.tables[uint32(id)]
	if tp == nil {
		return nil, false
	}
	out := make([]byte, 0, len(b)+wireSlack)
	seenAction := false
	for rest := b; len(rest) > 0; {
		num, typ, v, n := field(rest)
		if n < 0 {
			return nil, false
		}
		switch {
		case num == teTableID:
			out = protowire.AppendTag(out, teTableID, protowire.VarintType)
			out = protowire.AppendVarint(out, uint64(tp.to.ID))
		case num == teMatch && typ == protowire.BytesType:
			m, ok := t.matchWire(v, tp)
			if !ok {
				return nil, false
			}
			out = protowire.AppendTag(out, teMatch, protowire.BytesType)
			out = protowire.AppendBytes(out, m)
		case num == teAction && typ == protowire.BytesType && !seenAction:
			seenAction = true
			a, ok := t.tableActionWire(v)
			if !ok {
				return nil, false
			}
			out = protowire.AppendTag(out, teAction, protowire.BytesType)
			out = protowire.AppendBytes(out, a)
		case num == teMatch || num == teAction:
			return nil, false
		default: // priority, metadata, direct resources...: as they came
			out = append(out, rest[:n]...)
		}
		rest = rest[n:]
	}
	return out, true
}

// matchWire translates a FieldMatch of table tp: its field id, and the
// value of an exact match on a port field (any other match of a port
// field is left to Update).
func (t *Translator) matchWire(b []byte, tp *tablePair) ([]byte, bool) {
	id, ok := varintOnce(b, fmFieldID)
	if !ok || id > maxVarintID {
		return nil, false
	}
	fp, ok := tp.fields[uint32(id)]
	if !ok {
		return nil, false
	}
	out := make([]byte, 0, len(b)+wireSlack)
	kinds := 0
	for rest := b; len(rest) > 0; {
		num, typ, v, n := field(rest)
		if n < 0 {
			return nil, false
		}
		switch num {
		case fmFieldID:
			out = protowire.AppendTag(out, fmFieldID, protowire.VarintType)
			out = protowire.AppendVarint(out, uint64(fp.to.ID))
		case fmExact, fmTernary, fmLPM, fmRange, fmOptional, fmOther:
			if kinds++; kinds > 1 || typ != protowire.BytesType {
				return nil, false
			}
			if !fp.from.IsPort {
				out = append(out, rest[:n]...)
				break
			}
			if num != fmExact {
				return nil, false
			}
			val, ok := bytesOnce(v, exactValue)
			if !ok {
				return nil, false
			}
			p, err := t.ports.Bytes(val, fp.from.IsString, fp.to.Width)
			if err != nil {
				return nil, false
			}
			x := protowire.AppendBytes(protowire.AppendTag(nil, exactValue, protowire.BytesType), p)
			out = protowire.AppendTag(out, fmExact, protowire.BytesType)
			out = protowire.AppendBytes(out, x)
		default:
			return nil, false
		}
		rest = rest[n:]
	}
	return out, kinds == 1
}

// bytesOnce reads message b that holds field num, a bytestring, once and
// nothing else.
func bytesOnce(b []byte, num protowire.Number) ([]byte, bool) {
	n, typ, v, k := field(b)
	if k != len(b) || n != num || typ != protowire.BytesType {
		return nil, false
	}
	return v, true
}

// tableActionWire translates a TableAction: a direct action, a member or
// a group (an action set is left to Update).
func (t *Translator) tableActionWire(b []byte) ([]byte, bool) {
	if len(b) == 0 {
		return b, true
	}
	num, typ, v, n := field(b)
	if n != len(b) {
		return nil, false
	}
	switch {
	case num == taAction && typ == protowire.BytesType:
		a, ok := t.actionWire(v)
		if !ok {
			return nil, false
		}
		out := protowire.AppendTag(make([]byte, 0, len(a)+4), taAction, protowire.BytesType)
		return protowire.AppendBytes(out, a), true
	case (num == taMember || num == taGroup) && typ == protowire.VarintType:
		return b, true
	}
	return nil, false
}

// actionWire translates a direct Action: its id, its parameters' ids and
// the values of those that are ports.
func (t *Translator) actionWire(b []byte) ([]byte, bool) {
	id, ok := varintOnce(b, actID)
	if !ok || id > maxVarintID {
		return nil, false
	}
	ap := t.actions[uint32(id)]
	if ap == nil {
		return nil, false
	}
	out := make([]byte, 0, len(b)+wireSlack)
	for rest := b; len(rest) > 0; {
		num, typ, v, n := field(rest)
		if n < 0 {
			return nil, false
		}
		switch {
		case num == actID:
			out = protowire.AppendTag(out, actID, protowire.VarintType)
			out = protowire.AppendVarint(out, uint64(ap.to.ID))
		case num == actParams && typ == protowire.BytesType:
			p, ok := t.paramWire(v, ap)
			if !ok {
				return nil, false
			}
			out = protowire.AppendTag(out, actParams, protowire.BytesType)
			out = protowire.AppendBytes(out, p)
		default:
			return nil, false
		}
		rest = rest[n:]
	}
	return out, true
}

func (t *Translator) paramWire(b []byte, ap *actionPair) ([]byte, bool) {
	id, ok := varintOnce(b, wParamID)
	if !ok || id > maxVarintID {
		return nil, false
	}
	to, ok := ap.params[uint32(id)]
	if !ok {
		return nil, false
	}
	from := ap.from.Param(uint32(id))
	out := make([]byte, 0, len(b)+wireSlack)
	seenValue := false
	for rest := b; len(rest) > 0; {
		num, typ, v, n := field(rest)
		if n < 0 {
			return nil, false
		}
		switch {
		case num == wParamID:
			out = protowire.AppendTag(out, wParamID, protowire.VarintType)
			out = protowire.AppendVarint(out, uint64(to.ID))
		case num == wParamValue && typ == protowire.BytesType && !seenValue:
			seenValue = true
			if from.IsPort {
				p, err := t.OutputPorts().Bytes(v, from.IsString, to.Width)
				if err != nil {
					return nil, false
				}
				v = p
			}
			out = protowire.AppendTag(out, wParamValue, protowire.BytesType)
			out = protowire.AppendBytes(out, v)
		default:
			return nil, false
		}
		rest = rest[n:]
	}
	if !seenValue && from.IsPort {
		return nil, false // an empty port: Update says what it makes of it
	}
	return out, true
}
