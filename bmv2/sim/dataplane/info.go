package dataplane

// This file holds the descriptors a Program exposes: its control-plane
// objects under their bmv2 JSON names, which p4c makes equal to the P4Info
// names, with everything the P4Runtime layer needs to map P4Info ids onto
// them (P4Info match field id k is Keys[k-1], action param id k is
// Params[k-1]).

// MatchKind is the match type of a table key field, as the bmv2 JSON
// spells it. P4Runtime "optional" fields compile to MatchTernary.
type MatchKind int

// Match kinds.
const (
	MatchExact MatchKind = iota
	MatchLPM
	MatchTernary
	MatchRange
	MatchValid
)

// String gives the bmv2 JSON name of the match kind.
func (k MatchKind) String() string {
	switch k {
	case MatchExact:
		return "exact"
	case MatchLPM:
		return "lpm"
	case MatchTernary:
		return "ternary"
	case MatchRange:
		return "range"
	case MatchValid:
		return "valid"
	}
	return "unknown"
}

// KeyField is one field of a table key, in key order.
type KeyField struct {
	// Name is the key element name (the P4Info match field name).
	Name  string
	Match MatchKind
	// Bitwidth is the width of the matched field (1 for MatchValid).
	Bitwidth int
	// Target is "header.field", or the header name for MatchValid.
	Target string
	// Mask is the static mask the program applies to the field before
	// matching (a key like "hdr.f & 0xff"), nil when there is none.
	Mask []byte
}

// ActionParam is one action parameter, in order.
type ActionParam struct {
	Name     string
	Bitwidth int
}

// ActionInfo describes an action. Several JSON actions may share a name
// (p4c duplicates an action used in several places); they have the same
// parameters, and a table lists the instance it uses.
type ActionInfo struct {
	Name   string
	ID     int // bmv2 JSON id
	Params []ActionParam
	index  int
}

// TableInfo describes a match-action table.
type TableInfo struct {
	Name     string
	ID       int    // bmv2 JSON id
	Pipeline string // "ingress" or "egress"
	Keys     []KeyField
	// Actions lists the table's actions in JSON order.
	Actions []*ActionInfo
	MaxSize int
	// NeedsPriority is true when the key has a ternary or range field:
	// entries then carry a priority (higher wins), otherwise none.
	NeedsPriority bool
	// Const is true when the program fixes the entries (the JSON
	// "entries" attribute, P4 "const entries"): no entry may be added,
	// modified or deleted. ConstEntries holds them, with P4Runtime
	// priorities (bmv2's inverted: 2^31-1 minus the JSON priority).
	Const        bool
	ConstEntries []Entry
	// DefaultAction is the program's default action (nil when the JSON
	// gives none, as for tables with an action profile).
	DefaultAction *ActionCall
	// DefaultActionConst: the control plane may not change the default
	// action function (JSON action_const). DefaultEntryConst: it may not
	// change the default entry at all (JSON action_entry_const).
	DefaultActionConst bool
	DefaultEntryConst  bool
	// ActionProfile is the table's action profile or selector (nil for a
	// table holding actions directly).
	ActionProfile *ActionProfileInfo
	// DirectCounter and DirectMeter are the direct resources attached to
	// the table (nil when absent).
	DirectCounter *CounterInfo
	DirectMeter   *MeterInfo
	// SupportTimeout is true when entries can age (P4 support_timeout).
	SupportTimeout bool
	index          int
}

// Action returns the table's action with that name.
func (t *TableInfo) Action(name string) *ActionInfo { return actionNamed(t.Actions, name) }

// ActionProfileInfo describes an action profile or action selector.
type ActionProfileInfo struct {
	Name    string
	ID      int
	MaxSize int
	// Selector is true for an action selector (groups choose a member
	// by hash); SelectorAlgo names its hash algorithm.
	Selector     bool
	SelectorAlgo string
	// Tables lists the tables that use the profile.
	Tables []string
	// Actions lists the actions the profile's members may use.
	Actions []*ActionInfo
	index   int
}

// Action returns the profile's action with that name.
func (a *ActionProfileInfo) Action(name string) *ActionInfo { return actionNamed(a.Actions, name) }

// actionNamed returns the action of that name among as, or nil.
func actionNamed(as []*ActionInfo, name string) *ActionInfo {
	for _, a := range as {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// CounterInfo describes a counter array. Direct counters belong to a table
// and are indexed by its entries; bmv2 counters count bytes and packets.
type CounterInfo struct {
	Name   string
	ID     int
	Size   int
	Direct bool
	Table  string // for a direct counter
	index  int
}

// MeterUnit is what a meter measures.
type MeterUnit int

// Meter units.
const (
	MeterPackets MeterUnit = iota
	MeterBytes
)

// String gives "packets" or "bytes".
func (u MeterUnit) String() string {
	if u == MeterBytes {
		return "bytes"
	}
	return "packets"
}

// MeterInfo describes a meter array (two-rate three-colour meters).
type MeterInfo struct {
	Name      string
	ID        int
	Size      int
	Unit      MeterUnit
	RateCount int
	Direct    bool
	Table     string // for a direct meter
	index     int
}

// RegisterInfo describes a register array.
type RegisterInfo struct {
	Name     string
	ID       int
	Size     int
	Bitwidth int
	index    int
}

// DigestField is one field of a digest (learn list).
type DigestField struct {
	Name     string // "header.field"
	Bitwidth int
}

// DigestInfo describes a learn list: the fields a generate_digest call
// sends to the control plane. Name is the P4Info digest name.
type DigestInfo struct {
	Name   string
	ID     int
	Fields []DigestField
	index  int
}

// ValueSetInfo describes a parser value set. Members are tuples of the
// select key's fields, whose widths are FieldWidths.
type ValueSetInfo struct {
	Name        string
	ID          int
	Bitwidth    int // compressed width: the sum of FieldWidths
	FieldWidths []int
	MaxSize     int
	index       int
}

// FieldListInfo describes a field list (the metadata kept by clone,
// resubmit and recirculate).
type FieldListInfo struct {
	Name   string
	ID     int
	Fields []string
}
