package netdemo

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/bmv2/sim/topo"
	"github.com/lime-p4/lime/migrator/plan"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/pipelines"
)

var update = flag.Bool("update", false, "write examples/network again")

// exampleDir is the README's network walkthrough: the scenario on `lime
// sim`, at fixed loopback addresses.
const exampleDir = "../../examples/network"

// exampleTargets are the walkthrough's switches: s1..s3 on 50001..50003,
// t1..t3 on 50011..50013, Thrift on 9091.. and 9101...
func exampleTargets() (old, new map[int]Target) {
	old, new = map[int]Target{}, map[int]Target{}
	for s := 1; s <= Switches; s++ {
		a := fmt.Sprintf("127.0.0.1:%d", 50000+s)
		old[s] = Target{Addr: a, DeviceID: uint64(s), GNMI: a, Thrift: fmt.Sprintf("127.0.0.1:%d", 9090+s)}
		b := fmt.Sprintf("127.0.0.1:%d", 50010+s)
		new[s] = Target{Addr: b, DeviceID: uint64(s + NewOffset), GNMI: b, Thrift: fmt.Sprintf("127.0.0.1:%d", 9100+s)}
	}
	return old, new
}

// exampleFiles are the walkthrough's files, by name.
func exampleFiles(t *testing.T) map[string][]byte {
	old, new := exampleTargets()
	files := map[string][]byte{
		"plan.yaml":     []byte(PlanFile(old, new, "../../pipelines/lime_router", Groups)),
		"topology.yaml": []byte(exampleTopology(old, new)),
	}
	prog, err := pipelines.Get(pipelines.LimeRouter)
	if err != nil {
		t.Fatal(err)
	}
	in, err := info.New(prog.P4Info, info.WithPortRules(PortRules))
	if err != nil {
		t.Fatal(err)
	}
	for s := 1; s <= Switches; s++ {
		ents, err := Entries(in, s)
		if err != nil {
			t.Fatal(err)
		}
		req := &p4v1.WriteRequest{}
		for _, e := range ents {
			req.Updates = append(req.Updates, &p4v1.Update{Type: p4v1.Update_INSERT, Entity: e})
		}
		b, err := prototext.MarshalOptions{Multiline: true}.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		head := fmt.Sprintf("# The controller's entries for s%d (lime_router): a /32 route per host, and the guards of the hosts it guards.\n", s)
		files[fmt.Sprintf("s%d.txtpb", s)] = append([]byte(head), b...)
	}
	return files
}

// exampleTopology is the six switches for lime sim --topology.
func exampleTopology(old, new map[int]Target) string {
	var b strings.Builder
	b.WriteString("# The network of lime's demo for lime sim --topology: s1 -- s2 -- s3 and, beside them, t1 -- t2 -- t3\n")
	b.WriteString("# (ports +10), each joined to its old switch by a trunk. No pipelines: a controller sets the old\n")
	b.WriteString("# switches' (lime write), the plan the new ones'.\n")
	b.WriteString("profile: bmv2\npipeline: none\ndevices:\n")
	dev := func(name string, t Target, ports []uint32) {
		fmt.Fprintf(&b, "  - name: %s\n    device_id: %d\n    p4runtime: %s\n    thrift: %s\n    ports:\n", name, t.DeviceID, t.Addr, t.Thrift)
		for _, p := range ports {
			fmt.Fprintf(&b, "      - {name: %s, id: %d}\n", portName(p), p)
		}
	}
	for s := 1; s <= Switches; s++ {
		dev(fmt.Sprintf("s%d", s), old[s], oldPorts(s))
	}
	for s := 1; s <= Switches; s++ {
		var np []uint32
		for _, p := range oldPorts(s) {
			np = append(np, p+NewOffset)
		}
		dev(fmt.Sprintf("t%d", s), new[s], np)
	}
	b.WriteString("links:\n")
	for _, l := range Links {
		fmt.Fprintf(&b, "  - [s%d:%s, s%d:%s]\n", l.A.Switch, portName(l.A.Port), l.B.Switch, portName(l.B.Port))
		fmt.Fprintf(&b, "  - [t%d:%s, t%d:%s]\n", l.A.Switch, portName(l.A.Port+NewOffset), l.B.Switch, portName(l.B.Port+NewOffset))
	}
	for s := 1; s <= Switches; s++ {
		fmt.Fprintf(&b, "  - [s%d:trunk, t%d:trunk]\n", s, s)
	}
	return b.String()
}

// The README's network walkthrough (examples/network) is the demo's
// scenario: its topology loads, its plan is valid, its entries are the
// controller's. go test -run TestNetworkExample -update writes it again.
func TestNetworkExample(t *testing.T) {
	files := exampleFiles(t)
	for name, want := range files {
		path := filepath.Join(exampleDir, name)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test -run TestNetworkExample -update writes it)", err)
		}
		same := bytes.Equal(got, want)
		if strings.HasSuffix(name, ".txtpb") { // prototext's spacing varies between builds
			a, b := &p4v1.WriteRequest{}, &p4v1.WriteRequest{}
			same = prototext.Unmarshal(got, a) == nil && prototext.Unmarshal(want, b) == nil && proto.Equal(a, b)
		}
		if !same {
			t.Errorf("%s is not what the scenario gives (go test -run TestNetworkExample -update writes it again)", path)
		}
	}
	if _, err := topo.Load(filepath.Join(exampleDir, "topology.yaml")); err != nil {
		t.Fatal(err)
	}
	p, err := plan.Load(filepath.Join(exampleDir, "plan.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Devices) != Switches || len(p.Groups) != len(Groups) {
		t.Fatalf("the example plan has %d devices and %d groups", len(p.Devices), len(p.Groups))
	}
	if _, err := pipelines.LoadDir(p.Devices[0].Pipeline); err != nil {
		t.Fatalf("the example plan's pipeline: %v", err)
	}
}
