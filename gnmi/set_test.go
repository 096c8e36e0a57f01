package gnmi

import (
	"errors"
	"strings"
	"testing"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
)

func enabledUpdate(name string, v *gpb.TypedValue) *gpb.Update {
	return &gpb.Update{Path: ifp(name, "config", "enabled"), Val: v}
}

// TestSetEnabled: update, replace and delete of config/enabled (gNMI spec
// 3.4; delete resets the leaf to its YANG default, true).
func TestSetEnabled(t *testing.T) {
	f := twoPorts()
	h := serve(t, f, Options{})
	for _, tc := range []struct {
		name    string
		req     *gpb.SetRequest
		want    map[string]bool // enabled after the Set
		results []gpb.UpdateResult_Operation
	}{
		{"update false", &gpb.SetRequest{Update: []*gpb.Update{enabledUpdate("eth0", boolv(false))}},
			map[string]bool{"eth0": false, "eth1": true}, []gpb.UpdateResult_Operation{gpb.UpdateResult_UPDATE}},
		{"replace true", &gpb.SetRequest{Replace: []*gpb.Update{enabledUpdate("eth0", boolv(true))}},
			map[string]bool{"eth0": true, "eth1": true}, []gpb.UpdateResult_Operation{gpb.UpdateResult_REPLACE}},
		{"both off in one Set", &gpb.SetRequest{Update: []*gpb.Update{enabledUpdate("eth0", boolv(false)), enabledUpdate("eth1", boolv(false))}},
			map[string]bool{"eth0": false, "eth1": false}, []gpb.UpdateResult_Operation{gpb.UpdateResult_UPDATE, gpb.UpdateResult_UPDATE}},
		{"delete the leaf", &gpb.SetRequest{Delete: []*gpb.Path{ifp("eth0", "config", "enabled")}},
			map[string]bool{"eth0": true, "eth1": false}, []gpb.UpdateResult_Operation{gpb.UpdateResult_DELETE}},
		// Deletes first, then replaces, then updates (spec 3.4): eth1 ends
		// disabled although the delete re-enables it.
		{"order", &gpb.SetRequest{
			Delete:  []*gpb.Path{ifp("*")},
			Replace: []*gpb.Update{enabledUpdate("eth0", boolv(false))},
			Update:  []*gpb.Update{enabledUpdate("eth1", boolv(false)), enabledUpdate("eth0", boolv(true))}},
			map[string]bool{"eth0": true, "eth1": false},
			[]gpb.UpdateResult_Operation{gpb.UpdateResult_DELETE, gpb.UpdateResult_REPLACE, gpb.UpdateResult_UPDATE, gpb.UpdateResult_UPDATE}},
		{"delete every interface's config", &gpb.SetRequest{Delete: []*gpb.Path{{Elem: []*gpb.PathElem{{Name: "interfaces"}}}}},
			map[string]bool{"eth0": true, "eth1": true}, []gpb.UpdateResult_Operation{gpb.UpdateResult_DELETE}},
		{"delete of a missing interface", &gpb.SetRequest{Delete: []*gpb.Path{ifp("eth9", "config", "enabled")}},
			map[string]bool{"eth0": true, "eth1": true}, []gpb.UpdateResult_Operation{gpb.UpdateResult_DELETE}},
		{"with prefix", &gpb.SetRequest{Prefix: ifp("eth1", "config"), Update: []*gpb.Update{{Path: &gpb.Path{Elem: []*gpb.PathElem{{Name: "enabled"}}}, Val: boolv(false)}}},
			map[string]bool{"eth0": true, "eth1": false}, []gpb.UpdateResult_Operation{gpb.UpdateResult_UPDATE}},
	} {
		r, err := h.client.Set(ctxT(t), tc.req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for name, en := range tc.want {
			if st := f.state(name); st.Enabled != en {
				t.Errorf("%s: %s enabled=%v, want %v", tc.name, name, st.Enabled, en)
			}
			got := protoGet(t, h, gpb.GetRequest_ALL, ifp(name, "config", "enabled"), ifp(name, "state", "admin-status"))
			wantAdmin := map[bool]string{true: "UP", false: "DOWN"}[en]
			if got["/interfaces/interface[name="+name+"]/config/enabled"].GetBoolVal() != en ||
				got["/interfaces/interface[name="+name+"]/state/admin-status"].GetStringVal() != wantAdmin {
				t.Errorf("%s: Get after Set: %v", tc.name, got)
			}
		}
		if len(r.GetResponse()) != len(tc.results) {
			t.Fatalf("%s: %d results, want %d", tc.name, len(r.GetResponse()), len(tc.results))
		}
		for i, op := range tc.results {
			if r.GetResponse()[i].GetOp() != op {
				t.Errorf("%s: result %d is %v, want %v", tc.name, i, r.GetResponse()[i].GetOp(), op)
			}
		}
		if r.GetTimestamp() == 0 {
			t.Errorf("%s: no timestamp", tc.name)
		}
	}
}

func TestSetErrors(t *testing.T) {
	f := twoPorts()
	h := serve(t, f, Options{})
	for _, tc := range []struct {
		name string
		req  *gpb.SetRequest
		code codes.Code
		msg  []string // the message names these
	}{
		// Stratum would read bool_val() of a string "true" as false and
		// disable the port; the agent refuses it.
		{"string true", &gpb.SetRequest{Update: []*gpb.Update{enabledUpdate("eth0", str("true"))}},
			codes.InvalidArgument, []string{"/interfaces/interface[name=eth0]/config/enabled", "bool_val", `string_val "true"`}},
		{"json true", &gpb.SetRequest{Replace: []*gpb.Update{enabledUpdate("eth0", &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: []byte("true")}})}},
			codes.InvalidArgument, []string{"config/enabled", "json_ietf_val"}},
		{"no value", &gpb.SetRequest{Update: []*gpb.Update{{Path: ifp("eth0", "config", "enabled")}}},
			codes.InvalidArgument, []string{"no value"}},
		{"unknown interface", &gpb.SetRequest{Update: []*gpb.Update{enabledUpdate("eth9", boolv(false))}},
			codes.NotFound, []string{"eth9"}},
		{"read-only leaf", &gpb.SetRequest{Update: []*gpb.Update{{Path: ifp("eth0", "state", "enabled"), Val: boolv(false)}}},
			codes.InvalidArgument, []string{"state/enabled", "not settable"}},
		{"not in schema", &gpb.SetRequest{Update: []*gpb.Update{{Path: ifp("eth0", "config", "mtu"), Val: uintv(9000)}}},
			codes.NotFound, []string{"config/mtu"}},
		{"wildcard update", &gpb.SetRequest{Update: []*gpb.Update{enabledUpdate("*", boolv(false))}},
			codes.InvalidArgument, []string{"wildcard"}},
		{"delete state", &gpb.SetRequest{Delete: []*gpb.Path{ifp("eth0", "state")}},
			codes.InvalidArgument, []string{"read-only"}},
		{"delete the key", &gpb.SetRequest{Delete: []*gpb.Path{ifp("eth0", "config", "name")}},
			codes.InvalidArgument, []string{"name"}},
		{"union_replace", &gpb.SetRequest{UnionReplace: []*gpb.Update{enabledUpdate("eth0", boolv(false))}},
			codes.Unimplemented, []string{"union_replace"}},
		{"other target", &gpb.SetRequest{Prefix: &gpb.Path{Target: "sw9"}, Update: []*gpb.Update{enabledUpdate("eth0", boolv(false))}},
			codes.NotFound, []string{"sw9"}},
		// Atomic: the valid first update is not applied either.
		{"one bad update", &gpb.SetRequest{Update: []*gpb.Update{enabledUpdate("eth0", boolv(false)), enabledUpdate("eth9", boolv(false))}},
			codes.NotFound, []string{"eth9"}},
	} {
		_, err := h.client.Set(ctxT(t), tc.req)
		wantCode(t, tc.name, err, tc.code)
		for _, m := range tc.msg {
			if err != nil && !strings.Contains(err.Error(), m) {
				t.Errorf("%s: message %q does not contain %q", tc.name, err, m)
			}
		}
		if !f.state("eth0").Enabled || !f.state("eth1").Enabled {
			t.Fatalf("%s: a failed Set changed a port", tc.name)
		}
	}
	if calls := f.setCalls(); len(calls) != 0 {
		t.Errorf("failed Sets reached the backend: %v", calls)
	}
}

// TestSetRollsBack: when the backend fails part way, the ports already
// changed are set back (gNMI spec 3.4.3) and the RPC is ABORTED.
func TestSetRollsBack(t *testing.T) {
	f := twoPorts()
	f.failSet["eth1"] = errors.New("hardware says no")
	h := serve(t, f, Options{})
	_, err := h.client.Set(ctxT(t), &gpb.SetRequest{Update: []*gpb.Update{enabledUpdate("eth0", boolv(false)), enabledUpdate("eth1", boolv(false))}})
	wantCode(t, "failing backend", err, codes.Aborted)
	if err != nil && !strings.Contains(err.Error(), "hardware says no") {
		t.Errorf("message %q hides the backend's error", err)
	}
	if !f.state("eth0").Enabled {
		t.Error("eth0 left disabled")
	}
	want := []string{"eth0=false", "eth1=false", "eth0=true"}
	if got := f.setCalls(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("backend calls %v, want %v", got, want)
	}
}
