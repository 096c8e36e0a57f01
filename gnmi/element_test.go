package gnmi

import (
	"strings"
	"testing"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/internal/gnmitest"
)

// rel is a relative path of plain elements.
func rel(names ...string) *gpb.Path {
	p := &gpb.Path{}
	for _, n := range names {
		p.Elem = append(p.Elem, &gpb.PathElem{Name: n})
	}
	return p
}

// Issue 15, point 2: openconfig's gnmi_cli sends every path in both forms,
// elem and the deprecated element. The agent reads elem, as Stratum (which
// reads only elem) and openconfig's path.ToStrings (elem when present) do;
// Get, Set and Subscribe answer for elem, in the prefix as in the path,
// even where element says something else.
func TestBothPathForms(t *testing.T) {
	f := twoPorts()
	h := serve(t, f, Options{Target: "sw1"})
	both := gnmitest.BothForms

	// Get: the path, and prefix and path, in both forms.
	lying := gnmitest.WithElement(ifp("eth0", "state", "id"), gnmitest.Strings(ifp("eth1", "state", "id"))) // elem wins
	prefix := both(ifp("eth0", "state"))
	prefix.Target = "sw1"
	r, err := h.client.Get(ctxT(t), &gpb.GetRequest{Encoding: gpb.Encoding_PROTO,
		Prefix: prefix,
		Path:   []*gpb.Path{both(rel("counters", "in-octets")), both(rel("oper-status"))}})
	if err != nil {
		t.Fatalf("Get with both forms: %v", err)
	}
	got := map[string]*gpb.TypedValue{}
	for _, n := range r.GetNotification() {
		for _, u := range n.GetUpdate() {
			got[PathString(u.GetPath())] = u.GetVal()
		}
	}
	if !proto.Equal(got["/interfaces/interface[name=eth0]/state/counters/in-octets"], uintv(1000)) || !proto.Equal(got[eth0Oper], str("UP")) {
		t.Errorf("Get with prefix and paths in both forms: %v", got)
	}
	if got := protoGet(t, h, gpb.GetRequest_ALL, lying); !proto.Equal(got["/interfaces/interface[name=eth0]/state/id"], uintv(1)) || len(got) != 1 {
		t.Errorf("Get whose element names eth1 and elem eth0: %v, want eth0's id 1", got)
	}

	// Set: update under a prefix, then delete, both forms everywhere.
	sr, err := h.client.Set(ctxT(t), &gpb.SetRequest{Prefix: both(ifp("eth1", "config")),
		Update: []*gpb.Update{{Path: both(rel("enabled")), Val: boolv(false)}}})
	if err != nil {
		t.Fatalf("Set with both forms: %v", err)
	}
	if f.state("eth1").Enabled || len(sr.GetResponse()) != 1 || !proto.Equal(sr.GetResponse()[0].GetPath(), both(rel("enabled"))) {
		t.Errorf("Set update: eth1 %+v, response %v", f.state("eth1"), sr)
	}
	if _, err := h.client.Set(ctxT(t), &gpb.SetRequest{Delete: []*gpb.Path{both(ifp("eth1", "config", "enabled"))}}); err != nil {
		t.Fatalf("Set delete with both forms: %v", err)
	}
	if !f.state("eth1").Enabled {
		t.Error("delete of config/enabled in both forms did not restore true")
	}

	// Subscribe ONCE and STREAM: prefix and paths in both forms.
	below := &gpb.Path{Elem: ifp("eth0", "state", "oper-status").Elem[1:]} // interface[name=eth0]/state/oper-status
	sl := subList(gpb.SubscriptionList_ONCE, onChange(both(below)))
	sl.Prefix = both(rel("interfaces"))
	sl.Prefix.Target = "sw1"
	if vals := startSub(t, h, sl).untilSync(); len(vals) != 1 || !proto.Equal(vals[eth0Oper], str("UP")) {
		t.Errorf("Subscribe ONCE with both forms: %v", vals)
	}
	s := startSub(t, h, subList(gpb.SubscriptionList_STREAM, onChange(both(ifp("eth0", "state", "oper-status")))))
	s.untilSync()
	f.update("eth0", func(p *PortState) { p.Oper = OperDown })
	s.waitFor(eth0Oper, str("DOWN"))
}

// A path (or prefix) with element and no elem is refused, as Stratum
// refuses it (it reads elem only, and finds the path empty), naming the
// path once.
func TestElementOnlyRefused(t *testing.T) {
	h := serve(t, twoPorts(), Options{})
	only := gnmitest.ElementOnly
	const named = "/interfaces/interface[name=eth0]/state/oper-status"
	check := func(what string, err error) {
		t.Helper()
		wantCode(t, what, err, codes.InvalidArgument)
		if msg := err.Error(); !strings.Contains(msg, "element") || strings.Count(msg, "oper-status") != 1 {
			t.Errorf("%s: %q should name the element field and the path once", what, msg)
		}
	}
	_, err := h.client.Get(ctxT(t), &gpb.GetRequest{Encoding: gpb.Encoding_PROTO, Path: []*gpb.Path{only(ifp("eth0", "state", "oper-status"))}})
	check("Get", err)
	if err != nil && !strings.Contains(err.Error(), named) {
		t.Errorf("Get: %q does not name %s", err, named)
	}
	_, err = h.client.Get(ctxT(t), &gpb.GetRequest{Encoding: gpb.Encoding_PROTO, Prefix: only(ifp("eth0", "state")), Path: []*gpb.Path{rel("oper-status")}})
	check("Get, element-only prefix", err)
	_, err = h.client.Set(ctxT(t), &gpb.SetRequest{Update: []*gpb.Update{{Path: only(ifp("eth0", "state", "oper-status")), Val: boolv(false)}}})
	check("Set", err)
	stream, err := h.client.Subscribe(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: subList(gpb.SubscriptionList_ONCE, onChange(only(ifp("eth0", "state", "oper-status"))))}}); err != nil {
		t.Fatal(err)
	}
	_, err = stream.Recv()
	check("Subscribe", err)
}
