package p4rt_test

import (
	"testing"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/fixtures"
)

// TestCountersMetersRegisters checks indirect counters (spec section
// 9.3.2), meters (9.4), direct counters and meters (9.3.1, 9.4.1) and
// registers (9.7) on onos-basic and registers-firewall, per profile: bmv2
// follows PI (DELETE resets a counter, wildcard index writes are
// UNIMPLEMENTED, out-of-range indexes are target errors, registers are
// UNIMPLEMENTED: PI issue 376).
func TestCountersMetersRegisters(t *testing.T) {
	for _, prof := range []p4rt.Profile{p4rt.ProfileBMv2, p4rt.ProfileSpec} {
		t.Run(prof.String(), func(t *testing.T) {
			spec := prof == p4rt.ProfileSpec
			pick := func(bmv2, s codes.Code) codes.Code {
				if spec {
					return s
				}
				return bmv2
			}
			h := newHarness(t, prof)
			eid := h.load(fixtures.Get(t, "onos-basic"))
			b := onosBasic(h)
			ctr := h.inf.CounterByName("ingress.port_counters_ingress.ingress_port_counter") // PACKETS, 511
			mtr := h.inf.MeterByName("ingress.port_meters_ingress.ingress_port_meter")
			t0key := &p4v1.TableEntry{TableId: b.t0, Priority: 1, Match: []*p4v1.FieldMatch{ternary(1, []byte{1}, []byte{1})}}
			withAction := clone(t0key)
			withAction.Action = ta(b.sendToCPU)
			h.mustWrite(eid, update(p4v1.Update_INSERT, tableEntity(withAction)))
			mkey := &p4v1.TableEntry{TableId: b.meterT, Match: []*p4v1.FieldMatch{lpm(1, 8, 0xaa, 0, 0, 0, 0, 0)}}
			mAction := clone(mkey)
			mAction.Action = ta(b.readMeter)
			h.mustWrite(eid, update(p4v1.Update_INSERT, tableEntity(mAction)))
			cfg := &p4v1.MeterConfig{Cir: 100, Cburst: 10, Pir: 200, Pburst: 20}
			for _, tc := range []struct {
				name string
				u    *p4v1.Update
				want codes.Code
			}{
				{"counter MODIFY", update(p4v1.Update_MODIFY, counterEntity(ctr.ID, &p4v1.Index{Index: 3}, &p4v1.CounterData{PacketCount: 7, ByteCount: 9})), codes.OK},
				{"counter INSERT", update(p4v1.Update_INSERT, counterEntity(ctr.ID, &p4v1.Index{Index: 3}, &p4v1.CounterData{PacketCount: 7})), codes.InvalidArgument},
				{"counter DELETE", update(p4v1.Update_DELETE, counterEntity(ctr.ID, &p4v1.Index{Index: 4}, nil)), pick(codes.OK, codes.InvalidArgument)},
				{"counter negative index", update(p4v1.Update_MODIFY, counterEntity(ctr.ID, &p4v1.Index{Index: -1}, &p4v1.CounterData{})), codes.InvalidArgument},
				{"counter index beyond size", update(p4v1.Update_MODIFY, counterEntity(ctr.ID, &p4v1.Index{Index: 511}, &p4v1.CounterData{})), pick(codes.Unknown, codes.OutOfRange)},
				{"counter wildcard index", update(p4v1.Update_MODIFY, counterEntity(ctr.ID, nil, &p4v1.CounterData{PacketCount: 1})), pick(codes.Unimplemented, codes.OK)},
				{"unknown counter", update(p4v1.Update_MODIFY, counterEntity(0x12ffffff, &p4v1.Index{}, &p4v1.CounterData{})), codes.InvalidArgument},
				{"meter MODIFY", update(p4v1.Update_MODIFY, meterEntity(mtr.ID, &p4v1.Index{Index: 2}, cfg)), codes.OK},
				{"meter INSERT", update(p4v1.Update_INSERT, meterEntity(mtr.ID, &p4v1.Index{Index: 2}, cfg)), codes.InvalidArgument},
				{"meter DELETE", update(p4v1.Update_DELETE, meterEntity(mtr.ID, &p4v1.Index{Index: 2}, nil)), codes.InvalidArgument},
				{"meter negative rate", update(p4v1.Update_MODIFY, meterEntity(mtr.ID, &p4v1.Index{Index: 2}, &p4v1.MeterConfig{Cir: -5})), codes.InvalidArgument},
				{"meter burst beyond 32 bits", update(p4v1.Update_MODIFY, meterEntity(mtr.ID, &p4v1.Index{Index: 2}, &p4v1.MeterConfig{Cburst: 1 << 33})), codes.Unimplemented},
				{"meter eburst on a trTCM", update(p4v1.Update_MODIFY, meterEntity(mtr.ID, &p4v1.Index{Index: 5}, &p4v1.MeterConfig{Cir: 1, Pir: 1, Eburst: 3})), pick(codes.OK, codes.InvalidArgument)},
				{"direct counter MODIFY", update(p4v1.Update_MODIFY, directCounterEntity(t0key, &p4v1.CounterData{ByteCount: 1000, PacketCount: 10})), codes.OK},
				{"direct counter INSERT", update(p4v1.Update_INSERT, directCounterEntity(t0key, &p4v1.CounterData{})), codes.InvalidArgument},
				{"direct counter of a missing entry", update(p4v1.Update_MODIFY, directCounterEntity(&p4v1.TableEntry{TableId: b.t0, Priority: 2, Match: t0key.Match}, &p4v1.CounterData{})), pick(codes.InvalidArgument, codes.NotFound)},
				{"direct counter of a table without one", update(p4v1.Update_MODIFY, directCounterEntity(mkey, &p4v1.CounterData{})), codes.InvalidArgument},
				{"direct meter MODIFY", update(p4v1.Update_MODIFY, directMeterEntity(mkey, cfg)), codes.OK},
				{"direct meter DELETE", update(p4v1.Update_DELETE, directMeterEntity(mkey, nil)), codes.InvalidArgument},
				{"direct meter of a table without one", update(p4v1.Update_MODIFY, directMeterEntity(t0key, cfg)), codes.InvalidArgument},
			} {
				if c := h.updateCode(eid, tc.u); c != tc.want {
					t.Errorf("%s: %v, want %v", tc.name, c, tc.want)
				}
			}
			// Read-back: the counter cell; a zero cell reads as data {};
			// meter configs; the direct counter only when asked.
			got := h.mustRead(counterEntity(ctr.ID, &p4v1.Index{Index: 3}, nil))
			wantPackets := int64(7)
			if spec {
				wantPackets = 1 // the wildcard write set every cell
			}
			if len(got) != 1 || got[0].GetCounterEntry().GetData().GetPacketCount() != wantPackets || got[0].GetCounterEntry().GetData().GetByteCount() != 0 {
				t.Errorf("counter cell 3: %v (a PACKETS counter keeps only packets)", got)
			}
			zero := h.mustRead(counterEntity(ctr.ID, &p4v1.Index{Index: 4}, nil))
			if spec {
				zero = h.mustRead(counterEntity(h.inf.CounterByName("egress.port_counters_egress.egress_port_counter").ID, &p4v1.Index{Index: 4}, nil))
			}
			if len(zero) != 1 || zero[0].GetCounterEntry().Data == nil || proto.Size(zero[0].GetCounterEntry().Data) != 0 {
				t.Errorf("zero counter cell: %v, want data {}", zero)
			}
			if all := h.mustRead(counterEntity(ctr.ID, nil, nil)); len(all) != int(ctr.Size) {
				t.Errorf("counter wildcard index: %d cells, want %d", len(all), ctr.Size)
			}
			if all := h.mustRead(counterEntity(0, nil, nil)); len(all) != 2*int(ctr.Size) {
				t.Errorf("every counter: %d cells, want %d", len(all), 2*ctr.Size)
			}
			m := h.mustRead(meterEntity(mtr.ID, &p4v1.Index{Index: 2}, nil))
			if len(m) != 1 || !proto.Equal(m[0].GetMeterEntry().Config, cfg) {
				t.Errorf("meter cell 2: %v", m)
			}
			if m := h.mustRead(meterEntity(mtr.ID, &p4v1.Index{Index: 1}, nil)); len(m) != 1 || m[0].GetMeterEntry().Config != nil {
				t.Errorf("unconfigured meter cell: %v, want no config", m)
			}
			plain := h.mustRead(tableEntity(&p4v1.TableEntry{TableId: b.t0}))
			if len(plain) != 1 || plain[0].GetTableEntry().CounterData != nil {
				t.Errorf("entry read without counter_data: %v", plain)
			}
			withData := h.mustRead(tableEntity(&p4v1.TableEntry{TableId: b.t0, CounterData: &p4v1.CounterData{}}))
			if len(withData) != 1 || withData[0].GetTableEntry().GetCounterData().GetByteCount() != 1000 || withData[0].GetTableEntry().GetCounterData().GetPacketCount() != 10 {
				t.Errorf("entry read with counter_data: %v", withData)
			}
			dc := h.mustRead(directCounterEntity(&p4v1.TableEntry{TableId: b.t0}, nil))
			if len(dc) != 1 || dc[0].GetDirectCounterEntry().GetData().GetPacketCount() != 10 {
				t.Errorf("direct counters of table0: %v", dc)
			}
			dm := h.mustRead(directMeterEntity(mkey, nil))
			if len(dm) != 1 || !proto.Equal(dm[0].GetDirectMeterEntry().Config, cfg) {
				t.Errorf("direct meter: %v", dm)
			}
			withMeter := h.mustRead(tableEntity(&p4v1.TableEntry{TableId: b.meterT, MeterConfig: &p4v1.MeterConfig{}}))
			if len(withMeter) != 1 || !proto.Equal(withMeter[0].GetTableEntry().MeterConfig, cfg) {
				t.Errorf("entry read with meter_config: %v", withMeter)
			}
			_, _, err := h.read(directCounterEntity(&p4v1.TableEntry{}, nil))
			if c := codeOf(err); c != pick(codes.Unimplemented, codes.OK) {
				t.Errorf("direct counters of every table: %v", err)
			}

			// Registers.
			fw := newHarness(t, prof)
			feid := fw.load(fixtures.Get(t, "registers-firewall"))
			reg := fw.inf.Registers[0]
			if c := fw.updateCode(feid, update(p4v1.Update_MODIFY, registerEntity(reg.ID, &p4v1.Index{Index: 1}, []byte{1}))); c != pick(codes.Unimplemented, codes.OK) {
				t.Errorf("register write: %v", c)
			}
			regs, _, err := fw.read(registerEntity(reg.ID, &p4v1.Index{Index: 1}, nil))
			if c := codeOf(err); c != pick(codes.Unimplemented, codes.OK) {
				t.Errorf("register read: %v", err)
			}
			if spec {
				if len(regs) != 1 || string(regs[0].GetRegisterEntry().GetData().GetBitstring()) != "\x01" {
					t.Errorf("register cell 1: %v", regs)
				}
				if all := fw.mustRead(registerEntity(reg.ID, nil, nil)); len(all) != int(reg.Size) {
					t.Errorf("register wildcard index: %d cells, want %d", len(all), reg.Size)
				}
				for _, tc := range []struct {
					name string
					u    *p4v1.Update
					want codes.Code
				}{
					{"register INSERT", update(p4v1.Update_INSERT, registerEntity(reg.ID, &p4v1.Index{}, []byte{1})), codes.InvalidArgument},
					{"register value too wide", update(p4v1.Update_MODIFY, registerEntity(reg.ID, &p4v1.Index{}, []byte{2})), codes.InvalidArgument},
					{"register without data", update(p4v1.Update_MODIFY, registerEntity(reg.ID, &p4v1.Index{}, nil)), codes.InvalidArgument},
					{"register index beyond size", update(p4v1.Update_MODIFY, registerEntity(reg.ID, &p4v1.Index{Index: int64(reg.Size)}, []byte{1})), codes.OutOfRange},
				} {
					if c := fw.updateCode(feid, tc.u); c != tc.want {
						t.Errorf("%s: %v, want %v", tc.name, c, tc.want)
					}
				}
			}
		})
	}
}

// TestPRE: multicast groups and clone sessions (spec section 9.5) with
// PI's limits: id 0 is INVALID_ARGUMENT in a write, multicast ids from
// 2^15 OUT_OF_RANGE, class of service UNIMPLEMENTED; a PRE read without a
// type is INVALID_ARGUMENT. Profile bmv2 reads replicas back sorted by
// instance then port, as PI does.
func TestPRE(t *testing.T) {
	for _, prof := range []p4rt.Profile{p4rt.ProfileBMv2, p4rt.ProfileSpec} {
		t.Run(prof.String(), func(t *testing.T) {
			h := newHarness(t, prof)
			eid := h.load(fixtures.Get(t, "bmv2-multicast"))
			for _, tc := range []struct {
				name string
				u    *p4v1.Update
				want codes.Code
			}{
				{"group 5", update(p4v1.Update_INSERT, mcastEntity(5, replica(3, 1), replica(1, 1), replica(2, 0))), codes.OK},
				{"group 5 again", update(p4v1.Update_INSERT, mcastEntity(5, replica(1, 1))), codes.AlreadyExists},
				{"group 0", update(p4v1.Update_INSERT, mcastEntity(0, replica(1, 1))), codes.InvalidArgument},
				{"group 2^15", update(p4v1.Update_INSERT, mcastEntity(1<<15, replica(1, 1))), codes.OutOfRange},
				{"duplicate replica", update(p4v1.Update_INSERT, mcastEntity(6, replica(1, 1), replica(1, 1))), codes.InvalidArgument},
				{"replica without port", update(p4v1.Update_INSERT, mcastEntity(6, &p4v1.Replica{Instance: 1})), codes.InvalidArgument},
				{"MODIFY of a missing group", update(p4v1.Update_MODIFY, mcastEntity(7, replica(1, 1))), codes.NotFound},
				{"DELETE of a missing group", update(p4v1.Update_DELETE, mcastEntity(7)), codes.NotFound},
				{"clone session 3", update(p4v1.Update_INSERT, cloneEntity(3, 0, replicaBytes([]byte{0, 4}, 0))), codes.OK},
				{"clone session 0", update(p4v1.Update_INSERT, cloneEntity(0, 0, replica(1, 0))), codes.InvalidArgument},
				{"clone class of service", update(p4v1.Update_INSERT, cloneEntity(4, 2, replica(1, 0))), codes.Unimplemented},
				{"clone session exists", update(p4v1.Update_INSERT, cloneEntity(3, 0, replica(1, 0))), codes.AlreadyExists},
				{"DELETE of a missing session", update(p4v1.Update_DELETE, cloneEntity(8, 0)), codes.NotFound},
			} {
				if c := h.updateCode(eid, tc.u); c != tc.want {
					t.Errorf("%s: %v, want %v", tc.name, c, tc.want)
				}
			}
			got := h.mustRead(mcastEntity(0))
			want := mcastEntity(5, replica(3, 1), replica(1, 1), replica(2, 0))
			if prof == p4rt.ProfileBMv2 {
				want = mcastEntity(5, replica(2, 0), replica(1, 1), replica(3, 1))
			}
			if len(got) != 1 || !proto.Equal(got[0], want) {
				t.Errorf("multicast groups:\n got  %v\n want %v", got, want)
			}
			cs := h.mustRead(cloneEntity(0, 0))
			if len(cs) != 1 || string(cs[0].GetPacketReplicationEngineEntry().GetCloneSessionEntry().Replicas[0].GetPort()) != "\x00\x04" {
				t.Errorf("clone sessions (port kept as written): %v", cs)
			}
			if _, _, err := h.read(preQuery(&p4v1.PacketReplicationEngineEntry{})); codeOf(err) != codes.InvalidArgument {
				t.Errorf("PRE read without a type: %v, want INVALID_ARGUMENT", err)
			}
			if _, _, err := h.read(mcastEntity(9)); codeOf(err) != codes.NotFound {
				t.Errorf("read of a missing group: %v, want NOT_FOUND", err)
			}
			h.mustWrite(eid, update(p4v1.Update_MODIFY, mcastEntity(5, replica(4, 0))), update(p4v1.Update_DELETE, cloneEntity(3, 0)))
			if got := h.mustRead(mcastEntity(5)); len(got) != 1 || !proto.Equal(got[0], mcastEntity(5, replica(4, 0))) {
				t.Errorf("after MODIFY: %v", got)
			}
		})
	}
}

// TestDigestConfig: DigestEntry writes and reads (spec section 9.8; PI's
// DigestMgr: INSERT twice ALREADY_EXISTS, MODIFY/DELETE of an unconfigured
// digest NOT_FOUND, unknown ids NOT_FOUND, a read without id UNIMPLEMENTED
// in bmv2).
func TestDigestConfig(t *testing.T) {
	for _, prof := range []p4rt.Profile{p4rt.ProfileBMv2, p4rt.ProfileSpec} {
		t.Run(prof.String(), func(t *testing.T) {
			h := newHarness(t, prof)
			eid := h.load(fixtures.Get(t, "bmv2-digest"))
			d := h.inf.Digests[0]
			c := &p4v1.DigestEntry_Config{MaxTimeoutNs: 1000, MaxListSize: 10, AckTimeoutNs: 5000}
			for _, tc := range []struct {
				name string
				u    *p4v1.Update
				want codes.Code
			}{
				{"MODIFY before INSERT", update(p4v1.Update_MODIFY, digestEntity(d.ID, c)), codes.NotFound},
				{"INSERT", update(p4v1.Update_INSERT, digestEntity(d.ID, c)), codes.OK},
				{"INSERT again", update(p4v1.Update_INSERT, digestEntity(d.ID, c)), codes.AlreadyExists},
				{"unknown digest", update(p4v1.Update_INSERT, digestEntity(0x17ffffff, c)), codes.NotFound},
				{"negative timeout", update(p4v1.Update_MODIFY, digestEntity(d.ID, &p4v1.DigestEntry_Config{MaxTimeoutNs: -1})), codes.InvalidArgument},
			} {
				if got := h.updateCode(eid, tc.u); got != tc.want {
					t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
				}
			}
			got := h.mustRead(digestEntity(d.ID, nil))
			if len(got) != 1 || !proto.Equal(got[0].GetDigestEntry().Config, c) {
				t.Errorf("digest config: %v", got)
			}
			_, _, err := h.read(digestEntity(0, nil))
			want := codes.Unimplemented
			if prof == p4rt.ProfileSpec {
				want = codes.OK
			}
			if codeOf(err) != want {
				t.Errorf("digest read without id: %v, want %v", err, want)
			}
			h.mustWrite(eid, update(p4v1.Update_DELETE, digestEntity(d.ID, nil)))
			if _, _, err := h.read(digestEntity(d.ID, nil)); codeOf(err) != codes.NotFound {
				t.Errorf("read of an unconfigured digest: %v, want NOT_FOUND", err)
			}
		})
	}
}

// valueSetConfig adds a parser value set to tutorials-basic (none of the
// shared programs has one).
func valueSetConfig(t *testing.T) *p4v1.ForwardingPipelineConfig {
	return synth(t, "tutorials-basic", func(p *p4configv1.P4Info, js map[string]any) {
		p.ValueSets = append(p.ValueSets, &p4configv1.ValueSet{
			Preamble: &p4configv1.Preamble{Id: 0x03000001, Name: "MyParser.ethertypes", Alias: "ethertypes"},
			Match:    []*p4configv1.MatchField{{Id: 1, Name: "ether_type", Bitwidth: 16, Match: &p4configv1.MatchField_MatchType_{MatchType: p4configv1.MatchField_EXACT}}},
			Size:     2,
		})
		js["parse_vsets"] = []any{map[string]any{"name": "MyParser.ethertypes", "id": 0, "compressed_bitwidth": 16, "max_size": 2}}
	})
}

// TestValueSets: ValueSetEntry (spec section 9.6): MODIFY only, duplicates
// ALREADY_EXISTS, beyond the size RESOURCE_EXHAUSTED; UNIMPLEMENTED in bmv2.
func TestValueSets(t *testing.T) {
	vs := func(members ...[]byte) *p4v1.Entity {
		e := &p4v1.ValueSetEntry{ValueSetId: 0x03000001}
		for _, m := range members {
			e.Members = append(e.Members, &p4v1.ValueSetMember{Match: []*p4v1.FieldMatch{exact(1, m...)}})
		}
		return &p4v1.Entity{Entity: &p4v1.Entity_ValueSetEntry{ValueSetEntry: e}}
	}
	for _, prof := range []p4rt.Profile{p4rt.ProfileBMv2, p4rt.ProfileSpec} {
		t.Run(prof.String(), func(t *testing.T) {
			h := newHarness(t, prof)
			var e *p4v1.Uint128
			if prof == p4rt.ProfileSpec {
				e = eid(1)
				h.arbitrate(e)
			}
			if c := h.setPipeline(e, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, valueSetConfig(t)); c != codes.OK {
				t.Fatalf("load: %v", c)
			}
			if prof == p4rt.ProfileBMv2 {
				if c := h.updateCode(e, update(p4v1.Update_MODIFY, vs([]byte{8, 0}))); c != codes.Unimplemented {
					t.Errorf("value set write: %v, want UNIMPLEMENTED", c)
				}
				if _, _, err := h.read(vs()); codeOf(err) != codes.Unimplemented {
					t.Errorf("value set read: %v, want UNIMPLEMENTED", err)
				}
				return
			}
			for _, tc := range []struct {
				name string
				u    *p4v1.Update
				want codes.Code
			}{
				{"INSERT", update(p4v1.Update_INSERT, vs([]byte{8, 0})), codes.InvalidArgument},
				{"duplicate members", update(p4v1.Update_MODIFY, vs([]byte{8, 0}, []byte{0, 8, 0})), codes.AlreadyExists},
				{"beyond the size", update(p4v1.Update_MODIFY, vs([]byte{1}, []byte{2}, []byte{3})), codes.ResourceExhausted},
				{"value too wide", update(p4v1.Update_MODIFY, vs([]byte{1, 0, 0})), codes.InvalidArgument},
				{"MODIFY", update(p4v1.Update_MODIFY, vs([]byte{0x88, 0xcc}, []byte{8, 6})), codes.OK},
			} {
				if c := h.updateCode(e, tc.u); c != tc.want {
					t.Errorf("%s: %v, want %v", tc.name, c, tc.want)
				}
			}
			if got := h.mustRead(vs()); len(got) != 1 || !proto.Equal(got[0], vs([]byte{0x88, 0xcc}, []byte{8, 6})) {
				t.Errorf("value set read back: %v", got)
			}
		})
	}
}
