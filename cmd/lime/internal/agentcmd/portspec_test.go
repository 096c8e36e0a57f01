package agentcmd

import (
	"strings"
	"testing"

	"github.com/lime-p4/lime/gnmi/bmv2ports"
)

// TestParsePort: --port is NAME=ID@IFACE or ID@IFACE, as simple_switch's
// own -i ID@IFACE with an optional OpenConfig name in front; the id is a
// bmv2 port number, an i32 on bmv2's Thrift API.
func TestParsePort(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want bmv2ports.Port
		err  string
	}{
		{spec: "h1=1@veth0", want: bmv2ports.Port{Name: "h1", ID: 1, Iface: "veth0"}},
		{spec: "2@veth2", want: bmv2ports.Port{Name: "veth2", ID: 2, Iface: "veth2"}},
		{spec: "0@p0", want: bmv2ports.Port{Name: "p0", ID: 0, Iface: "p0"}},
		{spec: "2147483647@p9", want: bmv2ports.Port{Name: "p9", ID: 2147483647, Iface: "p9"}},
		{spec: "3@a=b", want: bmv2ports.Port{Name: "a=b", ID: 3, Iface: "a=b"}},
		{spec: "eth1/1=4@s1-eth1", want: bmv2ports.Port{Name: "eth1/1", ID: 4, Iface: "s1-eth1"}},
		{spec: "veth0", err: "no '@'"},
		{spec: "h1=veth0", err: "no '@'"},
		{spec: "=1@veth0", err: "empty name"},
		{spec: "1@", err: "no interface"},
		{spec: "x@veth0", err: `port id "x" is not a number`},
		{spec: "-1@veth0", err: `port id "-1"`},
		{spec: "2147483648@veth0", err: `port id "2147483648"`},
		{spec: "h1=@veth0", err: `port id ""`},
	} {
		got, err := parsePort(tc.spec)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("parsePort(%q): %v", tc.spec, err)
		case tc.err == "" && got != tc.want:
			t.Errorf("parsePort(%q) = %+v, want %+v", tc.spec, got, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("parsePort(%q) error %v, want one containing %q", tc.spec, err, tc.err)
		}
	}
}

// TestParsePorts: a name, id or interface given twice is refused naming
// both flags; the interface names are checked as the kernel would.
func TestParsePorts(t *testing.T) {
	for _, tc := range []struct {
		specs []string
		err   string
	}{
		{specs: []string{"h1=1@p1", "h2=2@p2", "3@p3"}},
		{specs: nil, err: "no --port given"},
		{specs: []string{"1@p1", "1@p2"}, err: `--port "1@p2": port id 1 already given by --port "1@p1"`},
		{specs: []string{"h=1@p1", "h=2@p2"}, err: `name "h" already given by --port "h=1@p1"`},
		{specs: []string{"a=1@p1", "b=2@p1"}, err: `interface "p1" already given by --port "a=1@p1"`},
		{specs: []string{"1@this-name-is-too-long"}, err: "longer than 15 bytes"},
	} {
		ports, err := parsePorts(tc.specs, "/var/run/netns/x")
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("parsePorts(%q): %v", tc.specs, err)
		case tc.err == "" && (len(ports) != len(tc.specs) || ports[0].Namespace != "/var/run/netns/x"):
			t.Errorf("parsePorts(%q) = %+v", tc.specs, ports)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("parsePorts(%q) error %v, want one containing %q", tc.specs, err, tc.err)
		}
	}
}
