package sim

//lint:file-ignore SA1019 P4Runtime 1.3 clients (bmv2, ONOS) write replicas with egress_port

import (
	"errors"
	"fmt"
	"math"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim/dataplane"
	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/info"
)

// errTranslated reports a value of a P4Runtime-translated string type,
// which the data plane cannot carry without a translation table.
var errTranslated = errors.New("values of translated string types (@p4runtime_translation with sdn_string) are not supported by the data plane")

// dpValue fits a canonical P4Runtime bytestring into a data-plane field of
// width bits (big-endian, padded).
func dpValue(v *info.Value, b []byte, width int, what string) ([]byte, error) {
	if v != nil && v.IsString {
		return nil, fmt.Errorf("%s: %w", what, errTranslated)
	}
	if width <= 0 {
		return append([]byte(nil), b...), nil
	}
	out, err := canon.Pad(b, width)
	if err != nil {
		return nil, fmt.Errorf("%s: does not fit the data plane's %d bits: %w", what, width, err)
	}
	return out, nil
}

// dpMatch converts a canonical P4Runtime match into the data plane's, one
// FieldMatch per key field (don't-care fields become wildcards).
func dpMatch(t *info.Table, dt *dataplane.TableInfo, match []*p4v1.FieldMatch) ([]dataplane.FieldMatch, error) {
	if len(dt.Keys) != len(t.Fields) {
		return nil, fmt.Errorf("table %q: %d key fields in the P4Info, %d in the data plane", t.Name, len(t.Fields), len(dt.Keys))
	}
	out := make([]dataplane.FieldMatch, len(t.Fields))
	for i, f := range t.Fields {
		var fm *p4v1.FieldMatch
		for _, m := range match {
			if m.GetFieldId() == f.ID {
				fm = m
				break
			}
		}
		if fm == nil {
			out[i] = dataplane.Wildcard()
			continue
		}
		w := dt.Keys[i].Bitwidth
		what := fmt.Sprintf("table %q field %q", t.Name, f.Name)
		switch m := fm.GetFieldMatchType().(type) {
		case *p4v1.FieldMatch_Exact_:
			v, err := dpValue(&f.Value, m.Exact.GetValue(), w, what)
			if err != nil {
				return nil, err
			}
			out[i] = dataplane.Exact(v)
		case *p4v1.FieldMatch_Lpm:
			v, err := dpValue(&f.Value, m.Lpm.GetValue(), w, what)
			if err != nil {
				return nil, err
			}
			// A prefix counts from the top of the P4Runtime width; the
			// data-plane field has the same width for untranslated types.
			plen := int(m.Lpm.GetPrefixLen()) - (f.Width - w)
			if plen <= 0 || plen > w {
				return nil, fmt.Errorf("%s: prefix length %d does not fit the data plane's %d bits", what, m.Lpm.GetPrefixLen(), w)
			}
			out[i] = dataplane.LPM(v, plen)
		case *p4v1.FieldMatch_Ternary_:
			v, err := dpValue(&f.Value, m.Ternary.GetValue(), w, what)
			if err != nil {
				return nil, err
			}
			mask, err := dpValue(&f.Value, m.Ternary.GetMask(), w, what+" mask")
			if err != nil {
				return nil, err
			}
			out[i] = dataplane.Ternary(v, mask)
		case *p4v1.FieldMatch_Range_:
			lo, err := dpValue(&f.Value, m.Range.GetLow(), w, what+" low")
			if err != nil {
				return nil, err
			}
			hi, err := dpValue(&f.Value, m.Range.GetHigh(), w, what+" high")
			if err != nil {
				return nil, err
			}
			out[i] = dataplane.Range(lo, hi)
		case *p4v1.FieldMatch_Optional_:
			v, err := dpValue(&f.Value, m.Optional.GetValue(), w, what)
			if err != nil {
				return nil, err
			}
			out[i] = dataplane.Optional(v)
		default:
			return nil, fmt.Errorf("%s: match kind %T is not supported by the data plane", what, m)
		}
	}
	return out, nil
}

// dpCall converts a canonical P4Runtime action into a data-plane call.
func dpCall(inf *info.Info, a *p4v1.Action, prog *dataplane.Program) (dataplane.ActionCall, error) {
	ai := inf.Action(a.GetActionId())
	if ai == nil {
		return dataplane.ActionCall{}, fmt.Errorf("unknown action id %d", a.GetActionId())
	}
	da := prog.Action(ai.Name)
	if da == nil {
		return dataplane.ActionCall{}, fmt.Errorf("action %q is not in the data plane program", ai.Name)
	}
	if len(da.Params) != len(ai.Params) {
		return dataplane.ActionCall{}, fmt.Errorf("action %q: %d parameters in the P4Info, %d in the data plane", ai.Name, len(ai.Params), len(da.Params))
	}
	call := dataplane.ActionCall{Name: ai.Name, Params: make([][]byte, len(ai.Params))}
	for i, p := range ai.Params {
		var val []byte
		for _, ap := range a.GetParams() {
			if ap.GetParamId() == p.ID {
				val = ap.GetValue()
			}
		}
		v, err := dpValue(&p.Value, val, da.Params[i].Bitwidth, fmt.Sprintf("action %q parameter %q", ai.Name, p.Name))
		if err != nil {
			return dataplane.ActionCall{}, err
		}
		call.Params[i] = v
	}
	return call, nil
}

// dpCounterData converts a data-plane counter cell into P4Runtime counter
// data: both counts, whatever the counter's unit (bmv2 counts both; what a
// read answers is the P4Runtime layer's choice).
func dpCounterData(v dataplane.CounterValue) *p4v1.CounterData {
	return &p4v1.CounterData{ByteCount: int64(v.Bytes), PacketCount: int64(v.Packets)}
}

// dpCounterValue converts P4Runtime counter data into a data-plane cell.
func dpCounterValue(d *p4v1.CounterData) dataplane.CounterValue {
	return dataplane.CounterValue{Bytes: uint64(d.GetByteCount()), Packets: uint64(d.GetPacketCount())}
}

// dpMeter converts a meter configuration; nil stays nil (unconfigured).
// PI's -1 ("unlimited") becomes the largest value.
func dpMeter(c *p4v1.MeterConfig) *dataplane.MeterConfig {
	if c == nil {
		return nil
	}
	u := func(v int64) uint64 {
		if v < 0 {
			return math.MaxUint64
		}
		return uint64(v)
	}
	return &dataplane.MeterConfig{CIR: u(c.GetCir()), CBurst: u(c.GetCburst()), PIR: u(c.GetPir()), PBurst: u(c.GetPburst())}
}

// portOf reads a P4Runtime port bytestring (at most 4 bytes).
func portOf(b []byte) (uint32, error) {
	c := canon.Canonical(b)
	if len(c) > 4 {
		return 0, fmt.Errorf("port 0x%x does not fit 32 bits", b)
	}
	var v uint32
	for _, x := range c {
		v = v<<8 | uint32(x)
	}
	return v, nil
}

// dpReplicas converts PRE replicas.
func dpReplicas(rs []*p4v1.Replica) ([]dataplane.Replica, error) {
	out := make([]dataplane.Replica, 0, len(rs))
	for _, r := range rs {
		var p uint32
		switch k := r.GetPortKind().(type) {
		case *p4v1.Replica_EgressPort:
			p = k.EgressPort
		case *p4v1.Replica_Port:
			v, err := portOf(k.Port)
			if err != nil {
				return nil, err
			}
			p = v
		}
		if r.GetInstance() > math.MaxUint16 {
			return nil, fmt.Errorf("replica instance %d does not fit the data plane's 16 bits", r.GetInstance())
		}
		out = append(out, dataplane.Replica{Port: p, Instance: uint16(r.GetInstance())})
	}
	return out, nil
}
