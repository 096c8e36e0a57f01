//go:build linux

package test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/test/lab"
)

// Issue 15 (B), on real bmv2: what simple_switch_grpc answers for counters
// whose unit is PACKETS or BYTES, indirect and direct (test/testdata/
// counter_units): bmv2 counts both packets and bytes in every counter and
// PI reads both back whatever the unit; a write sets only what the unit
// counts and keeps the other half (PI's bmv2 target reads the cell and
// writes it back), a DELETE zeroes both. lime clone and lime diff carry
// such cells: a copy is equal in what each unit counts. Every figure below
// was read off the real switch.
func TestRealBMv2CounterUnits(t *testing.T) { counterUnits(t, lab.RealBMv2(t)) }

// The same on the simulator (bmv2 profile), which must answer the same.
func TestSimCounterUnits(t *testing.T) { counterUnits(t, lab.Sim{Links: lab.Memory}) }

// frameLen is the size of the frames counterUnits sends.
const frameLen = 100

func counterUnits(t *testing.T, b lab.Backend) {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
	defer cancel()
	dir, err := filepath.Abs("testdata/counter_units")
	if err != nil {
		t.Fatal(err)
	}
	s1 := b.Start(t, lab.Spec{Name: "s1", DeviceID: 1, Ports: []uint32{1, 2}, CPUPort: 255})
	ctl := lab.NewController(t, s1, dir, 1, info.DefaultPortRules)
	c, in := ctl.Client, ctl.Info
	entry := func(table string) *p4v1.TableEntry {
		tb := in.TableByName(table)
		return &p4v1.TableEntry{TableId: tb.ID, Match: []*p4v1.FieldMatch{{FieldId: 1,
			FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: []byte{1}}}}}}
	}
	var ups []*p4v1.Update
	for table, action := range map[string]string{"ingress.by_packets": "ingress.count_packets", "ingress.by_bytes": "ingress.count_bytes"} {
		e := entry(table)
		e.Action = &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: in.ActionByName(action).ID}}}
		ups = append(ups, &p4v1.Update{Type: p4v1.Update_INSERT, Entity: &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: e}}})
	}
	if err := c.Write(ctx, ups); err != nil {
		t.Fatal(err)
	}

	// Three frames in at port 1; each leaves by port 2.
	const frames = 3
	frame := make([]byte, frameLen)
	copy(frame, []byte{0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x88, 0xb5})
	for range frames {
		if err := s1.Host(1).Send(frame); err != nil {
			t.Fatal(err)
		}
		rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := s1.Host(2).Recv(rctx)
		rcancel()
		if err != nil {
			t.Fatalf("the frame did not leave by port 2: %v", err)
		}
	}

	cells := map[string]*p4v1.Entity{}
	for _, name := range []string{"ingress.port_packets", "ingress.port_bytes"} {
		cells[name] = &p4v1.Entity{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{
			CounterId: in.CounterByName(name).ID, Index: &p4v1.Index{Index: 1}}}}
	}
	for name, table := range map[string]string{"ingress.hit_packets": "ingress.by_packets", "ingress.hit_bytes": "ingress.by_bytes"} {
		cells[name] = &p4v1.Entity{Entity: &p4v1.Entity_DirectCounterEntry{DirectCounterEntry: &p4v1.DirectCounterEntry{TableEntry: entry(table)}}}
	}
	data := func(e *p4v1.Entity) *p4v1.CounterData {
		if d := e.GetCounterEntry().GetData(); d != nil {
			return d
		}
		return e.GetDirectCounterEntry().GetData()
	}
	expect := func(step string, want map[string]*p4v1.CounterData) {
		t.Helper()
		for name, q := range cells {
			got, err := c.ReadAll(ctx, q)
			if err != nil || len(got) != 1 {
				t.Fatalf("%s: reading %s: %v %v", step, name, got, err)
			}
			if d := data(got[0]); !proto.Equal(d, want[name]) {
				t.Errorf("%s: %s reads %v, want %v", step, name, d, want[name])
			}
		}
	}
	write := func(typ p4v1.Update_Type, name string, d *p4v1.CounterData) {
		t.Helper()
		e := proto.Clone(cells[name]).(*p4v1.Entity)
		if ce := e.GetCounterEntry(); ce != nil {
			ce.Data = d
		} else {
			e.GetDirectCounterEntry().Data = d
		}
		if err := c.Write(ctx, []*p4v1.Update{{Type: typ, Entity: e}}); err != nil {
			t.Fatalf("%v %s: %v", typ, name, err)
		}
	}
	counted := &p4v1.CounterData{PacketCount: frames, ByteCount: frames * frameLen}
	expect("after the traffic: both counts, whatever the unit", map[string]*p4v1.CounterData{
		"ingress.port_packets": counted, "ingress.port_bytes": counted, "ingress.hit_packets": counted, "ingress.hit_bytes": counted})

	// lime clone copies the cells onto s2, which takes only what each unit
	// counts; lime diff compares what the units count and finds s2 equal.
	s2 := b.Start(t, lab.Spec{Name: "s2", DeviceID: 2, CPUPort: 255})
	common := []string{"--from-addr", s1.Addr, "--from-device-id", "1", "--from-thrift", s1.Thrift,
		"--to-addr", s2.Addr, "--to-device-id", "2", "--to-thrift", s2.Thrift, "--port-map", "1=1,2=2"}
	_, rep := cloneThenDiff(t, ctx, dir, common)
	if c := rep.Kinds[entity.KindCounter]; c == nil || c.Compared < 2*512 {
		t.Errorf("diff compared %+v counter cells, want both counters' 512", c)
	}

	set := &p4v1.CounterData{PacketCount: 10, ByteCount: 1000}
	for _, n := range []string{"ingress.port_packets", "ingress.port_bytes", "ingress.hit_packets", "ingress.hit_bytes"} {
		write(p4v1.Update_MODIFY, n, set)
	}
	expect("a write sets what the unit counts and keeps the rest", map[string]*p4v1.CounterData{
		"ingress.port_packets": {PacketCount: 10, ByteCount: frames * frameLen},
		"ingress.port_bytes":   {PacketCount: frames, ByteCount: 1000},
		"ingress.hit_packets":  {PacketCount: 10, ByteCount: frames * frameLen},
		"ingress.hit_bytes":    {PacketCount: frames, ByteCount: 1000},
	})

	write(p4v1.Update_MODIFY, "ingress.port_packets", nil)
	write(p4v1.Update_MODIFY, "ingress.hit_bytes", nil)
	write(p4v1.Update_DELETE, "ingress.port_bytes", nil)
	write(p4v1.Update_DELETE, "ingress.hit_packets", nil)
	expect("a write without data zeroes what the unit counts; a DELETE zeroes both", map[string]*p4v1.CounterData{
		"ingress.port_packets": {ByteCount: frames * frameLen},
		"ingress.port_bytes":   {},
		"ingress.hit_packets":  {},
		"ingress.hit_bytes":    {PacketCount: frames},
	})
}
