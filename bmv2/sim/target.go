package sim

//lint:file-ignore SA1019 older clients give watch ports in the deprecated watch field

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim/dataplane"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/p4/info"
)

// target realises pipelines on the dataplane package: the p4rt.Target of
// a simulated Device.
type target struct {
	d *Device
}

// Prepare compiles the pipeline's bmv2 JSON into a new data-plane Switch
// that does not yet receive traffic.
func (tg target) Prepare(p *p4rt.Pipeline) (p4rt.Program, error) {
	dp, err := dataplane.Compile(p.JSON)
	if err != nil {
		return nil, fmt.Errorf("data plane: %w", err)
	}
	pr := &program{d: tg.d, pipe: p, inf: p.Info, dp: dp, tables: map[string]*info.Table{}, oneShots: map[oneShotKey]oneShot{}, nextHidden: map[string]uint32{},
		learned: newLearnFilter(dp)}
	for _, t := range p.Info.Tables {
		pr.tables[t.Name] = t
	}
	pr.sw = dataplane.New(dp, dataplane.Options{
		CPUPort: tg.d.opts.CPUPort,
		Logger:  tg.d.log,
		OnHit: func(t *dataplane.TableInfo, cookie uint64) {
			if ev := pr.events.Load(); ev != nil {
				if it := pr.tables[t.Name]; it != nil {
					(*ev).Hit(it.ID, p4rt.Handle(cookie))
				}
			}
		},
	})
	return pr, nil
}

// program is one pipeline on a data-plane Switch.
type program struct {
	d      *Device
	pipe   *p4rt.Pipeline
	inf    *info.Info
	dp     *dataplane.Program
	sw     *dataplane.Switch
	tables map[string]*info.Table
	events atomic.Pointer[p4rt.Events]
	closed atomic.Bool
	// learned drops the samples bmv2 would never report again.
	learned *learnFilter

	// One-shot action sets become hidden groups of hidden members.
	mu         sync.Mutex
	oneShots   map[oneShotKey]oneShot
	nextHidden map[string]uint32
}

type oneShotKey struct {
	table  uint32
	handle p4rt.Handle
}

type oneShot struct {
	profile string
	group   uint32
	members []uint32
}

var _ p4rt.Program = (*program)(nil)

// Activate makes the program the one the device's ports feed.
func (pr *program) Activate(ev p4rt.Events) error {
	pr.events.Store(&ev)
	pr.d.activate(pr)
	return nil
}

// Close detaches the program from the ports.
func (pr *program) Close() error {
	pr.closed.Store(true)
	pr.events.Store(nil)
	pr.d.deactivate(pr)
	return nil
}

func (pr *program) table(t *info.Table) (*dataplane.TableInfo, error) {
	dt := pr.dp.Table(t.Name)
	if dt == nil {
		return nil, fmt.Errorf("table %q is not in the data plane program", t.Name)
	}
	return dt, nil
}

// dpAction converts a table action; one-shot sets are installed as a hidden
// group first.
func (pr *program) dpAction(t *info.Table, ref p4rt.EntryRef) (dataplane.Action, *oneShot, error) {
	switch a := ref.Entry.GetAction().GetType().(type) {
	case *p4v1.TableAction_Action:
		call, err := dpCall(pr.inf, a.Action, pr.dp)
		if err != nil {
			return dataplane.Action{}, nil, err
		}
		return dataplane.Call(call.Name, call.Params...), nil, nil
	case *p4v1.TableAction_ActionProfileMemberId:
		return dataplane.Member(a.ActionProfileMemberId), nil, nil
	case *p4v1.TableAction_ActionProfileGroupId:
		return dataplane.Group(a.ActionProfileGroupId), nil, nil
	case *p4v1.TableAction_ActionProfileActionSet:
		os, err := pr.installOneShot(t.Profile.Name, a.ActionProfileActionSet)
		if err != nil {
			return dataplane.Action{}, nil, err
		}
		return dataplane.Group(os.group), os, nil
	}
	return dataplane.Action{}, nil, fmt.Errorf("table %q: entry without an action", t.Name)
}

// installOneShot creates the hidden members and group of a one-shot set.
// The P4Runtime layer keeps one-shot profiles free of client members and
// groups, so hidden ids cannot collide.
func (pr *program) installOneShot(profile string, set *p4v1.ActionProfileActionSet) (*oneShot, error) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	next := func() uint32 { pr.nextHidden[profile]++; return pr.nextHidden[profile] }
	os := &oneShot{profile: profile}
	var members []dataplane.GroupMember
	for _, apa := range set.GetActionProfileActions() {
		call, err := dpCall(pr.inf, apa.GetAction(), pr.dp)
		if err != nil {
			pr.removeOneShot(os)
			return nil, err
		}
		id := next()
		if err := pr.sw.AddMember(profile, id, call); err != nil {
			pr.removeOneShot(os)
			return nil, err
		}
		os.members = append(os.members, id)
		gm := dataplane.GroupMember{ID: id, Weight: int(max(apa.GetWeight(), 1))}
		if wp := apa.GetWatchPort(); len(wp) > 0 {
			p, err := portOf(wp)
			if err != nil {
				pr.removeOneShot(os)
				return nil, err
			}
			gm.WatchPort = &p
		}
		members = append(members, gm)
	}
	os.group = next()
	if err := pr.sw.AddGroup(profile, os.group, members); err != nil {
		os.group = 0
		pr.removeOneShot(os)
		return nil, err
	}
	return os, nil
}

// removeOneShot deletes a hidden group and its members; pr.mu is held.
func (pr *program) removeOneShot(os *oneShot) {
	if os.group != 0 {
		_ = pr.sw.DeleteGroup(os.profile, os.group)
	}
	for _, m := range os.members {
		_ = pr.sw.DeleteMember(os.profile, m)
	}
}

func (pr *program) dropOneShot(t *info.Table, h p4rt.Handle) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	k := oneShotKey{t.ID, h}
	if os, ok := pr.oneShots[k]; ok {
		delete(pr.oneShots, k)
		pr.removeOneShot(&os)
	}
}

func (pr *program) keepOneShot(t *info.Table, h p4rt.Handle, os *oneShot) {
	if os == nil {
		return
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	pr.oneShots[oneShotKey{t.ID, h}] = *os
}

// entry builds the data-plane entry of ref.
func (pr *program) entry(t *info.Table, ref p4rt.EntryRef) (*dataplane.TableInfo, dataplane.Entry, *oneShot, error) {
	dt, err := pr.table(t)
	if err != nil {
		return nil, dataplane.Entry{}, nil, err
	}
	m, err := dpMatch(t, dt, ref.Entry.GetMatch())
	if err != nil {
		return nil, dataplane.Entry{}, nil, err
	}
	a, os, err := pr.dpAction(t, ref)
	if err != nil {
		return nil, dataplane.Entry{}, nil, err
	}
	return dt, dataplane.Entry{Match: m, Priority: ref.Entry.GetPriority(), Action: a, Cookie: uint64(ref.Handle)}, os, nil
}

// key builds the data-plane key (match and priority) of ref.
func (pr *program) key(t *info.Table, ref p4rt.EntryRef) (*dataplane.TableInfo, []dataplane.FieldMatch, error) {
	dt, err := pr.table(t)
	if err != nil {
		return nil, nil, err
	}
	m, err := dpMatch(t, dt, ref.Entry.GetMatch())
	return dt, m, err
}

// dpErr maps the data plane's sentinel errors to the P4Runtime layer's.
func dpErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, dataplane.ErrFull):
		return fmt.Errorf("%v: %w", err, p4rt.ErrExhausted)
	}
	return err
}

// InsertEntry adds an entry, with its direct meter configuration.
func (pr *program) InsertEntry(t *info.Table, ref p4rt.EntryRef) error {
	_, e, os, err := pr.entry(t, ref)
	if err != nil {
		return err
	}
	if err := pr.sw.AddEntry(t.Name, e); err != nil {
		if os != nil {
			pr.mu.Lock()
			pr.removeOneShot(os)
			pr.mu.Unlock()
		}
		return dpErr(err)
	}
	pr.keepOneShot(t, ref.Handle, os)
	if cfg := ref.Entry.GetMeterConfig(); cfg != nil && t.DirectMeter != nil {
		return pr.sw.SetDirectMeter(t.Name, e.Match, e.Priority, dpMeter(cfg))
	}
	return nil
}

// ModifyEntry changes an entry's action.
func (pr *program) ModifyEntry(t *info.Table, ref p4rt.EntryRef) error {
	_, e, os, err := pr.entry(t, ref)
	if err != nil {
		return err
	}
	pr.mu.Lock()
	old, hadOld := pr.oneShots[oneShotKey{t.ID, ref.Handle}]
	pr.mu.Unlock()
	if err := pr.sw.ModifyEntry(t.Name, e); err != nil {
		if os != nil {
			pr.mu.Lock()
			pr.removeOneShot(os)
			pr.mu.Unlock()
		}
		return dpErr(err)
	}
	if hadOld {
		pr.mu.Lock()
		delete(pr.oneShots, oneShotKey{t.ID, ref.Handle})
		pr.removeOneShot(&old)
		pr.mu.Unlock()
	}
	pr.keepOneShot(t, ref.Handle, os)
	return nil
}

// DeleteEntry removes an entry.
func (pr *program) DeleteEntry(t *info.Table, ref p4rt.EntryRef) error {
	_, m, err := pr.key(t, ref)
	if err != nil {
		return err
	}
	if err := pr.sw.DeleteEntry(t.Name, m, ref.Entry.GetPriority()); err != nil {
		return dpErr(err)
	}
	pr.dropOneShot(t, ref.Handle)
	return nil
}

// SetDefaultAction sets or (nil) resets a table's default action.
func (pr *program) SetDefaultAction(t *info.Table, a *p4v1.Action) error {
	if a == nil {
		return pr.sw.ResetDefaultAction(t.Name)
	}
	call, err := dpCall(pr.inf, a, pr.dp)
	if err != nil {
		return err
	}
	return pr.sw.SetDefaultAction(t.Name, dataplane.Call(call.Name, call.Params...))
}

// SetMember creates or replaces a member.
func (pr *program) SetMember(ap *info.ActionProfile, id uint32, a *p4v1.Action) error {
	call, err := dpCall(pr.inf, a, pr.dp)
	if err != nil {
		return err
	}
	err = pr.sw.AddMember(ap.Name, id, call)
	if errors.Is(err, dataplane.ErrExists) {
		err = pr.sw.ModifyMember(ap.Name, id, call)
	}
	return err
}

// DeleteMember removes a member.
func (pr *program) DeleteMember(ap *info.ActionProfile, id uint32) error {
	return pr.sw.DeleteMember(ap.Name, id)
}

// SetGroup creates or replaces a group.
func (pr *program) SetGroup(ap *info.ActionProfile, g *p4v1.ActionProfileGroup) error {
	members := make([]dataplane.GroupMember, 0, len(g.GetMembers()))
	for _, m := range g.GetMembers() {
		gm := dataplane.GroupMember{ID: m.GetMemberId(), Weight: int(max(m.GetWeight(), 1))}
		switch w := m.GetWatchKind().(type) {
		case *p4v1.ActionProfileGroup_Member_WatchPort:
			if len(w.WatchPort) > 0 {
				p, err := portOf(w.WatchPort)
				if err != nil {
					return err
				}
				gm.WatchPort = &p
			}
		case *p4v1.ActionProfileGroup_Member_Watch:
			if w.Watch != 0 {
				p := uint32(w.Watch)
				gm.WatchPort = &p
			}
		}
		members = append(members, gm)
	}
	err := pr.sw.AddGroup(ap.Name, g.GetGroupId(), members)
	if errors.Is(err, dataplane.ErrExists) {
		err = pr.sw.ModifyGroup(ap.Name, g.GetGroupId(), members)
	}
	return err
}

// DeleteGroup removes a group.
func (pr *program) DeleteGroup(ap *info.ActionProfile, id uint32) error {
	return pr.sw.DeleteGroup(ap.Name, id)
}

// errDefaultDirect reports direct resources of a default entry, which the
// data plane does not keep.
var errDefaultDirect = errors.New("the data plane keeps no direct counter or meter for a table's default entry")

// DirectCounter reads an entry's direct counter.
func (pr *program) DirectCounter(c *info.DirectCounter, ref p4rt.EntryRef) (*p4v1.CounterData, error) {
	if ref.Handle == p4rt.DefaultHandle {
		return nil, errDefaultDirect
	}
	_, m, err := pr.key(c.Table, ref)
	if err != nil {
		return nil, err
	}
	es, err := pr.sw.GetEntry(c.Table.Name, m, ref.Entry.GetPriority())
	if err != nil {
		return nil, err
	}
	return dpCounterData(es.Counter), nil
}

// SetDirectCounter writes an entry's direct counter.
func (pr *program) SetDirectCounter(c *info.DirectCounter, ref p4rt.EntryRef, d *p4v1.CounterData) error {
	if ref.Handle == p4rt.DefaultHandle {
		return errDefaultDirect
	}
	_, m, err := pr.key(c.Table, ref)
	if err != nil {
		return err
	}
	return pr.sw.WriteDirectCounter(c.Table.Name, m, ref.Entry.GetPriority(), dpCounterValue(d))
}

// SetDirectMeter configures an entry's direct meter.
func (pr *program) SetDirectMeter(mi *info.DirectMeter, ref p4rt.EntryRef, cfg *p4v1.MeterConfig) error {
	if ref.Handle == p4rt.DefaultHandle {
		return errDefaultDirect
	}
	_, m, err := pr.key(mi.Table, ref)
	if err != nil {
		return err
	}
	return pr.sw.SetDirectMeter(mi.Table.Name, m, ref.Entry.GetPriority(), dpMeter(cfg))
}

// Counter reads an indirect counter cell.
func (pr *program) Counter(c *info.Counter, index int64) (*p4v1.CounterData, error) {
	v, err := pr.sw.ReadCounter(c.Name, uint64(index))
	if err != nil {
		return nil, err
	}
	return dpCounterData(v), nil
}

// SetCounter writes an indirect counter cell, both counts (the P4Runtime
// layer keeps what a write does not set).
func (pr *program) SetCounter(c *info.Counter, index int64, d *p4v1.CounterData) error {
	return pr.sw.WriteCounter(c.Name, uint64(index), dpCounterValue(d))
}

// SetMeter configures an indirect meter cell.
func (pr *program) SetMeter(m *info.Meter, index int64, cfg *p4v1.MeterConfig) error {
	return pr.sw.SetMeter(m.Name, uint64(index), dpMeter(cfg))
}

// Registers reads register cells.
func (pr *program) Registers(r *info.Register, first, last int64, fn func(int64, []byte) error) error {
	if first > last {
		return nil // an empty range (of an array of no cells)
	}
	return pr.sw.ReadRegisterRange(r.Name, uint64(first), uint64(last), func(i uint64, v []byte) error { return fn(int64(i), v) })
}

// SetRegister writes a register cell.
func (pr *program) SetRegister(r *info.Register, index int64, v []byte) error {
	ri := pr.dp.Register(r.Name)
	if ri == nil {
		return fmt.Errorf("register %q is not in the data plane program", r.Name)
	}
	b, err := dpValue(nil, v, ri.Bitwidth, "register "+r.Name)
	if err != nil {
		return err
	}
	return pr.sw.WriteRegister(r.Name, uint64(index), b)
}

// SetMulticastGroup creates or replaces a multicast group.
func (pr *program) SetMulticastGroup(id uint32, replicas []*p4v1.Replica) error {
	rs, err := dpReplicas(replicas)
	if err != nil {
		return err
	}
	_, exists := pr.sw.MulticastGroups()[id]
	return pr.sw.SetMulticastGroup(id, rs, exists)
}

// DeleteMulticastGroup removes a multicast group.
func (pr *program) DeleteMulticastGroup(id uint32) error { return pr.sw.DeleteMulticastGroup(id) }

// SetCloneSession creates or replaces a clone session.
func (pr *program) SetCloneSession(e *p4v1.CloneSessionEntry) error {
	rs, err := dpReplicas(e.GetReplicas())
	if err != nil {
		return err
	}
	_, exists := pr.sw.CloneSessions()[e.GetSessionId()]
	return pr.sw.SetCloneSession(e.GetSessionId(), dataplane.CloneSession{Replicas: rs, ClassOfService: e.GetClassOfService(), PacketLength: uint32(e.GetPacketLengthBytes())}, exists)
}

// DeleteCloneSession removes a clone session.
func (pr *program) DeleteCloneSession(id uint32) error { return pr.sw.DeleteCloneSession(id) }

// SetValueSet replaces a value set's members (exact values only: bmv2's
// parser value sets hold values).
func (pr *program) SetValueSet(vs *info.ValueSet, members []*p4v1.ValueSetMember) error {
	dv := pr.dp.ValueSet(vs.Name)
	if dv == nil {
		return fmt.Errorf("value set %q is not in the data plane program", vs.Name)
	}
	out := make([][][]byte, 0, len(members))
	for _, m := range members {
		vals := make([][]byte, len(vs.Fields))
		for i, f := range vs.Fields {
			for _, fm := range m.GetMatch() {
				if fm.GetFieldId() != f.ID {
					continue
				}
				ex := fm.GetExact()
				if ex == nil {
					return fmt.Errorf("value set %q field %q: the data plane takes exact values only", vs.Name, f.Name)
				}
				vals[i] = ex.GetValue()
			}
			if vals[i] == nil {
				return fmt.Errorf("value set %q field %q: no value", vs.Name, f.Name)
			}
		}
		out = append(out, vals)
	}
	return pr.sw.SetValueSet(vs.Name, out)
}

// EnableDigest has nothing to program: the data plane always generates
// digests and the P4Runtime layer drops those of unconfigured digests.
func (pr *program) EnableDigest(*info.Digest, bool) error { return nil }

// PacketOut injects a frame on the CPU port, as bmv2 does with a
// packet-out (the packet_out header in front).
func (pr *program) PacketOut(frame []byte) error {
	if pr.closed.Load() {
		return errors.New("program closed")
	}
	cpu := pr.d.opts.CPUPort
	if cpu == 0 {
		return errors.New("the device has no CPU port: packet-out is not possible")
	}
	pr.deliver(pr.sw.Process(cpu, frame))
	return nil
}
