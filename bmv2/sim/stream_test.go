package sim_test

//lint:file-ignore SA1019 idle notifications carry controller_metadata

import (
	"errors"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/internal/simtest"
)

// recvUntil reads stream messages until pick returns true.
func recvUntil(t *testing.T, s p4v1.P4Runtime_StreamChannelClient, pick func(*p4v1.StreamMessageResponse) bool) *p4v1.StreamMessageResponse {
	t.Helper()
	ch := make(chan *p4v1.StreamMessageResponse, 1)
	go func() {
		for {
			m, err := s.Recv()
			if err != nil {
				close(ch)
				return
			}
			if pick(m) {
				ch <- m
				return
			}
		}
	}()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("stream ended")
		}
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no matching stream message within 5s")
	}
	return nil
}

// TestDigestsAndIdleTimeouts runs bmv2's digest.p4: a frame with an
// unknown source MAC makes the data plane generate a digest, which reaches
// the primary as a DigestList (spec section 9.8); an entry for that MAC
// with a TTL is hit by traffic (the data plane's hit hook keeps it alive)
// and reported idle once traffic stops (section 16.4).
func TestDigestsAndIdleTimeouts(t *testing.T) {
	r := newRig(t, "bmv2-digest", p4rt.ProfileBMv2, 255, sim.PortSpec{Name: "eth1", ID: 1}, sim.PortSpec{Name: "eth2", ID: 2})
	s := r.primary()
	d := r.inf.Digests[0]
	r.write(insert(&p4v1.Entity{Entity: &p4v1.Entity_DigestEntry{DigestEntry: &p4v1.DigestEntry{DigestId: d.ID,
		Config: &p4v1.DigestEntry_Config{MaxTimeoutNs: 0, MaxListSize: 1, AckTimeoutNs: int64(time.Second)}}}}))
	if err := r.hosts["eth2"].Send(simtest.Frame(1, 0x42, 0x0800, "learn me")); err != nil {
		t.Fatal(err)
	}
	m := recvUntil(t, s, func(m *p4v1.StreamMessageResponse) bool { return m.GetDigest() != nil })
	want := &p4v1.P4Data{Data: &p4v1.P4Data_Struct{Struct: &p4v1.P4StructLike{Members: []*p4v1.P4Data{
		{Data: &p4v1.P4Data_Bitstring{Bitstring: []byte{0x42}}}, {Data: &p4v1.P4Data_Bitstring{Bitstring: []byte{2}}}}}}}
	if l := m.GetDigest(); len(l.Data) != 1 || !proto.Equal(l.Data[0], want) {
		t.Fatalf("digest list %v, want %v", l, want)
	}

	var smac *p4v1.TableEntry
	for _, tb := range r.inf.Tables {
		if tb.IdleTimeout {
			smac = &p4v1.TableEntry{TableId: tb.ID, Match: []*p4v1.FieldMatch{{FieldId: tb.Fields[0].ID, FieldMatchType: &p4v1.FieldMatch_Exact_{Exact: &p4v1.FieldMatch_Exact{Value: []byte{0x42}}}}},
				Action: action(r.inf.ActionByName("NoAction").ID), IdleTimeoutNs: int64(150 * time.Millisecond), ControllerMetadata: 77}
		}
	}
	r.write(insert(tableEntity(smac)))
	start := time.Now()
	for time.Since(start) < 400*time.Millisecond {
		if err := r.hosts["eth2"].Send(simtest.Frame(1, 0x42, 0x0800, "keep alive")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	m = recvUntil(t, s, func(m *p4v1.StreamMessageResponse) bool { return m.GetIdleTimeoutNotification() != nil })
	if since := time.Since(start); since < 400*time.Millisecond {
		t.Errorf("idle notification %v after the first frame, while traffic hit the entry", since)
	}
	n := m.GetIdleTimeoutNotification()
	if len(n.TableEntry) != 1 || n.TableEntry[0].ControllerMetadata != 77 || !proto.Equal(n.TableEntry[0].Match[0], smac.Match[0]) {
		t.Errorf("idle notification %v", n)
	}
}

// TestThriftRegisters serves bmv2's Thrift runtime API from a device
// running the firewall tutorial: registers and counters read and written by
// name, values truncated to the register's width, ports listed (bmv2's
// standard.thrift calls, as the migrator's fallback uses them).
func TestThriftRegisters(t *testing.T) {
	r := newRig(t, "registers-firewall", p4rt.ProfileBMv2, 0, sim.PortSpec{Name: "eth1", ID: 1})
	c := r.thriftClient()
	reg := r.inf.Registers[0]
	if err := c.RegisterWrite(ctx(t), reg.Name, 3, -1); err != nil {
		t.Fatal(err)
	}
	v, err := c.RegisterRead(ctx(t), reg.Name, 3)
	if err != nil || v != 1 { // the firewall's bloom filter cells are bit<1>
		t.Errorf("register %s[3] = %d, %v; want 1 (-1 truncated to 1 bit)", reg.Name, v, err)
	}
	all, err := c.RegisterReadAll(ctx(t), reg.Name)
	if err != nil || len(all) != int(reg.Size) || all[3] != 1 {
		t.Errorf("read all: %d cells, %v", len(all), err)
	}
	if _, err := c.RegisterRead(ctx(t), reg.Name, int32(reg.Size)); !errors.Is(err, thrift.RegisterInvalidIndex) {
		t.Errorf("index beyond the size: %v, want INVALID_INDEX", err)
	}
	if _, err := c.RegisterRead(ctx(t), "no.such.register", 0); !errors.Is(err, thrift.RegisterInvalidName) {
		t.Errorf("unknown register: %v, want INVALID_REGISTER_NAME", err)
	}
	if err := c.RegisterReset(ctx(t), reg.Name); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.RegisterRead(ctx(t), reg.Name, 3); v != 0 {
		t.Errorf("after reset: %d", v)
	}
	ports, err := c.DevMgrShowPorts(ctx(t))
	if err != nil || len(ports) != 1 || ports[0].Port != 1 || ports[0].Iface != "eth1" || !ports[0].IsUp {
		t.Errorf("ports %+v, %v", ports, err)
	}
}
