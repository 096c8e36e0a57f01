package sim_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/bmv2/sim/port"
	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/bmv2/thrift/thrifttest"
	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/p4/info"
)

const devID = 1

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// config reads a fixture's P4Info and bmv2 JSON (cookie 1) and indexes the
// P4Info.
func config(t testing.TB, name string) (*p4v1.ForwardingPipelineConfig, *info.Info) {
	t.Helper()
	cfg := p4test.Config(t, fixtures.Get(t, name), 1)
	return cfg, p4test.Index(t, cfg.P4Info)
}

// rig is a device served on loopback with a host on each port.
type rig struct {
	t     *testing.T
	dev   *sim.Device
	addr  string
	conn  *grpc.ClientConn
	p4    p4v1.P4RuntimeClient
	hosts map[string]*port.Host
	inf   *info.Info
	eid   *p4v1.Uint128 // set once primary() arbitrated
}

func newRig(t *testing.T, pipeline string, profile p4rt.Profile, cpu uint32, ports ...sim.PortSpec) *rig {
	t.Helper()
	dev, err := sim.New(sim.Options{Name: "s1", DeviceID: devID, Profile: profile, Ports: ports, CPUPort: cpu, Logger: quiet(),
		P4Runtime: p4rt.Options{IdleScan: 5 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	cfg, inf := config(t, pipeline)
	if err := dev.LoadPipeline(cfg); err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- dev.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, dev: dev, addr: lis.Addr().String(), conn: conn, p4: p4v1.NewP4RuntimeClient(conn), hosts: map[string]*port.Host{}, inf: inf}
	for _, ps := range ports {
		if ps.Name == "trunk" {
			continue // joined to another device by the test
		}
		h, err := port.ConnectHost(dev.Port(ps.Name), "h-"+ps.Name)
		if err != nil {
			t.Fatal(err)
		}
		r.hosts[ps.Name] = h
	}
	t.Cleanup(func() {
		conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		dev.Shutdown(ctx)
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		dev.Close()
	})
	return r
}

// thriftClient serves bmv2's Thrift runtime API of the rig's device on a
// loopback listener and returns a client of it, closed when the test ends.
func (r *rig) thriftClient() *thrift.Client {
	r.t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		r.t.Fatal(err)
	}
	go r.dev.ServeThrift(lis)
	return thrifttest.Dial(r.t, lis.Addr().String())
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func (r *rig) write(us ...*p4v1.Update) {
	r.t.Helper()
	if _, err := r.p4.Write(ctx(r.t), &p4v1.WriteRequest{DeviceId: devID, ElectionId: r.eid, Updates: us}); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

func (r *rig) read(e *p4v1.Entity) []*p4v1.Entity {
	r.t.Helper()
	rc, err := r.p4.Read(ctx(r.t), &p4v1.ReadRequest{DeviceId: devID, Entities: []*p4v1.Entity{e}})
	if err != nil {
		r.t.Fatal(err)
	}
	var out []*p4v1.Entity
	for {
		m, err := rc.Recv()
		if err != nil {
			break
		}
		out = append(out, m.Entities...)
	}
	return out
}

// primary opens a StreamChannel as primary (election id 1).
func (r *rig) primary() p4v1.P4Runtime_StreamChannelClient {
	r.t.Helper()
	c, cancel := context.WithCancel(context.Background())
	r.t.Cleanup(cancel)
	s, err := r.p4.StreamChannel(c)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := s.Send(&p4v1.StreamMessageRequest{Update: &p4v1.StreamMessageRequest_Arbitration{Arbitration: &p4v1.MasterArbitrationUpdate{DeviceId: devID, ElectionId: &p4v1.Uint128{Low: 1}}}}); err != nil {
		r.t.Fatal(err)
	}
	m, err := s.Recv()
	if err != nil || m.GetArbitration().GetStatus().GetCode() != 0 {
		r.t.Fatalf("arbitration: %v %v", m, err)
	}
	r.eid = &p4v1.Uint128{Low: 1}
	return s
}

// frame is an Ethernet frame with the given addresses, type and payload.
func tableEntity(te *p4v1.TableEntry) *p4v1.Entity {
	return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: te}}
}

func insert(e *p4v1.Entity) *p4v1.Update { return &p4v1.Update{Type: p4v1.Update_INSERT, Entity: e} }

func ternary(id uint32, v, m []byte) *p4v1.FieldMatch {
	return &p4v1.FieldMatch{FieldId: id, FieldMatchType: &p4v1.FieldMatch_Ternary_{Ternary: &p4v1.FieldMatch_Ternary{Value: v, Mask: m}}}
}

func action(id uint32, params ...[]byte) *p4v1.TableAction {
	a := &p4v1.Action{ActionId: id}
	for i, p := range params {
		a.Params = append(a.Params, &p4v1.Action_Param{ParamId: uint32(i + 1), Value: p})
	}
	return &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: a}}
}

// TestForwardingOnosBasic runs ONOS basic.p4 on the simulator: a table0
// entry written over P4Runtime forwards a host's frames to another port and
// counts them in its direct counter; a send_to_cpu entry turns frames into
// PacketIns (ingress port in the packet_in header); a PacketOut leaves on
// the port its packet_out header names.
func TestForwardingOnosBasic(t *testing.T) {
	r := newRig(t, "onos-basic", p4rt.ProfileBMv2, 255, sim.PortSpec{Name: "eth1", ID: 1}, sim.PortSpec{Name: "eth2", ID: 2}, sim.PortSpec{Name: "eth3", ID: 3})
	s := r.primary()
	t0 := r.inf.TableByName("ingress.table0_control.table0")
	setPort := r.inf.ActionByName("ingress.table0_control.set_egress_port")
	toCPU := r.inf.ActionByName("ingress.table0_control.send_to_cpu")
	fwd := &p4v1.TableEntry{TableId: t0.ID, Priority: 10, Match: []*p4v1.FieldMatch{ternary(1, []byte{1}, []byte{1, 0xff})}, Action: action(setPort.ID, []byte{2})}
	punt := &p4v1.TableEntry{TableId: t0.ID, Priority: 20, Match: []*p4v1.FieldMatch{ternary(4, []byte{0x88, 0xcc}, []byte{0xff, 0xff})}, Action: action(toCPU.ID)}
	r.write(insert(tableEntity(fwd)), insert(tableEntity(punt)))

	in := simtest.Frame(2, 1, 0x0800, "payload")
	if err := r.hosts["eth1"].Send(in); err != nil {
		t.Fatal(err)
	}
	got, err := r.hosts["eth2"].RecvWithin(5 * time.Second)
	if err != nil || !bytes.Equal(got, in) {
		t.Fatalf("eth2 received %x, %v; want %x", got, err, in)
	}
	ents := r.read(tableEntity(&p4v1.TableEntry{TableId: t0.ID, Priority: 10, Match: fwd.Match, CounterData: &p4v1.CounterData{}}))
	if len(ents) != 1 || ents[0].GetTableEntry().GetCounterData().GetPacketCount() != 1 || ents[0].GetTableEntry().GetCounterData().GetByteCount() != int64(len(in)) {
		t.Errorf("direct counter after one frame: %v", ents)
	}

	lldp := simtest.Frame(0xe, 3, 0x88cc, "lldp")
	if err := r.hosts["eth3"].Send(lldp); err != nil {
		t.Fatal(err)
	}
	m, err := s.Recv()
	if err != nil {
		t.Fatal(err)
	}
	want := &p4v1.PacketIn{Payload: lldp, Metadata: []*p4v1.PacketMetadata{{MetadataId: 1, Value: []byte{3}}, {MetadataId: 2, Value: []byte{0}}}}
	if !proto.Equal(m.GetPacket(), want) {
		t.Errorf("packet-in %v, want %v", m, want)
	}

	out := simtest.Frame(9, 8, 0x0800, "from the controller")
	if err := s.Send(&p4v1.StreamMessageRequest{Update: &p4v1.StreamMessageRequest_Packet{Packet: &p4v1.PacketOut{Payload: out,
		Metadata: []*p4v1.PacketMetadata{{MetadataId: 1, Value: []byte{3}}, {MetadataId: 2, Value: []byte{0}}}}}}); err != nil {
		t.Fatal(err)
	}
	got, err = r.hosts["eth3"].RecvWithin(5 * time.Second)
	if err != nil || !bytes.Equal(got, out) {
		t.Errorf("packet-out reached eth3 as %x, %v; want %x", got, err, out)
	}
}
