//go:build linux

package difftest

import (
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/internal/fwdemo"
	"github.com/lime-p4/lime/internal/netdemo"
	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/pipelines"
)

// packetPortRules take the action parameters the shared programs name
// port or port_num for ports besides the default rules, so that the random
// state forwards to the host ports.
var packetPortRules = info.DefaultPortRules.Merge(info.PortRules{Names: []string{"*/port", "*/port_num"}})

// portRules are the port rules of a program's P4Info (lime_router's
// forward action carries a port).
func portRules(program string) info.PortRules {
	if program == pipelines.LimeRouter {
		return netdemo.PortRules.Merge(packetPortRules)
	}
	return packetPortRules
}

// scenarios are the packet scenarios lime's tests play, by program: the
// state their controller writes and the frames their hosts send, on the
// host ports 1..4.
var scenarios = map[string]func(in *info.Info) (Scenario, error){
	fwdemo.Pipeline:      firewallScenario,
	pipelines.LimeRouter: routerScenario,
	pipelines.LimeL2:     l2Scenario,
	"counter_units":      counterUnitsScenario,
}

// firewallScenario is fwdemo's (lime demo, the firewall end-to-end
// tests): h1, h2 inside on ports 1, 2; h3, h4 outside on 3, 4. A SYN from
// inside opens its flow, whose replies then pass; other packets from
// outside are dropped.
func firewallScenario(in *info.Info) (Scenario, error) {
	ups, err := fwdemo.Entries(in, hostPorts)
	if err != nil {
		return Scenario{}, err
	}
	var sc Scenario
	for _, u := range ups {
		sc.State = append(sc.State, u.Entity)
	}
	h := fwdemo.HostByName
	send := func(from, to string, sport, dport uint16, flags byte) {
		f := h(from)
		sc.Inputs = append(sc.Inputs, Input{Port: hostPorts[f.Index-1], Frame: fwdemo.TCP(f, h(to), sport, dport, flags)})
	}
	send("h3", "h1", 80, 4000, fwdemo.SYN) // from outside, unopened: dropped
	send("h1", "h3", 4000, 80, fwdemo.SYN) // opens the flow
	send("h3", "h1", 80, 4000, fwdemo.SYN|fwdemo.ACK)
	send("h1", "h2", 4001, 22, fwdemo.SYN)  // inside to inside
	send("h4", "h2", 443, 5000, fwdemo.ACK) // unopened
	send("h2", "h4", 5000, 443, fwdemo.ACK) // not a SYN: opens nothing
	send("h4", "h2", 443, 5000, fwdemo.ACK)
	send("h2", "h4", 5000, 443, fwdemo.SYN)
	send("h4", "h2", 443, 5000, fwdemo.ACK)
	send("h4", "h3", 1, 2, fwdemo.SYN) // outside to outside
	return sc, nil
}

// routerScenario is netdemo's (lime demo, the network tests) on the
// middle switch s2, which guards h21: datagrams between every two hosts,
// each coming in by the port it reaches s2 on.
func routerScenario(in *info.Info) (Scenario, error) {
	const s = 2
	state, err := netdemo.Entries(in, s)
	if err != nil {
		return Scenario{}, err
	}
	sc := Scenario{State: state}
	seq := uint64(0)
	for _, from := range netdemo.Hosts {
		for _, to := range netdemo.Hosts {
			if from.Name == to.Name {
				continue
			}
			seq++
			sc.Inputs = append(sc.Inputs, Input{Port: netdemo.NextHop(s, from), Frame: netdemo.UDP(from, to, seq)})
		}
	}
	return sc, nil
}

// l2Scenario is lime_l2's end-to-end test (test/lime_l2_test.go): a
// flood group for the VLAN on ports 1..3, the learning digest, A learnt
// on port 1; frames between A and B, unknown and known.
func l2Scenario(in *info.Info) (Scenario, error) {
	exact := func(vs ...[]byte) []*p4v1.FieldMatch {
		var out []*p4v1.FieldMatch
		for i, v := range vs {
			out = append(out, &p4v1.FieldMatch{FieldId: uint32(i + 1), FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: v}}})
		}
		return out
	}
	entry := func(table string, match []*p4v1.FieldMatch, action string, params ...[]byte) *p4v1.Entity {
		a := &p4v1.Action{ActionId: in.ActionByName(action).ID}
		for i, p := range params {
			a.Params = append(a.Params, &p4v1.Action_Param{ParamId: uint32(i + 1), Value: p})
		}
		return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: in.TableByName(table).ID, Match: match,
			Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: a}}}}}
	}
	flood := &p4v1.MulticastGroupEntry{MulticastGroupId: pipelines.L2DefaultVLAN}
	for _, p := range hostPorts[:3] {
		flood.Replicas = append(flood.Replicas, &p4v1.Replica{PortKind: &p4v1.Replica_Port{Port: canon.FromUint64(uint64(p))}})
	}
	macA, macB := []byte{2, 0, 0, 0, 0, 0xa}, []byte{2, 0, 0, 0, 0, 0xb}
	vlan := []byte{pipelines.L2DefaultVLAN}
	sc := Scenario{State: []*p4v1.Entity{
		{Entity: &p4v1.Entity_DigestEntry{DigestEntry: &p4v1.DigestEntry{DigestId: in.DigestByName(pipelines.L2LearnDigest).ID,
			Config: &p4v1.DigestEntry_Config{MaxListSize: 1, AckTimeoutNs: 1e9}}}},
		{Entity: &p4v1.Entity_PacketReplicationEngineEntry{PacketReplicationEngineEntry: &p4v1.PacketReplicationEngineEntry{
			Type: &p4v1.PacketReplicationEngineEntry_MulticastGroupEntry{MulticastGroupEntry: flood}}}},
		entry(pipelines.L2SMAC, exact(vlan, macA), pipelines.L2KnownHost, []byte{1}, []byte{1}),
		entry(pipelines.L2DMAC, exact(vlan, macA), pipelines.L2Forward, []byte{1}),
	}}
	frame := func(src, dst []byte) []byte {
		f := make([]byte, 64)
		copy(f, dst)
		copy(f[6:], src)
		f[12], f[13] = 0x88, 0xb5
		return f
	}
	sc.Inputs = []Input{
		{Port: 1, Frame: frame(macA, macB)}, // B unknown: flooded
		{Port: 2, Frame: frame(macB, macA)}, // B learnt by digest, A known
		{Port: 2, Frame: frame(macB, macA)},
		{Port: 1, Frame: frame(macA, macB)},
		{Port: 3, Frame: frame(macA, macB)}, // A moved
	}
	return sc, nil
}

// counterUnitsScenario is the counters test's (test/counters_test.go):
// entries for port 1 in both tables, three frames of 100 bytes in at
// port 1, one at port 3.
func counterUnitsScenario(in *info.Info) (Scenario, error) {
	var sc Scenario
	for _, ta := range [][2]string{{"ingress.by_packets", "ingress.count_packets"}, {"ingress.by_bytes", "ingress.count_bytes"}} {
		table, action := ta[0], ta[1]
		sc.State = append(sc.State, &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{
			TableId: in.TableByName(table).ID,
			Match: []*p4v1.FieldMatch{{FieldId: 1, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{
				Value: canon.FromUint64(1)}}}},
			Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: in.ActionByName(action).ID}}}}}})
	}
	frame := make([]byte, 100)
	copy(frame, []byte{0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x88, 0xb5})
	for _, p := range []uint32{1, 1, 1, 3} {
		sc.Inputs = append(sc.Inputs, Input{Port: p, Frame: frame})
	}
	return sc, nil
}
