//lint:file-ignore SA1019 P4Runtime 1.3 targets (bmv2, ONOS) use a replica's egress_port; lime carries it

package proxy

import (
	"fmt"
	"slices"
	"sync"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/canon"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
)

// output is one place an entity names a port a packet is sent to (a
// port-typed action parameter, a watch port, a replica's port), as the
// translator's output map takes them.
type output struct {
	get func() uint64 // the port (a string port reads as none)
	set func(uint64)
}

// outputs lists e's outputs, in the order of its fields; in is the P4Info
// whose ids e uses.
func outputs(e *p4v1.Entity, in *info.Info) []output {
	var out []output
	walkOutputs(e, in, func(b *[]byte) {
		out = append(out, output{get: func() uint64 { v, _ := canon.ToUint64(*b); return v },
			set: func(p uint64) { *b = canon.FromUint64(p) }})
	}, func(p *uint32) {
		out = append(out, output{get: func() uint64 { return uint64(*p) }, set: func(q uint64) { *p = uint32(q) }})
	})
	return out
}

// walkOutputs calls bytesAt for each output of e held as a bytestring and
// egress for each replica's egress_port, in the order of e's fields (see
// outputs); in is the P4Info whose ids e uses.
func walkOutputs(e *p4v1.Entity, in *info.Info, bytesAt func(*[]byte), egress func(*uint32)) {
	action := func(a *p4v1.Action) {
		if a == nil {
			return
		}
		act := in.Action(a.ActionId)
		if act == nil {
			return
		}
		for _, p := range a.Params {
			if pa := act.Param(p.ParamId); pa != nil && pa.IsPort && !pa.IsString {
				bytesAt(&p.Value)
			}
		}
	}
	replicas := func(rs []*p4v1.Replica) {
		for _, r := range rs {
			switch p := r.PortKind.(type) {
			case *p4v1.Replica_EgressPort:
				egress(&p.EgressPort)
			case *p4v1.Replica_Port:
				bytesAt(&p.Port)
			}
			for _, b := range r.BackupReplicas {
				bytesAt(&b.Port)
			}
		}
	}
	switch x := e.GetEntity().(type) {
	case *p4v1.Entity_TableEntry:
		switch a := x.TableEntry.GetAction().GetType().(type) {
		case *p4v1.TableAction_Action:
			action(a.Action)
		case *p4v1.TableAction_ActionProfileActionSet:
			for _, pa := range a.ActionProfileActionSet.ActionProfileActions {
				action(pa.Action)
				if w, ok := pa.WatchKind.(*p4v1.ActionProfileAction_WatchPort); ok {
					bytesAt(&w.WatchPort)
				}
			}
		}
	case *p4v1.Entity_ActionProfileMember:
		action(x.ActionProfileMember.Action)
	case *p4v1.Entity_ActionProfileGroup:
		for _, m := range x.ActionProfileGroup.Members {
			if w, ok := m.WatchKind.(*p4v1.ActionProfileGroup_Member_WatchPort); ok {
				bytesAt(&w.WatchPort)
			}
		}
	case *p4v1.Entity_PacketReplicationEngineEntry:
		replicas(x.PacketReplicationEngineEntry.GetMulticastGroupEntry().GetReplicas())
		replicas(x.PacketReplicationEngineEntry.GetCloneSessionEntry().GetReplicas())
	}
}

// outputIndex knows, for each host port of one migration, which entities
// send to it in the controller's form (issue 14: a host move rewrites
// what sends to its host, not the whole table). It is made when the
// mirror is attached (at the first write or read after) and kept up to
// date as writes pass: exactly for what the source applied, by adding for
// what it may have applied. It may name an entity that no longer sends to
// a host (a read racing a write adds what was), never miss one that does
// once whole: every output read (outputFilters) passed whole through it
// since it was made (a clone through ControllerReader, or a read of its
// own).
type outputIndex struct {
	ports *Ports     // the migration it indexes (Device.ports when made)
	in    *info.Info // the controller's P4Info

	mu    sync.Mutex
	hosts map[uint64]map[entity.Key]struct{}
	// sends is the other way round: the host ports each entity of hosts
	// sends to (most send to one), so that a write costs a look-up, not
	// one per host.
	sends  map[entity.Key][]uint64
	unread map[string]bool // output reads not yet seen whole, by readName
}

func newOutputIndex(ports *Ports, in *info.Info, filters []*p4v1.Entity) *outputIndex {
	x := &outputIndex{ports: ports, in: in, hosts: map[uint64]map[entity.Key]struct{}{},
		sends: map[entity.Key][]uint64{}, unread: map[string]bool{}}
	for _, h := range ports.Hosts {
		x.hosts[h] = map[entity.Key]struct{}{}
	}
	for _, f := range filters {
		if n, ok := readName(f); ok {
			x.unread[n] = true
		}
	}
	return x
}

// readName names what filter f reads when it reads a whole object's
// entities of one kind (a table's entries or default entry, a profile's
// members or groups, every multicast group or clone session); ok false
// for any other filter. A wildcard over every object is named "*" after
// its kind.
func readName(f *p4v1.Entity) (string, bool) {
	id := func(kind string, v uint32) (string, bool) {
		if v == 0 {
			return kind + "*", true
		}
		return fmt.Sprintf("%s%d", kind, v), true
	}
	switch x := f.GetEntity().(type) {
	case *p4v1.Entity_TableEntry:
		te := x.TableEntry
		if len(te.Match) > 0 || te.Priority != 0 || te.Action != nil || te.ControllerMetadata != 0 || len(te.Metadata) > 0 {
			return "", false
		}
		if te.IsDefaultAction {
			return id("d", te.TableId)
		}
		return id("t", te.TableId)
	case *p4v1.Entity_ActionProfileMember:
		if m := x.ActionProfileMember; m.MemberId == 0 {
			return id("m", m.ActionProfileId)
		}
	case *p4v1.Entity_ActionProfileGroup:
		if g := x.ActionProfileGroup; g.GroupId == 0 {
			return id("g", g.ActionProfileId)
		}
	case *p4v1.Entity_PacketReplicationEngineEntry:
		if mg := x.PacketReplicationEngineEntry.GetMulticastGroupEntry(); mg != nil && mg.MulticastGroupId == 0 {
			return "M", true
		}
		if cs := x.PacketReplicationEngineEntry.GetCloneSessionEntry(); cs != nil && cs.SessionId == 0 {
			return "C", true
		}
	}
	return "", false
}

// readWhole records that filters were read whole through the index.
func (x *outputIndex) readWhole(filters []*p4v1.Entity) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, f := range filters {
		n, ok := readName(f)
		if !ok {
			continue
		}
		if n[len(n)-1] == '*' { // every object of its kind
			for u := range x.unread {
				if u[0] == n[0] {
					delete(x.unread, u)
				}
			}
		}
		delete(x.unread, n)
	}
}

// whole reports whether every output read passed whole through the index.
func (x *outputIndex) whole() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.unread) == 0
}

// sendsTo appends to buf the host ports e (the controller's form) sends
// to.
func (x *outputIndex) sendsTo(e *p4v1.Entity, buf []uint64) []uint64 {
	add := func(p uint64) {
		if _, ok := x.hosts[p]; ok && !slices.Contains(buf, p) {
			buf = append(buf, p)
		}
	}
	walkOutputs(e, x.in, func(b *[]byte) {
		if v, err := canon.ToUint64(*b); err == nil {
			add(v)
		}
	}, func(p *uint32) { add(uint64(*p)) })
	return buf
}

// add records e, read from the source in the controller's form: it adds,
// never removes (a write may have changed e since).
func (x *outputIndex) add(e *p4v1.Entity) {
	var buf [4]uint64
	to := x.sendsTo(e, buf[:0])
	if len(to) == 0 {
		return
	}
	k, err := entity.Of(e)
	if err != nil {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.set(k, to, true)
}

// set records that the entity with key k sends to the host ports to
// (instead of where it sent, unless adding: as well). x.mu is held.
func (x *outputIndex) set(k entity.Key, to []uint64, adding bool) {
	was := x.sends[k]
	if adding {
		for _, h := range was {
			if !slices.Contains(to, h) {
				to = append(to, h)
			}
		}
	}
	if slices.Equal(was, to) {
		return
	}
	for _, h := range was {
		if !slices.Contains(to, h) {
			delete(x.hosts[h], k)
		}
	}
	for _, h := range to {
		if !slices.Contains(was, h) {
			x.hosts[h][k] = struct{}{}
		}
	}
	if len(to) == 0 {
		delete(x.sends, k)
		return
	}
	x.sends[k] = slices.Clone(to)
}

// written records a controller's write (updates ups, the controller's
// form) of which the source applied those at applied and may have applied
// unsure: an applied update replaces what its entity sends to (a DELETE:
// nothing), one of unknown fate adds.
func (x *outputIndex) written(ups []*p4v1.Update, applied []int, unsure []*p4v1.Update) {
	for _, u := range unsure {
		if u.GetType() != p4v1.Update_DELETE {
			x.add(u.GetEntity())
		}
	}
	var buf [4]uint64
	for _, i := range applied {
		u := ups[i]
		k, err := entity.Of(u.GetEntity())
		if err != nil {
			continue
		}
		var to []uint64
		if u.GetType() != p4v1.Update_DELETE {
			to = x.sendsTo(u.GetEntity(), buf[:0])
		}
		// A table entry's MODIFY without an action leaves its action (a
		// default entry's goes back to the program's): it only adds.
		replaces := u.GetType() == p4v1.Update_DELETE || u.GetEntity().GetTableEntry() == nil || u.GetEntity().GetTableEntry().GetAction() != nil
		x.mu.Lock()
		x.set(k, to, !replaces)
		x.mu.Unlock()
	}
}

// keys lists the entities that send to host p, as now known.
func (x *outputIndex) keys(p uint64) []entity.Key {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]entity.Key, 0, len(x.hosts[p]))
	for k := range x.hosts[p] {
		out = append(out, k)
	}
	slices.Sort(out) // one order every time: by kind, then id
	return out
}
