package proxy_test

import (
	"strconv"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/gnmi"
	gnmiclient "github.com/lime-p4/lime/gnmi/client"
	"github.com/lime-p4/lime/internal/gnmitest"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/p4/translate"
)

// The proxy serves gNMI for the virtual device on its own address, as a
// Stratum switch does beside P4Runtime (DESIGN.md, "The proxy"): the
// controller sees the interfaces of the switch it first knew, by their
// names and ids; once a host moved, its interface is the target's port in
// state, admin changes go there, and ON_CHANGE subscribers hear of it;
// after the cut over, every interface is the target's.
func TestInterfacesThroughProxy(t *testing.T) {
	r := newRig(t, "onos-basic", rigOptions{profile: p4rt.ProfileBMv2, rules: &basicRules,
		srcPorts: []sim.PortSpec{{Name: "eth1", ID: 1}, {Name: "eth2", ID: 2}, {Name: "trunk", ID: 9}},
		dstPorts: []sim.PortSpec{{Name: "eth11", ID: 11}, {Name: "eth12", ID: 12}, {Name: "trunk", ID: 19}}})
	ctx := testCtx(t)
	g, err := gnmiclient.Dial(ctx, r.addr, gnmiclient.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	state := func(name string) gnmi.PortState {
		t.Helper()
		ifs, err := g.Interfaces(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ifs {
			if p.Name == name {
				return p
			}
		}
		t.Fatalf("the proxy serves no interface %s: %+v", name, ifs)
		return gnmi.PortState{}
	}
	if st := state("eth1"); st.ID != 1 || !st.Enabled {
		t.Fatalf("eth1 before the migration: %+v", st)
	}
	r.dst.Sim.Port("eth11").SetEnabled(false) // the host is not there yet
	pm := translate.NewPortMap(map[uint64]uint64{1: 11, 2: 12, 255: 255})
	if err := r.dev.AttachMirror(r.dstB, proxy.Ports{Map: pm, Hosts: []uint64{1, 2}, Trunk: &proxy.Trunk{Source: 9, Target: 19}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.dev.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if st := state("eth1"); !st.Enabled {
		t.Fatalf("eth1 follows the target before its host moved: %+v", st)
	}
	events, err := g.SubscribeStatus(ctx, "eth1")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.dev.MoveHost(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// Moved: eth1 is now the target's eth11, which is down.
	waitFor(t, events, "admin-status", "DOWN")
	if st := state("eth1"); st.Enabled || st.ID != 1 {
		t.Fatalf("eth1 after its host moved to a disabled port: %+v", st)
	}
	if err := g.SetEnabled(ctx, "eth1", true); err != nil {
		t.Fatal(err)
	}
	if !r.dst.Sim.Port("eth11").Enabled() {
		t.Fatal("enabling eth1 through the proxy did not enable the target's eth11")
	}
	waitFor(t, events, "admin-status", "UP")
	if err := r.dev.MoveHost(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := r.dev.CutOver(ctx, nil); err != nil {
		t.Fatal(err)
	}
	ifs, err := g.Interfaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ifs) != 2 || ifs[0].Name != "eth1" || ifs[1].Name != "eth2" {
		t.Fatalf("after the cut over: %+v (the source's trunk has no counterpart)", ifs)
	}
}

// Issue 15, point 2, through the proxy: Get, Set and Subscribe whose
// prefix and paths carry both elem and the deprecated element (as
// openconfig's gnmi_cli sends them) are answered for elem.
func TestBothPathFormsThroughProxy(t *testing.T) {
	r := newRig(t, "onos-basic", rigOptions{profile: p4rt.ProfileBMv2, rules: &basicRules,
		srcPorts: []sim.PortSpec{{Name: "eth1", ID: 1}, {Name: "eth2", ID: 2}}})
	ctx := testCtx(t)
	conn, err := grpc.NewClient(r.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := gpb.NewGNMIClient(conn)
	both := gnmitest.BothForms
	prefix := func(p *gpb.Path) *gpb.Path {
		q := both(p)
		q.Target = strconv.Itoa(vid)
		return q
	}

	g, err := c.Get(ctx, &gpb.GetRequest{Encoding: gpb.Encoding_PROTO, Prefix: prefix(gnmi.InterfacePath("eth2")),
		Path: []*gpb.Path{both(&gpb.Path{Elem: []*gpb.PathElem{{Name: "state"}, {Name: "id"}}})}})
	if err != nil {
		t.Fatalf("Get with both forms: %v", err)
	}
	if u := g.GetNotification()[0].GetUpdate(); len(u) != 1 || u[0].GetVal().GetUintVal() != 2 {
		t.Errorf("eth2's id through the proxy: %v", g)
	}

	if _, err := c.Set(ctx, &gpb.SetRequest{Prefix: prefix(gnmi.InterfacePath("eth2", "config")),
		Update: []*gpb.Update{{Path: both(&gpb.Path{Elem: []*gpb.PathElem{{Name: "enabled"}}}), Val: &gpb.TypedValue{Value: &gpb.TypedValue_BoolVal{BoolVal: false}}}}}); err != nil {
		t.Fatalf("Set with both forms: %v", err)
	}
	if r.src.Sim.Port("eth2").Enabled() {
		t.Error("disabling eth2 through the proxy with both path forms left the switch's eth2 enabled")
	}

	stream, err := c.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: &gpb.SubscriptionList{
		Mode: gpb.SubscriptionList_ONCE, Prefix: prefix(&gpb.Path{Elem: []*gpb.PathElem{{Name: "interfaces"}}}),
		Subscription: []*gpb.Subscription{{Path: both(&gpb.Path{Elem: gnmi.InterfacePath("eth1", "state", "id").Elem[1:]})}}}}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := 0; i < 100; i++ {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatalf("Subscribe with both forms: %v", err)
		}
		if resp.GetSyncResponse() {
			break
		}
		for _, u := range resp.GetUpdate().GetUpdate() {
			got = append(got, gnmi.PathString(u.GetPath())+"="+strconv.FormatUint(u.GetVal().GetUintVal(), 10))
		}
	}
	if len(got) != 1 || got[0] != "/interfaces/interface[name=eth1]/state/id=1" {
		t.Errorf("Subscribe ONCE with both forms through the proxy: %v", got)
	}
}

func waitFor(t *testing.T, events <-chan gnmiclient.Event, leaf, value string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("subscription ended waiting for %s %s", leaf, value)
			}
			if ev.Leaf == leaf && ev.Value == value && !ev.Initial {
				return
			}
		case <-timeout:
			t.Fatalf("no %s %s event", leaf, value)
		}
	}
}
