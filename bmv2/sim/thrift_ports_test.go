package sim_test

import (
	"testing"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/netns"
)

// TestThriftDevMgrPorts: bm_dev_mgr_add_port attaches a Linux interface as
// a new port (which gNMI then serves), bm_dev_mgr_show_ports lists it, and
// bm_dev_mgr_remove_port takes it away (bmv2's standard.thrift device
// manager calls).
func TestThriftDevMgrPorts(t *testing.T) {
	if err := netns.Check(); err != nil {
		t.Skipf("network namespaces and veth pairs cannot be made here: %v", err)
	}
	h := netns.New(t)
	_, sw := netns.Veth(t, netns.End{NS: h, Name: "eth0"}, netns.End{})
	r := newRig(t, "onos-basic", p4rt.ProfileBMv2, 255, sim.PortSpec{Name: "eth1", ID: 1})
	c := r.thriftClient()
	if err := c.DevMgrAddPort(ctx(t), sw.Name, 5, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.DevMgrAddPort(ctx(t), "other", 5, ""); err == nil {
		t.Error("a second port 5 was accepted")
	}
	ports, err := c.DevMgrShowPorts(ctx(t))
	if err != nil || len(ports) != 2 || ports[1].Port != 5 || ports[1].Iface != sw.Name {
		t.Fatalf("ports %+v, %v", ports, err)
	}
	if p := r.dev.Port(sw.Name); p == nil || p.ID() != 5 || !p.Attached() {
		t.Errorf("device port for %s: %v", sw.Name, p)
	}
	if err := c.DevMgrRemovePort(ctx(t), 5); err != nil {
		t.Fatal(err)
	}
	if ports, _ := c.DevMgrShowPorts(ctx(t)); len(ports) != 1 {
		t.Errorf("after remove: %+v", ports)
	}
	if err := c.DevMgrRemovePort(ctx(t), 5); err == nil {
		t.Error("removing a missing port succeeded")
	}
}
