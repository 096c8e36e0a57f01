package gnmi

import (
	"encoding/json"
	"strings"
	"testing"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

func TestCapabilities(t *testing.T) {
	// gNMI spec 3.2.2: models, encodings and the gNMI version.
	h := serve(t, twoPorts(), Options{})
	r, err := h.client.Capabilities(ctxT(t), &gpb.CapabilityRequest{})
	if err != nil {
		t.Fatal(err)
	}
	models := map[string]bool{}
	for _, m := range r.GetSupportedModels() {
		models[m.GetName()] = true
	}
	if !models["openconfig-interfaces"] || !models["openconfig-p4rt"] {
		t.Errorf("models %v, want openconfig-interfaces and openconfig-p4rt", r.GetSupportedModels())
	}
	encs := map[gpb.Encoding]bool{}
	for _, e := range r.GetSupportedEncodings() {
		encs[e] = true
	}
	for _, e := range []gpb.Encoding{gpb.Encoding_JSON, gpb.Encoding_JSON_IETF, gpb.Encoding_PROTO} {
		if !encs[e] {
			t.Errorf("encodings %v lack %v", r.GetSupportedEncodings(), e)
		}
	}
	if r.GetGNMIVersion() == "" {
		t.Error("no gNMI version")
	}
}

func protoGet(t *testing.T, h *harness, typ gpb.GetRequest_DataType, paths ...*gpb.Path) map[string]*gpb.TypedValue {
	t.Helper()
	r, err := h.client.Get(ctxT(t), &gpb.GetRequest{Path: paths, Encoding: gpb.Encoding_PROTO, Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.GetNotification()) != len(paths) {
		t.Fatalf("%d notifications for %d paths", len(r.GetNotification()), len(paths))
	}
	got := map[string]*gpb.TypedValue{}
	for _, n := range r.GetNotification() {
		if n.GetPrefix() != nil {
			t.Errorf("prefix %v in the answer to a request without target", n.GetPrefix())
		}
		if n.GetTimestamp() == 0 {
			t.Error("notification without timestamp")
		}
		for _, u := range n.GetUpdate() {
			got[PathString(u.GetPath())] = u.GetVal()
		}
	}
	return got
}

func str(s string) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: s}}
}
func uintv(u uint64) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: u}}
}
func boolv(b bool) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_BoolVal{BoolVal: b}}
}

// TestGetLeavesProto: Get with PROTO encoding answers each leaf as a scalar
// with its full path, as Stratum's gnmi_publisher does; ONOS's
// OpenConfigGnmiDeviceDescriptionDiscovery reads
// /interfaces/interface[name=...]/state that way.
func TestGetLeavesProto(t *testing.T) {
	h := serve(t, twoPorts(), Options{})
	for _, tc := range []struct {
		path *gpb.Path
		want map[string]*gpb.TypedValue
	}{
		{ifp("eth1", "state", "id"), map[string]*gpb.TypedValue{"/interfaces/interface[name=eth1]/state/id": uintv(2)}},
		{ifp("eth0", "state", "oper-status"), map[string]*gpb.TypedValue{"/interfaces/interface[name=eth0]/state/oper-status": str("UP")}},
		{ifp("eth0", "state", "admin-status"), map[string]*gpb.TypedValue{"/interfaces/interface[name=eth0]/state/admin-status": str("UP")}},
		{ifp("eth0", "config", "enabled"), map[string]*gpb.TypedValue{"/interfaces/interface[name=eth0]/config/enabled": boolv(true)}},
		{ifp("eth0", "state", "counters", "in-octets"), map[string]*gpb.TypedValue{"/interfaces/interface[name=eth0]/state/counters/in-octets": uintv(1000)}},
		{ifp("*", "state", "ifindex"), map[string]*gpb.TypedValue{
			"/interfaces/interface[name=eth0]/state/ifindex": uintv(1),
			"/interfaces/interface[name=eth1]/state/ifindex": uintv(2)}},
		// Origin openconfig and module-qualified names are the same tree.
		{&gpb.Path{Origin: "openconfig", Elem: []*gpb.PathElem{{Name: "openconfig-interfaces:interfaces"},
			{Name: "interface", Key: map[string]string{"name": "eth1"}}, {Name: "state"}, {Name: "openconfig-p4rt:id"}}},
			map[string]*gpb.TypedValue{"/interfaces/interface[name=eth1]/state/id": uintv(2)}},
		// A list without keys, and "..." anywhere, match every entry.
		{&gpb.Path{Elem: []*gpb.PathElem{{Name: "interfaces"}, {Name: "interface"}, {Name: "..."}, {Name: "oper-status"}}},
			map[string]*gpb.TypedValue{
				"/interfaces/interface[name=eth0]/state/oper-status": str("UP"),
				"/interfaces/interface[name=eth1]/state/oper-status": str("UP")}},
	} {
		got := protoGet(t, h, gpb.GetRequest_ALL, tc.path)
		if len(got) != len(tc.want) {
			t.Errorf("Get %s: %v, want %v", PathString(tc.path), got, tc.want)
			continue
		}
		for p, v := range tc.want {
			if !proto.Equal(got[p], v) {
				t.Errorf("Get %s: %s = %v, want %v", PathString(tc.path), p, got[p], v)
			}
		}
	}
}

func TestGetSubtreeProto(t *testing.T) {
	h := serve(t, twoPorts(), Options{})
	// ONOS's request: the state of every interface, key "...".
	got := protoGet(t, h, gpb.GetRequest_ALL, &gpb.Path{Elem: []*gpb.PathElem{{Name: "interfaces"},
		{Name: "interface", Key: map[string]string{"name": "..."}}, {Name: "state"}}})
	stateLeaves := 0
	for i := range schema {
		if schema[i].rel[0] == "state" {
			stateLeaves++
		}
	}
	if len(got) != 2*stateLeaves {
		t.Fatalf("%d leaves, want %d", len(got), 2*stateLeaves)
	}
	for p, v := range map[string]*gpb.TypedValue{
		"/interfaces/interface[name=eth0]/state/name":                 str("eth0"),
		"/interfaces/interface[name=eth1]/state/id":                   uintv(2),
		"/interfaces/interface[name=eth0]/state/counters/out-pkts":    uintv(20),
		"/interfaces/interface[name=eth1]/state/counters/in-discards": uintv(0),
		"/interfaces/interface[name=eth0]/state/enabled":              boolv(true),
		"/interfaces/interface[name=eth1]/state/oper-status":          str("UP"),
	} {
		if !proto.Equal(got[p], v) {
			t.Errorf("%s = %v, want %v", p, got[p], v)
		}
	}
	if lc := got["/interfaces/interface[name=eth0]/state/last-change"].GetUintVal(); lc == 0 {
		t.Error("last-change is 0")
	}
}

func TestGetDataTypes(t *testing.T) {
	// gNMI spec 3.3.1: CONFIG is config true, STATE config false,
	// OPERATIONAL the state that is not configuration mirrored.
	h := serve(t, twoPorts(), Options{})
	for _, tc := range []struct {
		typ     gpb.GetRequest_DataType
		want    []string
		notWant []string
	}{
		{gpb.GetRequest_CONFIG, []string{"/name", "/config/name", "/config/enabled"}, []string{"/state/name", "/state/oper-status"}},
		{gpb.GetRequest_STATE, []string{"/state/name", "/state/id", "/state/counters/in-pkts"}, []string{"/config/enabled", "/name"}},
		{gpb.GetRequest_OPERATIONAL, []string{"/state/oper-status", "/state/admin-status", "/state/counters/in-pkts"}, []string{"/state/id", "/config/enabled"}},
	} {
		got := protoGet(t, h, tc.typ, ifp("eth0"))
		for _, w := range tc.want {
			if got["/interfaces/interface[name=eth0]"+w] == nil {
				t.Errorf("%v: no %s in %v", tc.typ, w, got)
			}
		}
		for _, w := range tc.notWant {
			if got["/interfaces/interface[name=eth0]"+w] != nil {
				t.Errorf("%v: %s should not be there", tc.typ, w)
			}
		}
	}
}

func jsonGet(t *testing.T, h *harness, enc gpb.Encoding, p *gpb.Path) []*gpb.Update {
	t.Helper()
	r, err := h.client.Get(ctxT(t), &gpb.GetRequest{Path: []*gpb.Path{p}, Encoding: enc})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.GetNotification()) != 1 {
		t.Fatalf("%d notifications, want 1", len(r.GetNotification()))
	}
	return r.GetNotification()[0].GetUpdate()
}

func decode(t *testing.T, tv *gpb.TypedValue) any {
	t.Helper()
	b := tv.GetJsonIetfVal()
	if b == nil {
		b = tv.GetJsonVal()
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("value %s: %v", b, err)
	}
	return v
}

// TestGetJSON: JSON and JSON_IETF encodings (gNMI spec 2.3.1, RFC 7951): a
// leaf is a bare value, a node its subtree, one Update per node named.
func TestGetJSON(t *testing.T) {
	h := serve(t, twoPorts(), Options{})

	ups := jsonGet(t, h, gpb.Encoding_JSON_IETF, ifp("eth0", "config", "enabled"))
	if len(ups) != 1 || string(ups[0].GetVal().GetJsonIetfVal()) != "true" {
		t.Errorf("leaf: %v, want bare true", ups)
	}

	ups = jsonGet(t, h, gpb.Encoding_JSON_IETF, ifp("eth0", "state"))
	if len(ups) != 1 || PathString(ups[0].GetPath()) != "/interfaces/interface[name=eth0]/state" {
		t.Fatalf("state: %v", ups)
	}
	st := decode(t, ups[0].GetVal()).(map[string]any)
	for k, want := range map[string]any{
		"openconfig-interfaces:oper-status": "UP",
		"openconfig-interfaces:name":        "eth0",
		"openconfig-p4rt:id":                float64(1),
	} {
		if st[k] != want {
			t.Errorf("state[%s] = %v, want %v (%v)", k, st[k], want, st)
		}
	}
	counters := st["openconfig-interfaces:counters"].(map[string]any)
	if counters["in-octets"] != "1000" { // RFC 7951 6.1: uint64 as a string
		t.Errorf("in-octets %v, want \"1000\"", counters["in-octets"])
	}

	// A wildcard interface: one Update per interface.
	ups = jsonGet(t, h, gpb.Encoding_JSON, ifp("*", "config"))
	if len(ups) != 2 {
		t.Fatalf("config of *: %d updates, want 2", len(ups))
	}
	for i, name := range []string{"eth0", "eth1"} {
		if p := PathString(ups[i].GetPath()); p != "/interfaces/interface[name="+name+"]/config" {
			t.Errorf("update %d at %s", i, p)
		}
		cfg := decode(t, ups[i].GetVal()).(map[string]any)
		if cfg["name"] != name || cfg["enabled"] != true {
			t.Errorf("config of %s: %v", name, cfg)
		}
	}

	// The root: the whole tree with the interface list.
	ups = jsonGet(t, h, gpb.Encoding_JSON, &gpb.Path{})
	root := decode(t, ups[0].GetVal()).(map[string]any)
	list := root["interfaces"].(map[string]any)["interface"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["name"] != "eth0" {
		t.Errorf("root list %v", list)
	}
	if c := list[0].(map[string]any)["state"].(map[string]any)["counters"].(map[string]any)["out-octets"]; c != float64(2000) {
		t.Errorf("JSON out-octets %v, want the number 2000", c)
	}
}

func TestGetErrors(t *testing.T) {
	// gNMI spec 3.3.4: NOT_FOUND for data that does not exist,
	// UNIMPLEMENTED for paths or encodings not served, INVALID_ARGUMENT for
	// malformed paths.
	h := serve(t, twoPorts(), Options{})
	for _, tc := range []struct {
		name string
		req  *gpb.GetRequest
		code codes.Code
		msg  string
	}{
		{"unknown interface", &gpb.GetRequest{Path: []*gpb.Path{ifp("eth9", "state", "id")}, Encoding: gpb.Encoding_PROTO}, codes.NotFound, "eth9"},
		{"unknown leaf", &gpb.GetRequest{Path: []*gpb.Path{ifp("eth0", "state", "mtu")}, Encoding: gpb.Encoding_PROTO}, codes.Unimplemented, "state/mtu"},
		{"other tree", &gpb.GetRequest{Path: []*gpb.Path{{Elem: []*gpb.PathElem{{Name: "system"}}}}, Encoding: gpb.Encoding_PROTO}, codes.Unimplemented, "/system"},
		{"bad key", &gpb.GetRequest{Path: []*gpb.Path{{Elem: []*gpb.PathElem{{Name: "interfaces"}, {Name: "interface", Key: map[string]string{"id": "1"}}}}}, Encoding: gpb.Encoding_PROTO}, codes.InvalidArgument, "key"},
		{"key on a container", &gpb.GetRequest{Path: []*gpb.Path{{Elem: []*gpb.PathElem{{Name: "interfaces", Key: map[string]string{"name": "x"}}}}}, Encoding: gpb.Encoding_PROTO}, codes.InvalidArgument, "not a list"},
		{"deprecated element", &gpb.GetRequest{Path: []*gpb.Path{{Element: []string{"interfaces"}}}, Encoding: gpb.Encoding_PROTO}, codes.InvalidArgument, "element"},
		{"foreign origin", &gpb.GetRequest{Path: []*gpb.Path{{Origin: "cli", Elem: []*gpb.PathElem{{Name: "interfaces"}}}}, Encoding: gpb.Encoding_PROTO}, codes.Unimplemented, "cli"},
		{"ASCII", &gpb.GetRequest{Path: []*gpb.Path{ifp("eth0")}, Encoding: gpb.Encoding_ASCII}, codes.Unimplemented, "ASCII"},
		{"other target", &gpb.GetRequest{Prefix: &gpb.Path{Target: "sw9"}, Path: []*gpb.Path{ifp("eth0")}, Encoding: gpb.Encoding_PROTO}, codes.NotFound, "sw9"},
		{"unserved model", &gpb.GetRequest{Path: []*gpb.Path{ifp("eth0")}, Encoding: gpb.Encoding_PROTO, UseModels: []*gpb.ModelData{{Name: "openconfig-system"}}}, codes.Unimplemented, "openconfig-system"},
	} {
		_, err := h.client.Get(ctxT(t), tc.req)
		wantCode(t, tc.name, err, tc.code)
		if err != nil && !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: message %q does not name %q", tc.name, err, tc.msg)
		}
	}
}

func TestGetTargetEchoed(t *testing.T) {
	// gNMI spec 2.2.2.1: a target in the request is reflected.
	h := serve(t, twoPorts(), Options{Target: "sw1"})
	r, err := h.client.Get(ctxT(t), &gpb.GetRequest{Prefix: &gpb.Path{Target: "sw1"}, Path: []*gpb.Path{ifp("eth0", "state", "id")}, Encoding: gpb.Encoding_PROTO})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.GetNotification()[0].GetPrefix().GetTarget(); got != "sw1" {
		t.Errorf("prefix target %q, want sw1", got)
	}
}
