package info

import (
	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
)

// Preamble is what every top-level P4Info object has: id, fully qualified
// name, alias and annotations.
type Preamble struct {
	ID          uint32
	Name        string
	Alias       string
	Annotations []string
}

// Object is any top-level P4Info object.
type Object interface {
	Pre() *Preamble
	Kind() Kind
}

// Pre returns the preamble; it makes every object an Object.
func (p *Preamble) Pre() *Preamble { return p }

// Value describes one P4Runtime value slot: a match field, an action
// parameter or a packet-metadata field.
type Value struct {
	ID       uint32
	Name     string
	Width    int    // P4Runtime bit width (the SDN width of a translated type); 0 for strings
	TypeName string // P4 type name (type_name), "" when the type is not user-defined
	IsString bool   // an SDN string (translated type with sdn_string): no width, no canonical form
	IsPort   bool   // carries a switch port (see PortRules)
}

// MatchField is one field of a table key or a value set, in P4Info order.
type MatchField struct {
	Value
	MatchType      p4configv1.MatchField_MatchType
	OtherMatchType string // architecture-specific match kind, when MatchType is UNSPECIFIED
	Proto          *p4configv1.MatchField
}

// Param is one action parameter, in P4Info order.
type Param struct {
	Value
	Proto *p4configv1.Action_Param
}

// MetadataField is one field of a controller packet header (packet_in or
// packet_out), in header order.
type MetadataField struct {
	Value
	Proto *p4configv1.ControllerPacketMetadata_Metadata
}

// Table is a match-action table.
type Table struct {
	Preamble
	Proto         *p4configv1.Table
	Fields        []*MatchField // key, in P4Info order
	Actions       []*Action     // action refs, in P4Info order
	ConstDefault  *Action       // const default action, nil when the default may change
	Profile       *ActionProfile
	DirectCounter *DirectCounter
	DirectMeter   *DirectMeter
	Size          int64
	IsConst       bool // const entries: no writes to the table's entries
	HasInitial    bool // has initial entries from the program (const or not)
	IdleTimeout   bool // idle_timeout_behavior is NOTIFY_CONTROL
	// NeedsPriority is true when the key has a ternary, range or optional
	// field: entries must then carry a priority > 0, and must not otherwise
	// (P4Runtime spec section 9.1 "TableEntry").
	NeedsPriority bool
	// OneShot: the table carries @oneshot, its controller programs its
	// action selector with one-shot action sets (P4Runtime spec section
	// 9.2.3), as SONiC PINS does.
	OneShot bool

	fieldByID   map[uint32]*MatchField
	fieldByName map[string]*MatchField
	scope       map[uint32]p4configv1.ActionRef_Scope
}

// Kind returns KindTable.
func (*Table) Kind() Kind { return KindTable }

// Field returns the match field with the given id, or nil.
func (t *Table) Field(id uint32) *MatchField { return t.fieldByID[id] }

// FieldByName returns the match field with the given name, or nil.
func (t *Table) FieldByName(name string) *MatchField { return t.fieldByName[name] }

// ActionScope reports whether the table may use the action and in which
// scope (table entries and default, table entries only, default only).
func (t *Table) ActionScope(actionID uint32) (p4configv1.ActionRef_Scope, bool) {
	s, ok := t.scope[actionID]
	return s, ok
}

// Action is an action with its parameters.
type Action struct {
	Preamble
	Proto  *p4configv1.Action
	Params []*Param // in P4Info order

	paramByID   map[uint32]*Param
	paramByName map[string]*Param
}

// Kind returns KindAction.
func (*Action) Kind() Kind { return KindAction }

// Param returns the parameter with the given id, or nil.
func (a *Action) Param(id uint32) *Param { return a.paramByID[id] }

// ParamByName returns the parameter with the given name, or nil.
func (a *Action) ParamByName(name string) *Param { return a.paramByName[name] }

// ActionProfile is an action profile or, WithSelector, an action selector.
type ActionProfile struct {
	Preamble
	Proto        *p4configv1.ActionProfile
	Tables       []*Table
	WithSelector bool
	Size         int64
	MaxGroupSize int32
	// SumOfWeights: Size and MaxGroupSize bound the sum of weights rather
	// than the number of members (P4Info 1.4 selector_size_semantics).
	SumOfWeights      bool
	MaxMemberWeight   int32 // 0 when unbounded or not given
	WeightsDisallowed bool
	// OneShot: a table of the profile is OneShot. Its controller writes
	// one-shot action sets in table entries, no members or groups; bmv2
	// refuses reads of its members and groups while it holds such sets.
	OneShot bool
}

// Kind returns KindActionProfile.
func (*ActionProfile) Kind() Kind { return KindActionProfile }

// Counter is an indirect counter array.
type Counter struct {
	Preamble
	Proto       *p4configv1.Counter
	Unit        p4configv1.CounterSpec_Unit
	Size        int64
	IndexIsPort bool // the index is a port (index_type_name or a port rule)
}

// Kind returns KindCounter.
func (*Counter) Kind() Kind { return KindCounter }

// DirectCounter is a counter attached to a table's entries.
type DirectCounter struct {
	Preamble
	Proto *p4configv1.DirectCounter
	Unit  p4configv1.CounterSpec_Unit
	Table *Table
}

// Kind returns KindDirectCounter.
func (*DirectCounter) Kind() Kind { return KindDirectCounter }

// Meter is an indirect meter array.
type Meter struct {
	Preamble
	Proto       *p4configv1.Meter
	Unit        p4configv1.MeterSpec_Unit
	Type        p4configv1.MeterSpec_Type
	Size        int64
	IndexIsPort bool
}

// Kind returns KindMeter.
func (*Meter) Kind() Kind { return KindMeter }

// DirectMeter is a meter attached to a table's entries.
type DirectMeter struct {
	Preamble
	Proto *p4configv1.DirectMeter
	Unit  p4configv1.MeterSpec_Unit
	Type  p4configv1.MeterSpec_Type
	Table *Table
}

// Kind returns KindDirectMeter.
func (*DirectMeter) Kind() Kind { return KindDirectMeter }

// Register is a register array.
type Register struct {
	Preamble
	Proto *p4configv1.Register
	Size  int32
	// Width is the bit width of a cell when the cell type is a bitstring
	// (bit<W> or int<W>, directly or through a new type); 0 otherwise.
	Width       int
	Signed      bool // int<W>
	IndexIsPort bool
}

// Kind returns KindRegister.
func (*Register) Kind() Kind { return KindRegister }

// Digest is a digest (learn) message type.
type Digest struct {
	Preamble
	Proto *p4configv1.Digest
	// Members are the digest struct's fields in order (empty when the type
	// is not a struct of bitstrings).
	Members []*Value
}

// Kind returns KindDigest.
func (*Digest) Kind() Kind { return KindDigest }

// ValueSet is a parser value set.
type ValueSet struct {
	Preamble
	Proto  *p4configv1.ValueSet
	Fields []*MatchField
	Size   int32
}

// Kind returns KindValueSet.
func (*ValueSet) Kind() Kind { return KindValueSet }

// PacketMetadata is a controller packet header: "packet_in" or "packet_out".
type PacketMetadata struct {
	Preamble
	Proto  *p4configv1.ControllerPacketMetadata
	Fields []*MetadataField // in header order

	fieldByID map[uint32]*MetadataField
}

// Kind returns KindPacketMetadata.
func (*PacketMetadata) Kind() Kind { return KindPacketMetadata }

// Field returns the metadata field with the given id, or nil.
func (p *PacketMetadata) Field(id uint32) *MetadataField { return p.fieldByID[id] }

// Extern is one instance of an architecture-specific extern.
type Extern struct {
	Preamble
	Proto    *p4configv1.ExternInstance
	TypeID   uint32
	TypeName string
}

// Kind returns KindExtern.
func (*Extern) Kind() Kind { return KindExtern }
