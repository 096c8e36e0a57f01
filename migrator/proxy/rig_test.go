package proxy_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/grpc"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/internal/proxytest"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/migrator/proxy"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/p4/translate"
)

// vid is the device id controllers use for the virtual device; the
// physical devices are 1 (source) and 2 (target).
const vid = 7

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// rig is a proxy standing for virtual device vid, backed by a simulated
// source, with a simulated target running another compilation of the same
// program (renumbered P4Info) for a mirror.
type rig struct {
	t          *testing.T
	src, dst   *simtest.Device
	p          *proxy.Proxy
	dev        *proxy.Device
	addr       string
	srcB, dstB *proxy.Backend
	repairs    chan proxy.Repair
}

type rigOptions struct {
	profile  p4rt.Profile
	srcPorts []sim.PortSpec // whole switches with these ports (else P4Runtime cores)
	dstPorts []sim.PortSpec
	opts     proxy.Options
	// editTarget changes the target's (renumbered) P4Info.
	editTarget func(*p4configv1.P4Info)
	// rules say which values are ports (default info.DefaultPortRules).
	rules *info.PortRules
	// dial are added to the gRPC dial options of the backends: the source
	// (s1), then the target (s2).
	dial func(name string) []grpc.DialOption
}

func newRig(t *testing.T, pipeline string, o rigOptions) *rig {
	t.Helper()
	src := simtest.Start(t, simtest.Options{Pipeline: pipeline, Profile: o.profile, DeviceID: 1, Cookie: 0xc0ffee, Ports: o.srcPorts, Rules: o.rules})
	q := p4test.Renumber(src.Info.Proto, 0x00a5a5a5)
	if o.editTarget != nil {
		o.editTarget(q)
	}
	dst := simtest.Start(t, simtest.Options{Pipeline: pipeline, Profile: o.profile, DeviceID: 2, Cookie: 0xc0ffee, Ports: o.dstPorts, P4Info: q, Rules: o.rules})
	r := &rig{t: t, src: src, dst: dst, repairs: make(chan proxy.Repair, 1024)}
	rules := info.DefaultPortRules
	if o.rules != nil {
		rules = *o.rules
	}
	dial := func(name string) []grpc.DialOption {
		if o.dial == nil {
			return nil
		}
		return o.dial(name)
	}
	r.srcB, r.dstB = proxytest.Backend(t, src, "s1", rules, dial("s1")...), proxytest.Backend(t, dst, "s2", rules, dial("s2")...)
	opts := o.opts
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	opts.OnRepair = func(_ uint64, rep proxy.Repair) {
		select {
		case r.repairs <- rep:
		default:
		}
	}
	r.p = proxy.New(opts)
	var err error
	if r.dev, err = r.p.AddDevice(vid, r.srcB); err != nil {
		t.Fatal(err)
	}
	r.addr = proxytest.Serve(t, r.p)
	return r
}

// controller connects a controller to the proxy as device vid with
// election id eid, and arbitrates.
func (r *rig) controller(eid uint64) (*client.Client, *client.Session) {
	r.t.Helper()
	return proxytest.Controller(r.t, r.addr, vid, eid)
}

// translator is the virtual device's (the source's) translation onto the
// target.
func (r *rig) translator() *translate.Translator {
	r.t.Helper()
	tr, err := translate.New(r.src.Info, r.dst.Info, translate.WithPorts(simtest.ShiftedPorts()))
	if err != nil {
		r.t.Fatal(err)
	}
	return tr
}

func tableEntity(te *p4v1.TableEntry) *p4v1.Entity {
	return &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: te}}
}
