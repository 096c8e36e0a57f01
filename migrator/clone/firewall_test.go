package clone_test

import (
	"testing"
	"time"

	"github.com/lime-p4/lime/bmv2/regs"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/internal/fwdemo"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/clone"
	"github.com/lime-p4/lime/migrator/diff"
	"github.com/lime-p4/lime/migrator/snapshot"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/p4/translate"
)

// Issue 7: a stateful program whose register values decide forwarding,
// on switches answering like bmv2 (registers UNIMPLEMENTED over P4Runtime,
// so they travel over bmv2's Thrift API): the copy forwards like the
// original; a copy without the registers does not.
func TestCloneStatefulFirewallForwardsAlike(t *testing.T) {
	ctx := testCtx(t)
	rules := info.DefaultPortRules.Merge(info.PortRules{Names: []string{"MyIngress.ipv4_forward/port"}})
	start := func(id uint64, ports ...uint32) *simtest.Device {
		return simtest.Start(t, simtest.Options{Pipeline: fwdemo.Pipeline, Profile: p4rt.ProfileBMv2, DeviceID: id,
			Ports: fwdemo.PortSpecs(ports...), Rules: &rules})
	}
	thriftOf := func(d *simtest.Device) *thrift.Client {
		c, err := thrift.Dial(ctx, d.Thrift)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	src := start(1, 1, 2, 3, 4)
	ups, err := fwdemo.Entries(src.Info, []uint32{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Client.Write(ctx, ups); err != nil {
		t.Fatal(err)
	}
	srcNet, err := fwdemo.Attach(src.Sim)
	if err != nil {
		t.Fatal(err)
	}
	defer srcNet.Close()
	// Flows are opened from inside, port 40000 to port 80; segments from
	// outside travel back, 80 to 40000.
	expect := func(n *fwdemo.Net, from, to string, flags byte, want bool) {
		t.Helper()
		sport, dport := uint16(40000), uint16(80)
		if !fwdemo.HostByName(from).Internal {
			sport, dport = dport, sport
		}
		got, err := n.Send(ctx, from, to, sport, dport, flags, 300*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%s -> %s (flags %#x): delivered %v, want %v", from, to, flags, got, want)
		}
	}
	expect(srcNet, "h3", "h1", fwdemo.SYN|fwdemo.ACK, false) // unsolicited from outside
	expect(srcNet, "h1", "h3", fwdemo.SYN, true)             // opens the flow: sets the bloom filter
	expect(srcNet, "h3", "h1", fwdemo.SYN|fwdemo.ACK, true)  // the reply passes
	expect(srcNet, "h4", "h1", fwdemo.SYN, false)            // another outsider still blocked

	pm := translate.NewPortMap(map[uint64]uint64{1: 11, 2: 12, 3: 13, 4: 14})
	cloneTo := func(dst *simtest.Device, withRegisters bool) *clone.Result {
		tr, err := translate.New(src.Info, dst.Info, translate.WithPorts(pm))
		if err != nil {
			t.Fatal(err)
		}
		o := clone.Options{Translator: tr, Prescan: true}
		var srcReader snapshot.Reader = src.Client
		if withRegisters {
			srcReader = &regs.Reader{P4: src.Client, Thrift: thriftOf(src), Info: src.Info}
			o.TargetReader = &regs.Reader{P4: dst.Client, Thrift: thriftOf(dst), Info: dst.Info}
			o.TargetRegisters = &regs.Writer{Thrift: thriftOf(dst), Info: dst.Info}
		}
		res, err := clone.Run(ctx, srcReader, dst.Client, o)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	dst := start(2, 11, 12, 13, 14)
	res := cloneTo(dst, true)
	if !res.OK() {
		t.Fatalf("clone: %+v %v %v", res.Total(), res.Failures, res.Unreadable)
	}
	tr, _ := translate.New(src.Info, dst.Info, translate.WithPorts(pm))
	rep, err := diff.Run(ctx, &regs.Reader{P4: src.Client, Thrift: thriftOf(src), Info: src.Info},
		&regs.Reader{P4: dst.Client, Thrift: thriftOf(dst), Info: dst.Info}, diff.Options{Translator: tr})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Equal() || rep.Total().VolatileDifferent != 0 {
		t.Fatalf("diff after clone: %+v %v %v", rep.Total(), rep.Different, rep.VolatileDifferent)
	}
	dstNet, err := fwdemo.Attach(dst.Sim)
	if err != nil {
		t.Fatal(err)
	}
	defer dstNet.Close()
	expect(dstNet, "h3", "h1", fwdemo.ACK, true) // the flow opened on the source passes on the copy
	expect(dstNet, "h4", "h1", fwdemo.SYN, false)
	expect(dstNet, "h2", "h4", fwdemo.SYN, true)

	// Without the registers, the copy drops the established flow.
	bare := start(3, 11, 12, 13, 14)
	res = cloneTo(bare, false)
	if res.OK() || len(res.Unreadable) == 0 {
		t.Fatalf("a clone without Thrift should report registers unreadable: %+v", res.Unreadable)
	}
	bareNet, err := fwdemo.Attach(bare.Sim)
	if err != nil {
		t.Fatal(err)
	}
	defer bareNet.Close()
	expect(bareNet, "h3", "h1", fwdemo.ACK, false)
}
