package netdemo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	spb "github.com/openconfig/gnoi/system"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/pipelines"
)

// Controller plays an SDN controller on the virtual devices of a lime
// proxy the way ONOS's P4Runtime driver does: primary on each device (it
// reconnects and arbitrates again when the proxy restarts), it probes
// whether the device is reachable with gNOI's System.Time as ONOS's
// Stratum drivers do (at every connection and poll), it probes the
// cookie (COOKIE_ONLY) and pushes the pipeline with VERIFY_AND_COMMIT and a
// cookie only when the cookie differs, writes the network's entries, and,
// while Churn runs, modifies entries by DELETE then INSERT, inserts and
// deletes others, and polls the routes with their counters. It keeps what
// it wrote, to check that every device reads back exactly that.
type Controller struct {
	addr   string
	prog   *pipelines.Program
	cookie uint64
	in     *info.Info
	log    *slog.Logger

	mu   sync.Mutex
	devs map[int]*ctlDevice
	// Writes counts the updates the proxy answered OK.
	Writes int
	// Reconnects are why the controller connected again (the proxy went
	// away under a request).
	Reconnects []string
	// Reinstalls are the times the controller found a device without its
	// pipeline (the switch restarted) and set it up again.
	Reinstalls []string
}

type ctlDevice struct {
	vid   int
	c     *client.Client
	s     *client.Session
	model map[entity.Key]*p4v1.Entity // what it wrote and did not delete
	// unsure are keys whose last write's outcome is unknown (the proxy
	// went away under it): the next poll reads them to learn it.
	unsure   map[entity.Key]*p4v1.Entity
	counters map[entity.Key]int64 // last packet count of each host route
	decoy    int
	// ops are the writes of each key, for telling what went wrong.
	ops map[entity.Key][]string
}

// ControllerElectionID is the controller's election id towards the proxy.
var ControllerElectionID = client.ElectionID{Low: 1}

// NewController connects to the proxy at addr as every old switch's
// virtual device (1..Switches) and sets prog there, as ONOS does.
func NewController(ctx context.Context, addr string, prog *pipelines.Program, cookie uint64, log *slog.Logger) (*Controller, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	in, err := info.New(prog.P4Info, info.WithPortRules(PortRules))
	if err != nil {
		return nil, err
	}
	c := &Controller{addr: addr, prog: prog, cookie: cookie, in: in, log: log, devs: map[int]*ctlDevice{}}
	for s := 1; s <= Switches; s++ {
		d := &ctlDevice{vid: s, model: map[entity.Key]*p4v1.Entity{}, unsure: map[entity.Key]*p4v1.Entity{}, counters: map[entity.Key]int64{},
			ops: map[entity.Key][]string{}}
		c.devs[s] = d
		if err := c.connect(ctx, d); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// Info is the program's P4Info as the controller indexes it.
func (c *Controller) Info() *info.Info { return c.in }

// connect (again) to d's device: arbitration, then the cookie probe and,
// when the cookie differs, the pipeline.
func (c *Controller) connect(ctx context.Context, d *ctlDevice) error {
	if d.c != nil {
		// Its election id is taken again: the old session goes first. The
		// closed client stays until a new one replaces it (its calls fail).
		d.s.Close()
		d.c.Close()
	}
	eid := ControllerElectionID
	cl, err := client.Dial(ctx, c.addr, client.DialOptions{DeviceID: uint64(d.vid), ElectionID: &eid, Insecure: true, Logger: c.log})
	if err != nil {
		return fmt.Errorf("controller: device %d: %w", d.vid, err)
	}
	s, err := cl.Arbitrate(ctx)
	if err != nil {
		cl.Close()
		return fmt.Errorf("controller: device %d: arbitration: %w", d.vid, err)
	}
	if !s.IsPrimary() {
		s.Close()
		cl.Close()
		return fmt.Errorf("controller: device %d: not primary", d.vid)
	}
	d.c, d.s = cl, s
	if err := probe(ctx, d); err != nil {
		return err
	}
	cfg, err := cl.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_COOKIE_ONLY)
	if err != nil && status.Code(err) != codes.FailedPrecondition {
		return fmt.Errorf("controller: device %d: cookie: %w", d.vid, err)
	}
	if err == nil && cfg.GetCookie().GetCookie() == c.cookie {
		return nil
	}
	if err := cl.SetPipeline(ctx, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, c.prog.P4Info, c.prog.JSON, c.cookie); err != nil {
		return fmt.Errorf("controller: device %d: pipeline: %w", d.vid, err)
	}
	return c.reinstall(ctx, d)
}

// reinstall writes again what the controller holds on d, after it set the
// pipeline of a device that had lost it (a switch that restarted), as
// ONOS's flow-rule reconciliation does; the device's counters start from
// zero again.
func (c *Controller) reinstall(ctx context.Context, d *ctlDevice) error {
	if len(d.model) == 0 {
		return nil // the first connection: Install writes
	}
	clear(d.unsure) // whatever became of them, the model is what it wants
	var ups []*p4v1.Update
	for _, e := range d.model {
		ups = append(ups, &p4v1.Update{Type: p4v1.Update_INSERT, Entity: e})
	}
	if err := d.c.Write(ctx, ups); err != nil {
		return fmt.Errorf("controller: device %d: installing again what it holds: %w", d.vid, err)
	}
	for k := range d.counters {
		d.counters[k] = 0
	}
	c.mu.Lock()
	c.Writes += len(ups)
	c.Reinstalls = append(c.Reinstalls, fmt.Sprintf("%s device %d: %d entries", time.Now().Format("15:04:05.000"), d.vid, len(ups)))
	c.mu.Unlock()
	return nil
}

// Install writes the network's entries on every device.
func (c *Controller) Install(ctx context.Context) error {
	for s := 1; s <= Switches; s++ {
		ents, err := Entries(c.in, s)
		if err != nil {
			return err
		}
		d := c.devs[s]
		var ups []*p4v1.Update
		for _, e := range ents {
			ups = append(ups, &p4v1.Update{Type: p4v1.Update_INSERT, Entity: e})
		}
		if err := d.c.Write(ctx, ups); err != nil {
			return fmt.Errorf("controller: device %d: %w", s, err)
		}
		for _, e := range ents {
			k := entity.MustOf(e)
			d.model[k] = e
			if e.GetTableEntry().GetTableId() == c.in.TableByName(pipelines.RouterRoutes).ID {
				d.counters[k] = 0
			}
		}
		c.mu.Lock()
		c.Writes += len(ups)
		c.mu.Unlock()
	}
	return nil
}

// decoyPrefix is the address of decoy route i of device vid: addresses no
// host has, so that changing them never touches the traffic.
func decoyPrefix(vid, i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 99, byte(vid), byte(i)}) }

// Churn writes and polls, one device after the other, every period, until
// ctx ends: DELETE then INSERT (a modify, as ONOS makes one) of a decoy
// route that sends to one of the device's host ports, the insert of a new
// one, the delete of an old one, and a read of the routes with their
// counters: every route the controller holds must read back as written,
// and no host route's counter may go back. A write or read that fails
// because the proxy is away is retried after reconnecting; its outcome is
// learnt by reading. It returns the first inconsistency.
func (c *Controller) Churn(ctx context.Context, period time.Duration) error {
	tk := time.NewTicker(period)
	defer tk.Stop()
	for round := 0; ; round++ {
		select {
		case <-ctx.Done():
			return nil
		case <-tk.C:
		}
		d := c.devs[round%Switches+1]
		err := c.churnOnce(ctx, d)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			continue
		}
		if !away(err) {
			return err
		}
		c.log.Info("controller: the proxy is away; reconnecting", "device", d.vid, "err", err)
		c.mu.Lock()
		c.Reconnects = append(c.Reconnects, fmt.Sprintf("%s device %d: %v", time.Now().Format("15:04:05.000"), d.vid, err))
		c.mu.Unlock()
		if err := c.reconnect(ctx, d); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// away reports whether err says the proxy (or the device behind it) did
// not answer, or the device lost its pipeline, rather than refused.
func away(err error) bool {
	if errors.Is(err, errSessionEnded) {
		return true
	}
	var we *client.WriteError
	if errors.As(err, &we) {
		for _, f := range we.Failures {
			if f.BatchWide && (client.Uncertain(status.Code(f.Err)) || status.Code(f.Err) == codes.FailedPrecondition) {
				return true // the whole request failed: it may have applied, or the device lost its pipeline
			}
		}
		return len(we.Failures) == 0 // else refused, update by update
	}
	if _, ok := status.FromError(err); !ok {
		return false // not an answer at all: an inconsistency the controller found
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.Canceled, codes.DeadlineExceeded, codes.Unknown:
		return true
	case codes.FailedPrecondition:
		// No pipeline on the device (P4Runtime §8.2): it restarted and
		// the request crossed the proxy before the stream's end did. As
		// ONOS, connect again: the cookie probe finds no pipeline, the
		// controller sets it and installs again what it holds.
		return true
	}
	return false
}

// lostMastership reports whether err is PERMISSION_DENIED on a write: the
// controller is nobody's primary (a switch restarting ends the streams,
// and the write may cross the end before the controller sees it), as ONOS
// takes it: mastership lost, arbitrate again, then read back.
func lostMastership(err error) bool {
	var we *client.WriteError
	if errors.As(err, &we) {
		for _, f := range we.Failures {
			if status.Code(f.Err) != codes.PermissionDenied {
				return false
			}
		}
		return len(we.Failures) > 0
	}
	return status.Code(err) == codes.PermissionDenied
}

// reconnect connects to d's device again until it answers (bounded).
func (c *Controller) reconnect(ctx context.Context, d *ctlDevice) error {
	deadline := time.Now().Add(time.Minute)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := c.connect(cctx, d)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("controller: device %d: could not reconnect: %w", d.vid, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// errSessionEnded: the controller's stream with the device ended (the
// proxy went away); as ONOS, it arbitrates again before it writes.
var errSessionEnded = status.Error(codes.Unavailable, "controller: the stream to the device ended")

func (c *Controller) churnOnce(ctx context.Context, d *ctlDevice) error {
	select {
	case <-d.s.Done():
		return errSessionEnded
	default:
	}
	if err := c.settle(ctx, d); err != nil {
		return err
	}
	d.decoy++
	i := d.decoy % 6
	port := HostPorts[d.decoy%len(HostPorts)]
	mac := net.HardwareAddr{0x02, 0x99, 0, 0, byte(d.vid), byte(i)}
	e := Route(c.in, decoyPrefix(d.vid, i), 32, mac, port)
	k := entity.MustOf(e)
	var ups []*p4v1.Update
	switch old, held := d.model[k]; {
	case held && d.decoy%3 == 0: // delete it
		ups = []*p4v1.Update{{Type: p4v1.Update_DELETE, Entity: entity.Query(old)}}
	case held: // a modify, as ONOS makes one
		ups = []*p4v1.Update{{Type: p4v1.Update_DELETE, Entity: entity.Query(old)}, {Type: p4v1.Update_INSERT, Entity: e}}
	default:
		ups = []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: e}}
	}
	for _, u := range ups {
		if err := c.write(ctx, d, u); err != nil {
			return err
		}
	}
	if d.decoy%4 == 0 {
		return c.poll(ctx, d)
	}
	return nil
}

// write sends one update and keeps the model: an update whose outcome is
// unknown marks its key unsure.
func (c *Controller) write(ctx context.Context, d *ctlDevice, u *p4v1.Update) error {
	k := entity.MustOf(u.Entity)
	err := d.c.Write(ctx, []*p4v1.Update{u})
	d.ops[k] = append(d.ops[k], fmt.Sprintf("%s %v: %v", time.Now().Format("15:04:05.000000"), u.Type, err))
	if err != nil {
		if away(err) || lostMastership(err) {
			d.unsure[k] = u.Entity
			err = fmt.Errorf("%w (%w)", errSessionEnded, err)
		}
		return fmt.Errorf("controller: device %d: %v %s: %w", d.vid, u.Type, entity.Describe(u.Entity, c.in), err)
	}
	if u.Type == p4v1.Update_DELETE {
		delete(d.model, k)
	} else {
		d.model[k] = u.Entity
	}
	c.mu.Lock()
	c.Writes++
	c.mu.Unlock()
	return nil
}

// settle reads the keys whose last write's outcome is unknown and takes
// the device's answer as what the controller holds (ONOS reconciles so).
func (c *Controller) settle(ctx context.Context, d *ctlDevice) error {
	for k, e := range d.unsure {
		got, err := d.c.ReadAll(ctx, entity.Query(e))
		if err != nil {
			return fmt.Errorf("controller: device %d: reading %s: %w", d.vid, entity.Describe(e, c.in), err)
		}
		delete(d.model, k)
		for _, g := range got {
			if entity.MustOf(g) == k {
				d.model[k] = g
			}
		}
		delete(d.unsure, k)
	}
	return nil
}

// probe asks d's device the time over gNOI, as ONOS's Stratum drivers
// probe a device's reachability (GnoiHandshaker): a device that does not
// answer is unreachable to ONOS.
func probe(ctx context.Context, d *ctlDevice) error {
	r, err := spb.NewSystemClient(d.c.Conn()).Time(ctx, &spb.TimeRequest{})
	if err != nil {
		return fmt.Errorf("controller: device %d: gNOI System.Time (ONOS's reachability probe): %w", d.vid, err)
	}
	if r.GetTime() == 0 {
		return fmt.Errorf("controller: device %d: gNOI System.Time answered no time", d.vid)
	}
	return nil
}

// poll probes the device (probe) and reads the routes with their
// counters, as ONOS polls flow stats.
func (c *Controller) poll(ctx context.Context, d *ctlDevice) error {
	if err := probe(ctx, d); err != nil {
		return err
	}
	routes := c.in.TableByName(pipelines.RouterRoutes)
	got, err := d.c.ReadAll(ctx, &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: routes.ID, CounterData: &p4v1.CounterData{}}}})
	if err != nil {
		return fmt.Errorf("controller: device %d: polling the routes: %w", d.vid, err)
	}
	seen := map[entity.Key]bool{}
	for _, g := range got {
		k := entity.MustOf(g)
		seen[k] = true
		if last, ok := d.counters[k]; ok {
			n := g.GetTableEntry().GetCounterData().GetPacketCount()
			if n < last {
				return fmt.Errorf("controller: device %d: the counter of %s went back from %d to %d", d.vid, entity.Describe(g, c.in), last, n)
			}
			d.counters[k] = n
		}
		want := d.model[k]
		g.GetTableEntry().CounterData = nil
		if want == nil {
			return fmt.Errorf("controller: device %d: %s reads back, but the controller deleted it (or never wrote it)", d.vid, entity.Describe(g, c.in))
		}
		if !proto.Equal(g, want) {
			return fmt.Errorf("controller: device %d: reads back %v, wrote %v", d.vid, g, want)
		}
	}
	for k, e := range d.model {
		if e.GetTableEntry().GetTableId() == routes.ID && !seen[k] {
			return fmt.Errorf("controller: device %d: %s is missing", d.vid, entity.Describe(e, c.in))
		}
	}
	return nil
}

// Check reads every table of every device and compares it with what the
// controller wrote, byte for byte: nothing missing, nothing resurrected.
func (c *Controller) Check(ctx context.Context) error {
	for s := 1; s <= Switches; s++ {
		d := c.devs[s]
		select {
		case <-d.s.Done(): // the proxy went away since the churn's last round
			if err := c.reconnect(ctx, d); err != nil {
				return err
			}
		default:
		}
		if err := c.settle(ctx, d); err != nil {
			return err
		}
		seen := map[entity.Key]bool{}
		for _, t := range c.in.Tables {
			got, err := d.c.ReadAll(ctx, &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: t.ID}}})
			if err != nil {
				return fmt.Errorf("controller: device %d: reading %s: %w", s, t.Name, err)
			}
			for _, g := range got {
				k := entity.MustOf(g)
				seen[k] = true
				want := d.model[k]
				switch {
				case want == nil:
					return fmt.Errorf("controller: device %d: %s reads back, but the controller deleted it (or never wrote it)", s, entity.Describe(g, c.in))
				case !proto.Equal(g, want):
					return fmt.Errorf("controller: device %d: reads back %v, wrote %v", s, g, want)
				}
			}
		}
		for k, e := range d.model {
			if !seen[k] {
				return fmt.Errorf("controller: device %d: %s was written and is missing (its writes: %v)", s, entity.Describe(e, c.in), d.ops[k])
			}
		}
	}
	return nil
}

// Reinstalled is how many times the controller set a device up again
// after it lost its pipeline (see Reinstalls).
func (c *Controller) Reinstalled() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.Reinstalls)
}

// Held is how many entities the controller holds on each device.
func (c *Controller) Held() map[int]int {
	out := map[int]int{}
	for s, d := range c.devs {
		out[s] = len(d.model)
	}
	return out
}

// Close ends the controller's sessions.
func (c *Controller) Close() {
	for _, d := range c.devs {
		if d.c != nil {
			d.s.Close()
			d.c.Close()
		}
	}
}
