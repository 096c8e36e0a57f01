package bmv2ports

import (
	"strings"
	"testing"

	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/gnmi"
)

// TestOper: oper-status is UP only when the link is operationally up (the
// kernel's RFC 2863 operstate, OpenConfig's values) and bmv2 lists the port
// attached with is_up (bmv2's BMI port manager sets is_up from the
// interface's /sys/class/net/IFACE/operstate).
func TestOper(t *testing.T) {
	up := &gnmi.PortState{Oper: gnmi.OperUp}
	for _, tc := range []struct {
		name  string
		link  *gnmi.PortState
		known bool
		a     attachment
		want  gnmi.OperStatus
	}{
		{"both up", up, true, attachment{attached: true, up: true}, gnmi.OperUp},
		{"interface missing", nil, true, attachment{attached: true, up: true}, gnmi.OperNotPresent},
		{"no carrier", &gnmi.PortState{Oper: gnmi.OperLowerLayerDown}, true, attachment{attached: true, up: true}, gnmi.OperLowerLayerDown},
		{"link down", &gnmi.PortState{Oper: gnmi.OperDown}, true, attachment{}, gnmi.OperDown},
		{"bmv2 unreachable", up, false, attachment{}, gnmi.OperUnknown},
		{"link down, bmv2 unreachable", &gnmi.PortState{Oper: gnmi.OperDown}, false, attachment{}, gnmi.OperDown},
		{"not attached", up, true, attachment{}, gnmi.OperDown},
		{"attached, bmv2 says down", up, true, attachment{attached: true}, gnmi.OperDown},
		{"attached elsewhere", up, true, attachment{conflict: "x"}, gnmi.OperDown},
	} {
		if got := oper(tc.link, tc.known, tc.a); got != tc.want {
			t.Errorf("%s: oper = %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestViewOf: bm_dev_mgr_show_ports lists (port_num, iface_name, is_up);
// a served port is attached only with both its number and its interface;
// bmv2 refuses to attach a number or an interface twice, so either held
// elsewhere is a conflict.
func TestViewOf(t *testing.T) {
	ports := []Port{{Name: "a", ID: 1, Iface: "p1"}, {Name: "b", ID: 2, Iface: "p2"}, {Name: "c", ID: 3, Iface: "p3"}, {Name: "d", ID: 4, Iface: "p4"}}
	v := viewOf(ports, []thrift.PortInfo{
		{Port: 1, Iface: "p1", IsUp: true},
		{Port: 2, Iface: "p2", IsUp: false},
		{Port: 3, Iface: "x3", IsUp: true},
		{Port: 9, Iface: "p4", IsUp: true},
	})
	for _, tc := range []struct {
		name     string
		attached bool
		up       bool
		conflict string
	}{
		{"a", true, true, ""},
		{"b", true, false, ""},
		{"c", false, false, `port 3 attached to interface "x3"`},
		{"d", false, false, `interface "p4" attached as port 9`},
	} {
		a := v.ports[tc.name]
		if a.attached != tc.attached || a.up != tc.up || (tc.conflict == "") != (a.conflict == "") || !strings.Contains(a.conflict, tc.conflict) {
			t.Errorf("%s: %+v, want attached %v up %v conflict containing %q", tc.name, a, tc.attached, tc.up, tc.conflict)
		}
	}
	if !v.known || v.equal(unknownView()) || !v.equal(viewOf(ports, []thrift.PortInfo{
		{Port: 9, Iface: "p4", IsUp: true}, {Port: 3, Iface: "x3", IsUp: true},
		{Port: 2, Iface: "p2"}, {Port: 1, Iface: "p1", IsUp: true},
	})) {
		t.Error("views of the same port list in another order differ, or a known view equals the unknown one")
	}
}

// TestValidatePorts: configuration mistakes are refused before anything is
// opened, naming the port.
func TestValidatePorts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ports []Port
		want  string // in the error; "" for valid
	}{
		{"valid", []Port{{Name: "h1", ID: 1, Iface: "p1"}, {Name: "h2", ID: 2, Iface: "p1", Namespace: "/var/run/netns/x"}}, ""},
		{"port 0 and the largest i32", []Port{{Name: "a", ID: 0, Iface: "p0"}, {Name: "b", ID: 1<<31 - 1, Iface: "p1"}}, ""},
		{"none", nil, "no ports"},
		{"empty name", []Port{{ID: 1, Iface: "p1"}}, "empty name"},
		{"empty interface", []Port{{Name: "h1", ID: 1}}, `port "h1": empty interface name`},
		{"long interface", []Port{{Name: "h1", ID: 1, Iface: "abcdefghijklmnop"}}, "longer than 15"},
		{"slash", []Port{{Name: "h1", ID: 1, Iface: "a/b"}}, "'/'"},
		{"dot", []Port{{Name: "h1", ID: 1, Iface: "."}}, "not allowed"},
		{"id beyond i32", []Port{{Name: "h1", ID: 1 << 31, Iface: "p1"}}, "does not fit"},
		{"duplicate name", []Port{{Name: "h1", ID: 1, Iface: "p1"}, {Name: "h1", ID: 2, Iface: "p2"}}, `name "h1" given twice`},
		{"duplicate id", []Port{{Name: "h1", ID: 1, Iface: "p1"}, {Name: "h2", ID: 1, Iface: "p2"}}, "port id 1 given twice"},
		{"duplicate interface", []Port{{Name: "h1", ID: 1, Iface: "p1"}, {Name: "h2", ID: 2, Iface: "p1"}}, `interface "p1" in the agent's network namespace given twice`},
	} {
		err := ValidatePorts(tc.ports)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// TestStepErrorText: the message names the port, id, interface and step,
// then what was undone.
func TestStepErrorText(t *testing.T) {
	e := &StepError{Port: Port{Name: "h1", ID: 1, Iface: "p1"}, Enable: true, Step: StepAddPort,
		Err: thrift.DevMgrFailed, Undone: []Step{StepLinkUp}}
	want := `bmv2ports: enable port "h1" (id 1, interface p1): bm_dev_mgr_add_port: InvalidDevMgrOperation ERROR; undone: set link up`
	if e.Error() != want {
		t.Errorf("Error() = %q\nwant %q", e.Error(), want)
	}
}
