package translate

import (
	"fmt"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"
)

// Update translates the entity of an update of type typ: as Entity, except
// that a DELETE whose fields beyond its key do not translate (an action
// sending to a port the map does not cover, an unknown action) is
// translated without them. A server considers only the key of a DELETE
// and ignores the rest, "even if [it has] nonsensical values" (P4Runtime
// spec sections 9.1 "TableEntry", 9.2.1 "Action Profile Member
// Programming", 9.2.2 "Action Profile Group Programming", 9.5 "PRE
// Entries"; PI's table_delete, member_delete and group_delete read the
// key alone), so a translation must not refuse what the switch would
// take. A DELETE whose key does not translate is refused with the error of
// the whole entity.
func (t *Translator) Update(typ p4v1.Update_Type, e *p4v1.Entity) (*p4v1.Entity, error) {
	out, _, err := t.update(typ, e)
	return out, err
}

// UpdateShared is Update, except that a translation that changes nothing
// gives e itself rather than a copy: the result may be shared with the
// caller's e, and then neither may be modified. Telling the two forms of
// an update apart is then a comparison of pointers (the proxy's writes,
// where most entities translate to themselves, paid a copy and a deep
// comparison for each).
func (t *Translator) UpdateShared(typ p4v1.Update_Type, e *p4v1.Entity) (*p4v1.Entity, error) {
	// A dry run first: most entities change nothing, and cost no copy.
	if x := (&tx{Translator: t, dry: true}); x.entity(e) == nil && !x.changed {
		return e, nil
	}
	out, changed, err := t.update(typ, e)
	if err != nil || changed {
		return out, err
	}
	return e, nil
}

// update is Update, and whether the translation changed anything.
func (t *Translator) update(typ p4v1.Update_Type, e *p4v1.Entity) (*p4v1.Entity, bool, error) {
	x := &tx{Translator: t}
	out, err := x.copyOf(e)
	if err == nil || typ != p4v1.Update_DELETE {
		return out, x.changed, err
	}
	k, ok := deleteKey(e)
	if !ok {
		return nil, false, err
	}
	out, kerr := t.Entity(k)
	if kerr != nil {
		return nil, false, fmt.Errorf("%w (its key: %w)", err, kerr)
	}
	return out, true, nil // the fields beyond the key are left out
}

// deleteKey is e without the fields a DELETE of it does not consider and
// a translation may refuse; ok false when it has none.
func deleteKey(e *p4v1.Entity) (k *p4v1.Entity, ok bool) {
	k = proto.Clone(e).(*p4v1.Entity)
	switch x := k.GetEntity().(type) {
	case *p4v1.Entity_TableEntry:
		ok = x.TableEntry.Action != nil
		x.TableEntry.Action = nil
	case *p4v1.Entity_ActionProfileMember:
		ok = x.ActionProfileMember.Action != nil
		x.ActionProfileMember.Action = nil
	case *p4v1.Entity_ActionProfileGroup:
		ok = len(x.ActionProfileGroup.Members) > 0
		x.ActionProfileGroup.Members = nil
	case *p4v1.Entity_PacketReplicationEngineEntry:
		switch p := x.PacketReplicationEngineEntry.GetType().(type) {
		case *p4v1.PacketReplicationEngineEntry_MulticastGroupEntry:
			ok = len(p.MulticastGroupEntry.Replicas) > 0
			p.MulticastGroupEntry.Replicas = nil
		case *p4v1.PacketReplicationEngineEntry_CloneSessionEntry:
			ok = len(p.CloneSessionEntry.Replicas) > 0
			p.CloneSessionEntry.Replicas = nil
		}
	}
	return k, ok
}
