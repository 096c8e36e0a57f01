//go:build linux

package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/regs"
	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/pipelines"
)

// controllerTimeout bounds the controller's connection and pipeline push.
const controllerTimeout = time.Minute

// Controller plays an SDN controller on one switch: primary by arbitration
// (election id 1:0), it sets the pipeline and writes state. Registers,
// which bmv2 does not take over P4Runtime, go over bmv2's Thrift API.
type Controller struct {
	Client *client.Client
	// Session is the primary's stream: packet-ins and digests arrive on it.
	Session *client.Session
	Info    *info.Info // the pipeline's P4Info, with the port rules given
	Thrift  *thrift.Client
}

// NewController connects to sw as primary and sets the program in folder
// dir (bmv2 JSON + P4Info, as pipelines.LoadDir reads it) with
// VERIFY_AND_COMMIT and the given cookie. Everything is closed when the
// test ends.
func NewController(t testing.TB, sw *Switch, dir string, cookie uint64, rules info.PortRules) *Controller {
	t.Helper()
	prog, err := pipelines.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if prog.JSON == nil {
		t.Fatalf("lab: %s holds no bmv2 JSON", dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), controllerTimeout)
	defer cancel()
	c, err := client.Dial(ctx, sw.Addr, client.DialOptions{DeviceID: sw.DeviceID, Insecure: true,
		ElectionID: &client.ElectionID{High: 1}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("lab: controller of %s: %v", sw, err)
	}
	t.Cleanup(func() { c.Close() })
	s, err := c.Arbitrate(ctx)
	if err != nil {
		t.Fatalf("lab: controller of %s: arbitration: %v", sw, err)
	}
	t.Cleanup(func() { s.Close() })
	if !s.IsPrimary() {
		t.Fatalf("lab: controller of %s is not primary", sw)
	}
	if err := c.SetPipeline(ctx, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, prog.P4Info, prog.JSON, cookie); err != nil {
		t.Fatalf("lab: setting %s on %s: %v", dir, sw, err)
	}
	in, err := info.New(prog.P4Info, info.WithPortRules(rules))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := thrift.Dial(ctx, sw.Thrift)
	if err != nil {
		t.Fatalf("lab: Thrift of %s: %v", sw, err)
	}
	t.Cleanup(func() { tc.Close() })
	return &Controller{Client: c, Session: s, Info: in, Thrift: tc}
}

// Populate writes a state kind by kind in dependency order (entity.Kinds):
// INSERT for what has a key of its own, MODIFY for default entries, value
// sets, meter, counter and register cells; register cells over Thrift. It returns how
// many entities of each kind were written, and fails on the first refusal,
// naming the entity.
func (c *Controller) Populate(ctx context.Context, state []*p4v1.Entity) (map[entity.Kind]int, error) {
	byKind := map[entity.Kind][]*p4v1.Entity{}
	for _, e := range state {
		k := entity.KindOf(e)
		byKind[k] = append(byKind[k], e)
	}
	written := map[entity.Kind]int{}
	regw := &regs.Writer{Thrift: c.Thrift, Info: c.Info}
	for _, k := range entity.Kinds() {
		es := byKind[k]
		if len(es) == 0 {
			continue
		}
		if k == entity.KindRegister { // bmv2: UNIMPLEMENTED over P4Runtime (PI issue 376)
			for _, e := range es {
				if err := regw.WriteRegister(ctx, e); err != nil {
					return written, fmt.Errorf("writing %s over Thrift: %w", entity.Describe(e, c.Info), err)
				}
			}
			written[k] = len(es)
			continue
		}
		typ := entity.WriteType(k)
		ups := make([]*p4v1.Update, len(es))
		for i, e := range es {
			ups[i] = &p4v1.Update{Type: typ, Entity: e}
		}
		if err := c.Client.Write(ctx, ups); err != nil {
			var we *client.WriteError
			if errors.As(err, &we) && len(we.Failures) > 0 {
				f := we.Failures[0]
				return written, fmt.Errorf("writing %s: %s refused (%d of %d refused): %w",
					k, entity.Describe(f.Update.Entity, c.Info), len(we.Failures), len(ups), f.Err)
			}
			return written, fmt.Errorf("writing %d %s entities: %w", len(ups), k, err)
		}
		written[k] = len(es)
	}
	return written, nil
}
