// Package netdemo is the network migration scenario that `lime demo` and
// the end-to-end tests play (DESIGN.md, "Migration of a network"): three
// switches in a line, s1 -- s2 -- s3, two hosts on each, all running
// lime_router; h21 is guarded by s2's stateful firewall (registers decide
// what reaches it). The network moves onto three new switches t1..t3, cabled
// the same way (their ports are the old ones + 10), each joined to its old
// switch by a trunk (port 9 on the old, 19 on the new). Every host has a
// link to its old switch and one to its new switch, and uses the one that
// came up last while it is up, as an active-backup bond that takes a new
// link at once does: a host moves make before break.
//
// The package says what the network is (ports, hosts, routes, the plan
// file), builds it on the simulator (Sim), plays its traffic with sequence
// numbers and counts what is lost (Traffic), and plays its controller the
// way ONOS does (Controller).
package netdemo

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/pipelines"
)

// Switches is how many old (and new) switches the network has.
const Switches = 3

// Ports of an old switch; a new switch's are these + NewOffset.
const (
	NewOffset  = 10
	TrunkPort  = 9  // on an old switch, to its new switch
	TrunkNew   = 19 // on a new switch, to its old switch
	firstLinks = 3  // link ports start here
)

// HostPorts are the host ports of every old switch.
var HostPorts = []uint32{1, 2}

// Host is one end system.
type Host struct {
	Name    string
	Switch  int    // 1..Switches: the old switch it hangs on
	Port    uint32 // its port there (HostPorts)
	MAC     net.HardwareAddr
	IP      netip.Addr
	UDPPort uint16 // the port it sends from and listens on
	Guarded bool   // behind the firewall of its switch
}

// Index is the host's place in Hosts.
func (h Host) Index() int { return (h.Switch-1)*len(HostPorts) + int(h.Port) - 1 }

// Hosts are h11, h12 (on s1), h21, h22 (s2), h31, h32 (s3); h21 is guarded.
var Hosts = func() []Host {
	var out []Host
	for s := 1; s <= Switches; s++ {
		for _, p := range HostPorts {
			n := byte(10*s) + byte(p)
			out = append(out, Host{Name: fmt.Sprintf("h%d%d", s, p), Switch: s, Port: p,
				MAC: net.HardwareAddr{0x02, 0, 0, 0, byte(s), byte(p)}, IP: netip.AddrFrom4([4]byte{10, 0, 0, n}),
				UDPPort: 5000 + uint16(n), Guarded: s == 2 && p == 1})
		}
	}
	return out
}()

// HostByName returns a host of Hosts, or nil.
func HostByName(name string) *Host {
	for i := range Hosts {
		if Hosts[i].Name == name {
			return &Hosts[i]
		}
	}
	return nil
}

// Link joins port A.Port of old switch A.Switch to port B.Port of old
// switch B.Switch (the new switches: the same + NewOffset).
type Link struct{ A, B End }

// End is one end of a link.
type End struct {
	Switch int
	Port   uint32
}

// Links are the line s1:3 -- s2:3, s2:4 -- s3:3.
var Links = []Link{{End{1, 3}, End{2, 3}}, {End{2, 4}, End{3, 3}}}

// LinkPorts are old switch s's link ports, with the switch at the other
// end.
func LinkPorts(s int) map[uint32]End {
	out := map[uint32]End{}
	for _, l := range Links {
		if l.A.Switch == s {
			out[l.A.Port] = l.B
		}
		if l.B.Switch == s {
			out[l.B.Port] = l.A
		}
	}
	return out
}

// NextHop is old switch s's port towards host h: its own port when h hangs
// on s, else the link towards h's switch (the network is a line).
func NextHop(s int, h Host) uint32 {
	if h.Switch == s {
		return h.Port
	}
	for p, e := range LinkPorts(s) {
		if (h.Switch > s) == (e.Switch > s) {
			return p
		}
	}
	panic(fmt.Sprintf("netdemo: no way from s%d to %s", s, h.Name))
}

// PortRules say which lime_router values are ports: its forward action's
// port, besides the standard metadata.
var PortRules = info.DefaultPortRules.Merge(info.PortRules{Names: pipelines.RouterPortFields})

// Entries are the controller's state for old switch s (the virtual
// device's ports): a /32 route per host, and the guards of the hosts s
// guards.
func Entries(in *info.Info, s int) ([]*p4v1.Entity, error) {
	routes := in.TableByName(pipelines.RouterRoutes)
	fwd := in.ActionByName(pipelines.RouterForward)
	gin, gout := in.TableByName(pipelines.RouterGuardIn), in.TableByName(pipelines.RouterGuardOut)
	ain, aout := in.ActionByName(pipelines.RouterGuardedIn), in.ActionByName(pipelines.RouterGuardedOut)
	if routes == nil || fwd == nil || gin == nil || gout == nil || ain == nil || aout == nil {
		return nil, fmt.Errorf("netdemo: the P4Info is not lime_router's")
	}
	var out []*p4v1.Entity
	for _, h := range Hosts {
		out = append(out, Route(in, h.IP, 32, h.MAC, NextHop(s, h)))
		if h.Guarded && h.Switch == s {
			for _, g := range []struct {
				t *info.Table
				a *info.Action
			}{{gin, ain}, {gout, aout}} {
				out = append(out, &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: g.t.ID,
					Match: []*p4v1.FieldMatch{{FieldId: g.t.Fields[0].ID, FieldMatchType: &p4v1.FieldMatch_Exact_{
						Exact: &p4v1.FieldMatch_Exact{Value: canon.FromUint64(uint64(h.Port))}}}},
					Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: g.a.ID}}}}}})
			}
		}
	}
	return out, nil
}

// Route is the routes entry that sends prefix/length to port, the next hop
// being dmac.
func Route(in *info.Info, prefix netip.Addr, length int32, dmac net.HardwareAddr, port uint32) *p4v1.Entity {
	routes := in.TableByName(pipelines.RouterRoutes)
	fwd := in.ActionByName(pipelines.RouterForward)
	ip := prefix.As4()
	return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: routes.ID,
		Match: []*p4v1.FieldMatch{{FieldId: routes.Fields[0].ID, FieldMatchType: &p4v1.FieldMatch_Lpm{
			Lpm: &p4v1.FieldMatch_LPM{Value: canon.Canonical(ip[:]), PrefixLen: length}}}},
		Action: &p4v1.TableAction{Type: &p4v1.TableAction_Action{Action: &p4v1.Action{ActionId: fwd.ID, Params: []*p4v1.Action_Param{
			{ParamId: fwd.ParamByName("dmac").ID, Value: canon.Canonical(dmac)},
			{ParamId: fwd.ParamByName("port").ID, Value: canon.FromUint64(uint64(port))}}}}}}}}
}

// Target reaches one switch: its P4Runtime (and gNMI) and Thrift.
type Target struct {
	Addr     string
	DeviceID uint64
	GNMI     string
	Thrift   string
}

// PlanFile is the plan that moves the old switches onto the new ones: old
// and new are by switch (1..Switches); pipeline is the folder of the new
// switches' compilation of lime_router; groups are the host groups by host
// name, in order.
func PlanFile(old, new map[int]Target, pipeline string, groups [][]string) string {
	var b strings.Builder
	b.WriteString("# Move s1..s3 and their hosts onto t1..t3 (lime migrate --plan).\n")
	b.WriteString("devices:\n")
	for s := 1; s <= Switches; s++ {
		o, n := old[s], new[s]
		fmt.Fprintf(&b, "  - vid: %d\n", s)
		fmt.Fprintf(&b, "    to: {addr: %q, device_id: %d, gnmi: %q, thrift: %q}\n", n.Addr, n.DeviceID, n.GNMI, n.Thrift)
		fmt.Fprintf(&b, "    from: {gnmi: %q, thrift: %q}\n", o.GNMI, o.Thrift)
		if pipeline != "" {
			fmt.Fprintf(&b, "    pipeline: %q\n", pipeline)
		}
		var ports, hosts, links []string
		for _, p := range HostPorts {
			ports = append(ports, fmt.Sprintf("%d: %d", p, p+NewOffset))
			hosts = append(hosts, fmt.Sprint(p))
		}
		lp := LinkPorts(s)
		for p := uint32(firstLinks); p < firstLinks+uint32(len(lp)); p++ {
			e := lp[p]
			ports = append(ports, fmt.Sprintf("%d: %d", p, p+NewOffset))
			links = append(links, fmt.Sprintf("%d: \"%d:%d\"", p, e.Switch, e.Port))
		}
		fmt.Fprintf(&b, "    ports: {%s}\n", strings.Join(ports, ", "))
		fmt.Fprintf(&b, "    hosts: [%s]\n", strings.Join(hosts, ", "))
		fmt.Fprintf(&b, "    links: {%s}\n", strings.Join(links, ", "))
		fmt.Fprintf(&b, "    trunk: \"%d=%d\"\n", TrunkPort, TrunkNew)
	}
	if len(groups) > 0 {
		b.WriteString("groups:\n")
		for _, g := range groups {
			var refs []string
			for _, name := range g {
				h := HostByName(name)
				refs = append(refs, fmt.Sprintf("%q", fmt.Sprintf("%d:%d", h.Switch, h.Port)))
			}
			fmt.Fprintf(&b, "  - [%s]   # %s\n", strings.Join(refs, ", "), strings.Join(g, " "))
		}
	}
	return b.String()
}

// Groups are the scenario's host groups: the two tiers of an application
// that span the switches, then the rest.
var Groups = [][]string{{"h11", "h31"}, {"h21", "h22"}, {"h12", "h32"}}
