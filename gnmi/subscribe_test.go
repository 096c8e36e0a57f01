package gnmi

import (
	"errors"
	"strings"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

func subList(mode gpb.SubscriptionList_Mode, subs ...*gpb.Subscription) *gpb.SubscriptionList {
	return &gpb.SubscriptionList{Mode: mode, Subscription: subs}
}

func onChange(p *gpb.Path) *gpb.Subscription {
	return &gpb.Subscription{Path: p, Mode: gpb.SubscriptionMode_ON_CHANGE}
}

const (
	eth0Oper  = "/interfaces/interface[name=eth0]/state/oper-status"
	eth0Admin = "/interfaces/interface[name=eth0]/state/admin-status"
	eth0InOct = "/interfaces/interface[name=eth0]/state/counters/in-octets"
)

// TestSubscribeOnce: ONCE sends the current values, a sync_response, and
// closes the RPC (gNMI spec 3.5.1.5.1); with updates_only only the sync.
func TestSubscribeOnce(t *testing.T) {
	h := serve(t, twoPorts(), Options{})
	s := startSub(t, h, subList(gpb.SubscriptionList_ONCE, onChange(ifp("*", "state", "oper-status")), onChange(ifp("eth0", "state", "id"))))
	got := s.untilSync()
	want := map[string]*gpb.TypedValue{
		eth0Oper: str("UP"),
		"/interfaces/interface[name=eth1]/state/oper-status": str("UP"),
		"/interfaces/interface[name=eth0]/state/id":          uintv(1),
	}
	if len(got) != len(want) {
		t.Errorf("ONCE gave %v, want %v", got, want)
	}
	for p, v := range want {
		if !proto.Equal(got[p], v) {
			t.Errorf("%s = %v, want %v", p, got[p], v)
		}
	}
	if err := s.ended(); err != nil {
		t.Errorf("ONCE ended with %v, want EOF", err)
	}

	sl := subList(gpb.SubscriptionList_ONCE, onChange(ifp("*")))
	sl.UpdatesOnly = true
	s = startSub(t, h, sl)
	if r := s.next(); !r.GetSyncResponse() {
		t.Errorf("updates_only ONCE sent %v before sync", r)
	}
	if err := s.ended(); err != nil {
		t.Errorf("ONCE ended with %v", err)
	}
}

// TestSubscribePoll: each Poll request gets the values as they are now and
// a sync_response (gNMI spec 3.5.1.5.3).
func TestSubscribePoll(t *testing.T) {
	f := twoPorts()
	h := serve(t, f, Options{RefreshInterval: -1}) // counters only move when polled
	s := startSub(t, h, subList(gpb.SubscriptionList_POLL, onChange(ifp("eth0", "state", "counters", "in-octets"))))
	if got := s.untilSync(); got[eth0InOct].GetUintVal() != 1000 {
		t.Fatalf("first poll: %v", got)
	}
	for _, v := range []uint64{1500, 4000} {
		f.update("eth0", func(p *PortState) { p.Counters.InOctets = v })
		if err := s.stream.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Poll{Poll: &gpb.Poll{}}}); err != nil {
			t.Fatal(err)
		}
		if got := s.untilSync(); got[eth0InOct].GetUintVal() != v {
			t.Fatalf("poll after setting %d: %v", v, got)
		}
	}
	// Anything but a Poll on a POLL subscription is an error.
	if err := s.stream.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: subList(gpb.SubscriptionList_POLL, onChange(ifp("*")))}}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "second SubscriptionList", s.ended(), codes.InvalidArgument)
}

// TestSubscribeOnChange: a client toggles a port with Set and sees
// admin-status and oper-status change (gNMI spec 3.5.1.5.2), and ports
// coming and going.
func TestSubscribeOnChange(t *testing.T) {
	f := twoPorts()
	h := serve(t, f, Options{})
	s := startSub(t, h, subList(gpb.SubscriptionList_STREAM,
		onChange(ifp("*", "state", "oper-status")), onChange(ifp("*", "state", "admin-status"))))
	got := s.untilSync()
	if !proto.Equal(got[eth0Oper], str("UP")) || !proto.Equal(got[eth0Admin], str("UP")) || len(got) != 4 {
		t.Fatalf("initial: %v", got)
	}
	for _, en := range []bool{false, true} {
		if _, err := h.client.Set(ctxT(t), &gpb.SetRequest{Update: []*gpb.Update{enabledUpdate("eth0", boolv(en))}}); err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{true: "UP", false: "DOWN"}[en]
		seen := map[string]bool{}
		for len(seen) < 2 {
			r := s.next()
			n := r.GetUpdate()
			if n.GetPrefix() != nil {
				t.Errorf("prefix %v on a stream that asked for no target", n.GetPrefix())
			}
			for _, u := range n.GetUpdate() {
				p := PathString(u.GetPath())
				if p != eth0Oper && p != eth0Admin {
					t.Fatalf("update of %s; only eth0 changed", p)
				}
				if u.GetVal().GetStringVal() != want {
					t.Fatalf("%s = %v, want %s", p, u.GetVal(), want)
				}
				seen[p] = true
			}
		}
	}
	// A counter moving is not subscribed here: nothing is sent.
	f.update("eth1", func(p *PortState) { p.Counters.InPkts = 99 })
	s.quiet(100 * time.Millisecond)

	// The backend's own change (a cable pulled) shows too, as Stratum
	// shows it (OperStatus.Served).
	f.update("eth1", func(p *PortState) { p.Oper = OperLowerLayerDown })
	s.waitFor("/interfaces/interface[name=eth1]/state/oper-status", str("DOWN"))

	// A port removed is deleted, a new one appears.
	f.update("eth1", nil)
	for deleted := false; !deleted; {
		for _, d := range s.next().GetUpdate().GetDelete() {
			deleted = deleted || PathString(d) == "/interfaces/interface[name=eth1]/state/oper-status"
		}
	}
	f.update("eth2", func(p *PortState) { p.ID, p.Enabled, p.Oper = 3, true, OperUp })
	s.waitFor("/interfaces/interface[name=eth2]/state/oper-status", str("UP"))
}

// TestSubscribeLikeONOS: ONOS's GnmiDeviceStateSubscriber asks STREAM,
// updates_only, ON_CHANGE on each port's oper-status without prefix, and
// reads the interface name from the second path element's key.
func TestSubscribeLikeONOS(t *testing.T) {
	f := twoPorts()
	h := serve(t, f, Options{})
	sl := subList(gpb.SubscriptionList_STREAM, onChange(ifp("eth0", "state", "oper-status")), onChange(ifp("eth1", "state", "oper-status")))
	sl.UpdatesOnly = true
	s := startSub(t, h, sl)
	if r := s.next(); !r.GetSyncResponse() {
		t.Fatalf("first response %v, want sync_response", r)
	}
	f.update("eth1", func(p *PortState) { p.Oper = OperDown })
	r := s.next()
	u := r.GetUpdate().GetUpdate()
	if len(u) != 1 || u[0].GetPath().GetElem()[1].GetKey()["name"] != "eth1" || u[0].GetVal().GetStringVal() != "DOWN" {
		t.Fatalf("update %v", r)
	}
}

func TestSubscribeTargetEchoed(t *testing.T) {
	h := serve(t, twoPorts(), Options{})
	sl := subList(gpb.SubscriptionList_STREAM, onChange(ifp("eth0", "state", "id")))
	sl.Prefix = &gpb.Path{Target: "lime"}
	s := startSub(t, h, sl)
	r := s.next()
	if got := r.GetUpdate().GetPrefix().GetTarget(); got != "lime" {
		t.Errorf("prefix target %q in %v, want lime", got, r)
	}
}

// TestSubscribeSample: SAMPLE sends the values every sample_interval
// (gNMI spec 3.5.1.5.2), stamped with increasing times.
func TestSubscribeSample(t *testing.T) {
	f := twoPorts()
	h := serve(t, f, Options{RefreshInterval: -1})
	s := startSub(t, h, subList(gpb.SubscriptionList_STREAM, &gpb.Subscription{
		Path: ifp("eth0", "state", "counters", "in-octets"), Mode: gpb.SubscriptionMode_SAMPLE, SampleInterval: uint64(30 * time.Millisecond)}))
	if got := s.untilSync(); got[eth0InOct].GetUintVal() != 1000 {
		t.Fatalf("initial: %v", got)
	}
	var last int64
	for i := 0; i < 3; i++ {
		n := s.next().GetUpdate()
		if len(n.GetUpdate()) != 1 || PathString(n.GetUpdate()[0].GetPath()) != eth0InOct {
			t.Fatalf("sample %d: %v", i, n)
		}
		if n.GetTimestamp() <= last {
			t.Errorf("sample %d: timestamp %d not after %d", i, n.GetTimestamp(), last)
		}
		last = n.GetTimestamp()
	}
	f.update("eth0", func(p *PortState) { p.Counters.InOctets = 7777 })
	s.waitFor(eth0InOct, uintv(7777))
}

// TestSubscribeSampleSuppressRedundant: with suppress_redundant only the
// leaves that changed are sent, and everything each heartbeat_interval.
func TestSubscribeSampleSuppressRedundant(t *testing.T) {
	f := twoPorts()
	h := serve(t, f, Options{RefreshInterval: -1})
	s := startSub(t, h, subList(gpb.SubscriptionList_STREAM, &gpb.Subscription{
		Path: ifp("eth0", "state", "counters"), Mode: gpb.SubscriptionMode_SAMPLE,
		SampleInterval: uint64(20 * time.Millisecond), SuppressRedundant: true}))
	if got := s.untilSync(); len(got) != 17 {
		t.Fatalf("initial: %d counters, want 17", len(got))
	}
	s.quiet(150 * time.Millisecond)
	f.update("eth0", func(p *PortState) { p.Counters.OutPkts = 21 })
	n := s.next().GetUpdate()
	if len(n.GetUpdate()) != 1 || n.GetUpdate()[0].GetVal().GetUintVal() != 21 {
		t.Fatalf("after one counter changed: %v", n)
	}

	s = startSub(t, h, subList(gpb.SubscriptionList_STREAM, &gpb.Subscription{
		Path: ifp("eth0", "state", "counters"), Mode: gpb.SubscriptionMode_SAMPLE,
		SampleInterval: uint64(20 * time.Millisecond), SuppressRedundant: true, HeartbeatInterval: uint64(100 * time.Millisecond)}))
	first := s.next().GetUpdate() // the initial sample, then sync
	if r := s.next(); !r.GetSyncResponse() {
		t.Fatalf("%v after the initial sample, want sync_response", r)
	}
	n = s.next().GetUpdate()
	if len(n.GetUpdate()) != 17 {
		t.Fatalf("heartbeat: %d leaves, want all 17", len(n.GetUpdate()))
	}
	if d := time.Duration(n.GetTimestamp() - first.GetTimestamp()); d < 100*time.Millisecond {
		t.Errorf("heartbeat %v after the initial sample, want at least 100ms", d)
	}
}

// TestSubscribeMixed: ON_CHANGE and SAMPLE in one STREAM share a single
// sync_response, after the initial values of both.
func TestSubscribeMixed(t *testing.T) {
	f := twoPorts()
	h := serve(t, f, Options{})
	s := startSub(t, h, subList(gpb.SubscriptionList_STREAM,
		onChange(ifp("eth0", "state", "oper-status")),
		&gpb.Subscription{Path: ifp("eth0", "state", "counters", "in-octets"), Mode: gpb.SubscriptionMode_SAMPLE, SampleInterval: uint64(50 * time.Millisecond)}))
	got := s.untilSync()
	if got[eth0Oper] == nil || got[eth0InOct] == nil {
		t.Fatalf("initial values %v lack oper-status or in-octets", got)
	}
	f.update("eth0", func(p *PortState) { p.Oper = OperDown })
	samples := 0
	for i := 0; i < 100 && (samples < 2 || got[eth0Oper].GetStringVal() != "DOWN"); i++ {
		r := s.next()
		if r.GetSyncResponse() {
			t.Fatal("a second sync_response")
		}
		for _, u := range r.GetUpdate().GetUpdate() {
			got[PathString(u.GetPath())] = u.GetVal()
			if PathString(u.GetPath()) == eth0InOct {
				samples++
			}
		}
	}
	if samples < 2 || got[eth0Oper].GetStringVal() != "DOWN" {
		t.Errorf("saw %d samples, oper-status %v", samples, got[eth0Oper])
	}
}

// TestSubscribeHeartbeat: an ON_CHANGE subscription with a heartbeat
// re-sends its values each heartbeat_interval though nothing changed.
func TestSubscribeHeartbeat(t *testing.T) {
	h := serve(t, twoPorts(), Options{})
	s := startSub(t, h, subList(gpb.SubscriptionList_STREAM, &gpb.Subscription{
		Path: ifp("eth0", "state", "oper-status"), Mode: gpb.SubscriptionMode_ON_CHANGE, HeartbeatInterval: uint64(40 * time.Millisecond)}))
	s.untilSync()
	for i := 0; i < 2; i++ {
		s.waitFor(eth0Oper, str("UP"))
	}
}

// TestSubscribeTargetDefined: counters under TARGET_DEFINED arrive when
// they change, at the agent's refresh interval.
func TestSubscribeTargetDefined(t *testing.T) {
	f := twoPorts()
	h := serve(t, f, Options{RefreshInterval: 20 * time.Millisecond})
	s := startSub(t, h, subList(gpb.SubscriptionList_STREAM, &gpb.Subscription{Path: ifp("eth0", "state", "counters", "in-octets"), Mode: gpb.SubscriptionMode_TARGET_DEFINED}))
	s.untilSync()
	f.mu.Lock()
	f.ports["eth0"].Counters.InOctets = 5555 // no notify: only the periodic refresh sees it
	f.mu.Unlock()
	s.waitFor(eth0InOct, uintv(5555))
}

func TestSubscribeErrors(t *testing.T) {
	h := serve(t, twoPorts(), Options{})
	for _, tc := range []struct {
		name string
		req  *gpb.SubscribeRequest
		code codes.Code
		msg  string
	}{
		{"poll first", &gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Poll{Poll: &gpb.Poll{}}}, codes.InvalidArgument, "SubscriptionList"},
		{"empty list", &gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: subList(gpb.SubscriptionList_STREAM)}}, codes.InvalidArgument, "no subscription"},
		{"unknown path", &gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: subList(gpb.SubscriptionList_STREAM, onChange(ifp("eth0", "state", "mtu")))}}, codes.Unimplemented, "state/mtu"},
		{"bad key", &gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: subList(gpb.SubscriptionList_STREAM, onChange(&gpb.Path{Elem: []*gpb.PathElem{{Name: "interfaces"}, {Name: "interface", Key: map[string]string{"ifname": "x"}}}}))}}, codes.InvalidArgument, "ifname"},
		{"too fast", &gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: subList(gpb.SubscriptionList_STREAM, &gpb.Subscription{Path: ifp("eth0"), Mode: gpb.SubscriptionMode_SAMPLE, SampleInterval: 1000})}}, codes.InvalidArgument, "sample_interval"},
		{"target defined with interval", &gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: subList(gpb.SubscriptionList_STREAM, &gpb.Subscription{Path: ifp("eth0"), Mode: gpb.SubscriptionMode_TARGET_DEFINED, SampleInterval: uint64(time.Second)})}}, codes.InvalidArgument, "TARGET_DEFINED"},
		{"bytes encoding", &gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: &gpb.SubscriptionList{Encoding: gpb.Encoding_BYTES, Subscription: []*gpb.Subscription{onChange(ifp("eth0"))}}}}, codes.Unimplemented, "BYTES"},
		{"other target", &gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: &gpb.SubscriptionList{Prefix: &gpb.Path{Target: "sw9"}, Subscription: []*gpb.Subscription{onChange(ifp("eth0"))}}}}, codes.NotFound, "sw9"},
	} {
		stream, err := h.client.Subscribe(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(tc.req); err != nil {
			t.Fatal(err)
		}
		_, err = stream.Recv()
		wantCode(t, tc.name, err, tc.code)
		if err != nil && !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: message %q does not name %q", tc.name, err, tc.msg)
		}
	}
}

// TestSubscribeNonexistentInterface: a subscription to an interface that
// does not exist yet is accepted and reports it once it appears (gNMI spec
// 3.5.1.3).
func TestSubscribeNonexistentInterface(t *testing.T) {
	f := twoPorts()
	h := serve(t, f, Options{})
	s := startSub(t, h, subList(gpb.SubscriptionList_STREAM, onChange(ifp("eth7", "state", "id"))))
	if got := s.untilSync(); len(got) != 0 {
		t.Fatalf("values for a missing interface: %v", got)
	}
	f.update("eth7", func(p *PortState) { p.ID, p.Oper = 7, OperDown })
	s.waitFor("/interfaces/interface[name=eth7]/state/id", uintv(7))
}

// TestRefreshPublishes: Server.Refresh publishes changes the backend did
// not report (here with periodic reading off).
func TestRefreshPublishes(t *testing.T) {
	f := twoPorts()
	h := serve(t, f, Options{RefreshInterval: -1})
	s := startSub(t, h, subList(gpb.SubscriptionList_STREAM, onChange(ifp("eth0", "state", "counters", "in-octets"))))
	s.untilSync()
	f.mu.Lock()
	f.ports["eth0"].Counters.InOctets = 4242
	f.mu.Unlock()
	s.quiet(100 * time.Millisecond)
	if err := h.srv.Refresh(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	s.waitFor(eth0InOct, uintv(4242))
}

// TestBackendFailure: a backend that cannot list its ports makes requests
// fail with UNAVAILABLE, naming the failure.
func TestBackendFailure(t *testing.T) {
	f := twoPorts()
	h := serve(t, f, Options{RefreshInterval: -1})
	f.mu.Lock()
	f.listErr = errors.New("switch unreachable")
	f.mu.Unlock()
	_, err := h.client.Get(ctxT(t), &gpb.GetRequest{Path: []*gpb.Path{ifp("eth0")}, Encoding: gpb.Encoding_PROTO})
	wantCode(t, "Get", err, codes.Unavailable)
	if err != nil && !strings.Contains(err.Error(), "switch unreachable") {
		t.Errorf("message %q hides the cause", err)
	}
	if _, err := NewServer(f, Options{}); err == nil {
		t.Error("NewServer over a failing backend succeeded")
	}
}
