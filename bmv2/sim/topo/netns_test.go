package topo_test

import (
	"context"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/lime-p4/lime/bmv2/sim/topo"
	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/netns"
	"github.com/lime-p4/lime/p4/info"
)

// TestHostsInNamespaces attaches a topology's ports to veth interfaces
// (AF_PACKET, inside a namespace the test made) whose other ends are two
// hosts in their own namespaces, programs ONOS basic.p4 over P4Runtime to
// forward between the two ports, and has one host ping the other through
// the simulator with the kernel's own stack.
func TestHostsInNamespaces(t *testing.T) {
	sw := netns.New(t) // skips without root
	h1, h2 := netns.New(t), netns.New(t)
	netns.Veth(t, netns.End{NS: h1, Name: "eth0", Addr: netip.MustParsePrefix("10.9.0.1/24")}, netns.End{NS: sw, Name: "p1"})
	netns.Veth(t, netns.End{NS: h2, Name: "eth0", Addr: netip.MustParsePrefix("10.9.0.2/24")}, netns.End{NS: sw, Name: "p2"})
	p := fixtures.Get(t, "onos-basic")
	yaml := `
pipeline: ` + p.Dir + `
devices:
  - name: s1
    device_id: 1
    p4runtime: 127.0.0.1:0
    ports:
      - {name: p1, id: 1, interface: p1, netns: ` + sw.Path() + `}
      - {name: p2, id: 2, interface: p2, netns: ` + sw.Path() + `}
`
	tp, err := topo.Parse([]byte(yaml), "")
	if err != nil {
		t.Fatal(err)
	}
	n, err := topo.Start(tp, topo.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	inf, err := info.Load(p.P4Info)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(n.Device("s1").Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	t0 := inf.TableByName("ingress.table0_control.table0")
	setPort := inf.ActionByName("ingress.table0_control.set_egress_port")
	var us []*p4v1.Update
	for in, out := range map[byte]byte{1: 2, 2: 1} {
		us = append(us, &p4v1.Update{Type: p4v1.Update_INSERT, Entity: &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{
			TableId: t0.ID, Priority: 1,
			Match:  []*p4v1.FieldMatch{{FieldId: 1, FieldMatchType: &p4v1.FieldMatch_Ternary_{Ternary: &p4v1.FieldMatch_Ternary{Value: []byte{in}, Mask: []byte{1, 0xff}}}}},
			Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: setPort.ID, Params: []*p4v1.Action_Param{{ParamId: 1, Value: []byte{out}}}}}},
		}}}})
	}
	if _, err := p4v1.NewP4RuntimeClient(conn).Write(ctx, &p4v1.WriteRequest{DeviceId: 1, Updates: us}); err != nil {
		t.Fatal(err)
	}
	if err := h1.Ping(ctx, netip.MustParseAddr("10.9.0.2")); err != nil {
		t.Fatalf("h1 cannot ping h2 through the simulator: %v", err)
	}
}
