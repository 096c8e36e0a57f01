package p4rt

import (
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/info"
)

// Handle names a table entry between a Device and its Program. The Device
// allocates handles; the default entry of every table is DefaultHandle.
type Handle uint64

// DefaultHandle is the handle of a table's default entry.
const DefaultHandle Handle = 0

// EntryRef names one table entry for a Program: its handle and the entry.
// Entry holds at least table_id, match and priority (canonical, match
// fields in P4Info order, don't-care fields omitted); for the default entry
// it is {table_id, is_default_action: true} and Handle is DefaultHandle.
type EntryRef struct {
	Handle Handle
	Entry  *p4v1.TableEntry
}

// DefaultRef refers to the default entry of table t.
func DefaultRef(t *info.Table) EntryRef {
	return EntryRef{Handle: DefaultHandle, Entry: &p4v1.TableEntry{TableId: t.ID, IsDefaultAction: true}}
}

// Target realises forwarding pipelines: it is the data plane behind a
// Device. MemoryTarget is a Target without forwarding; the simulator's
// Target runs the bmv2 JSON.
type Target interface {
	// Prepare builds a Program for p without letting it forward. An error
	// means the target cannot realise the pipeline; it should name what is
	// unsupported.
	Prepare(p *Pipeline) (Program, error)
}

// Events receives what an active Program reports to the P4Runtime layer.
// Its methods are safe for concurrent use and do not block on the network.
type Events interface {
	// PacketIn delivers a frame the program sent to the CPU port, with the
	// packet_in controller header (if the P4Info has one) still in front.
	PacketIn(frame []byte)
	// Digest delivers one digest message: the values of the digest's
	// members in P4Info order, as big-endian bytestrings.
	Digest(digestID uint32, values [][]byte)
	// Hit tells that a packet matched the entry h of table tableID; the
	// Device uses it for idle timeouts.
	Hit(tableID uint32, h Handle)
}

// Program is one pipeline realised by a Target. A new Program holds the
// pipeline's InitialEntries: entry i of table t under handle Handle(i+1),
// and the bmv2 JSON default actions. The Device calls its
// methods with arguments already validated against the P4Info: ids are
// known, bytestrings canonical and within their widths, indexes in range,
// referenced members and groups exist. Entries carry no counter data.
// A Program must be safe for concurrent use by the Device and by packets.
//
// Errors from a Program are target failures. Wrap ErrExhausted when the
// target is out of room; anything else is reported like bmv2 reports a
// target error.
type Program interface {
	// Activate makes the program forward, replacing the Target's previous
	// active program; ev receives its events from then on.
	Activate(ev Events) error
	// Close stops the program (if active) and releases it.
	Close() error

	// InsertEntry adds an entry to table t; ref.Entry is the whole entry,
	// with meter_config when the client configured the direct meter.
	InsertEntry(t *info.Table, ref EntryRef) error
	// ModifyEntry changes the action of an entry (ref.Entry is the whole
	// new entry).
	ModifyEntry(t *info.Table, ref EntryRef) error
	// DeleteEntry removes an entry.
	DeleteEntry(t *info.Table, ref EntryRef) error
	// SetDefaultAction sets the action run on a miss; nil restores the
	// program's own default action.
	SetDefaultAction(t *info.Table, a *p4v1.Action) error

	// SetMember creates or replaces member id of an action profile.
	SetMember(ap *info.ActionProfile, id uint32, a *p4v1.Action) error
	// DeleteMember removes a member no group or entry uses.
	DeleteMember(ap *info.ActionProfile, id uint32) error
	// SetGroup creates or replaces a group of an action selector.
	SetGroup(ap *info.ActionProfile, g *p4v1.ActionProfileGroup) error
	// DeleteGroup removes a group no entry uses.
	DeleteGroup(ap *info.ActionProfile, id uint32) error

	// DirectCounter reads the direct counter cell of an entry.
	DirectCounter(c *info.DirectCounter, ref EntryRef) (*p4v1.CounterData, error)
	// SetDirectCounter writes the direct counter cell of an entry.
	SetDirectCounter(c *info.DirectCounter, ref EntryRef, d *p4v1.CounterData) error
	// SetDirectMeter configures the direct meter of an entry; nil is the
	// default configuration (every packet GREEN).
	SetDirectMeter(m *info.DirectMeter, ref EntryRef, cfg *p4v1.MeterConfig) error
	// Counter reads one cell of an indirect counter array.
	Counter(c *info.Counter, index int64) (*p4v1.CounterData, error)
	// SetCounter writes one cell of an indirect counter array.
	SetCounter(c *info.Counter, index int64, d *p4v1.CounterData) error
	// SetMeter configures one cell of an indirect meter array; nil is the
	// default configuration.
	SetMeter(m *info.Meter, index int64, cfg *p4v1.MeterConfig) error
	// Registers calls fn with cells first..last of a register array, in
	// order, each as a bytestring valid only during the call; an error
	// from fn ends the read with it.
	Registers(r *info.Register, first, last int64, fn func(index int64, value []byte) error) error
	// SetRegister writes one cell of a register array.
	SetRegister(r *info.Register, index int64, value []byte) error

	// SetMulticastGroup creates or replaces a multicast group.
	SetMulticastGroup(id uint32, replicas []*p4v1.Replica) error
	// DeleteMulticastGroup removes a multicast group.
	DeleteMulticastGroup(id uint32) error
	// SetCloneSession creates or replaces a clone session.
	SetCloneSession(e *p4v1.CloneSessionEntry) error
	// DeleteCloneSession removes a clone session.
	DeleteCloneSession(id uint32) error

	// SetValueSet replaces the members of a parser value set.
	SetValueSet(vs *info.ValueSet, members []*p4v1.ValueSetMember) error
	// EnableDigest turns the generation of a digest on or off.
	EnableDigest(d *info.Digest, on bool) error

	// PacketOut injects a frame on the CPU port, the packet_out controller
	// header (if any) in front, as bmv2 does.
	PacketOut(frame []byte) error
}
