package dataplane

// Byte values throughout the API are big-endian, in P4Runtime canonical
// form or padded: any length is accepted as long as the value fits the
// field's width. Values the Switch returns are padded to the field's byte
// width ((bits+7)/8), the form bmv2 stores.

// FieldMatch is the match of one key field of an entry. Which members are
// read depends on the key field's MatchKind:
//   - exact: Value.
//   - lpm: Value and PrefixLen; bits beyond the prefix must be zero.
//   - ternary: Value and Mask (value bits outside the mask must be zero);
//     a nil Mask means all ones, which is how a P4Runtime "optional"
//     match with a value is written.
//   - range: Value is the low bound, High the high bound (inclusive).
//   - valid: Value is one byte, 1 when the header must be valid, else 0.
//
// Wildcard marks a field left out of a P4Runtime entry ("don't care"):
// allowed for lpm (prefix 0), ternary (mask 0) and range (full range).
type FieldMatch struct {
	Value     []byte
	Mask      []byte
	PrefixLen int
	High      []byte
	Wildcard  bool
}

// Exact matches the field against v.
func Exact(v []byte) FieldMatch { return FieldMatch{Value: v} }

// LPM matches the first prefixLen bits of v.
func LPM(v []byte, prefixLen int) FieldMatch { return FieldMatch{Value: v, PrefixLen: prefixLen} }

// Ternary matches the bits set in mask.
func Ternary(v, mask []byte) FieldMatch { return FieldMatch{Value: v, Mask: mask} }

// Range matches values from lo to hi inclusive.
func Range(lo, hi []byte) FieldMatch { return FieldMatch{Value: lo, High: hi} }

// Optional matches v exactly on a ternary (P4 optional) field.
func Optional(v []byte) FieldMatch { return FieldMatch{Value: v} }

// Wildcard matches anything ("don't care").
func Wildcard() FieldMatch { return FieldMatch{Wildcard: true} }

// Valid matches a header's validity (match kind "valid").
func Valid(valid bool) FieldMatch {
	if valid {
		return FieldMatch{Value: []byte{1}}
	}
	return FieldMatch{Value: []byte{0}}
}

// ActionCall is an action with its parameter values, in parameter order.
type ActionCall struct {
	Name   string
	Params [][]byte
}

// ActionKind tells what an entry's Action refers to.
type ActionKind int

// Action kinds: an action called directly, or (tables with an action
// profile) a profile member or group.
const (
	KindAction ActionKind = iota
	KindMember
	KindGroup
)

// Action is what a table entry does: Call for KindAction, ID (member id
// or group id) for KindMember and KindGroup.
type Action struct {
	Kind ActionKind
	Call ActionCall
	ID   uint32
}

// Call returns an Action that calls the named action.
func Call(name string, params ...[]byte) Action {
	return Action{Kind: KindAction, Call: ActionCall{Name: name, Params: params}}
}

// Member returns an Action that refers to an action profile member.
func Member(id uint32) Action { return Action{Kind: KindMember, ID: id} }

// Group returns an Action that refers to an action selector group.
func Group(id uint32) Action { return Action{Kind: KindGroup, ID: id} }

// Entry is a table entry. Match has one element per key field, in key
// order. Priority is the P4Runtime priority (higher wins; must be > 0)
// for tables whose key has a ternary or range field, and must be 0
// otherwise.
//
// Cookie is an opaque value of the caller's (e.g. the P4Runtime layer's
// entry handle): kept with the entry, returned by reads and passed to
// Options.OnHit. It plays no part in matching or identity.
type Entry struct {
	Match    []FieldMatch
	Priority int32
	Action   Action
	Cookie   uint64
}

// GroupMember is a member of an action selector group. A member with
// weight w counts w times in the selection (as PI does by adding w copies).
// When WatchPort is set the member is left out of selection while that
// port is down (P4Runtime watch_port).
type GroupMember struct {
	ID        uint32
	Weight    int
	WatchPort *uint32
}

// Replica is one copy made by a multicast group or clone session: the
// egress port and the instance (egress_rid).
type Replica struct {
	Port     uint32
	Instance uint16
}

// CloneSession is a clone (mirror) session. PacketLength, when not zero,
// truncates the clones to that many bytes. ClassOfService is kept for
// reads; the dataplane has a single queue per port and ignores it.
type CloneSession struct {
	Replicas       []Replica
	ClassOfService uint32
	PacketLength   uint32
}

// MeterConfig is a two-rate three-colour meter configuration (RFC 2698):
// committed and peak information rates in units (bytes or packets) per
// second and burst sizes in units.
type MeterConfig struct {
	CIR, CBurst, PIR, PBurst uint64
}

// CounterValue is a counter cell.
type CounterValue struct {
	Bytes, Packets uint64
}

// MeterCounts counts the packets a meter cell marked in each colour
// (P4Runtime MeterCounterData).
type MeterCounts struct {
	Green, Yellow, Red CounterValue
}
