package gnmi

// The OpenConfig tree the agent serves, below /interfaces/interface[name=X]:
//
//	name                         config  (the list key)
//	config/name, config/enabled  config  (enabled is the one settable leaf)
//	state/name, state/enabled    state
//	state/ifindex, state/id      state   (both the P4Runtime port id, as Stratum)
//	state/admin-status           state, operational ("UP", "DOWN")
//	state/oper-status            state, operational (OperStatus.Served: UP, DOWN, UNKNOWN)
//	state/last-change            state, operational (ns since the epoch)
//	state/counters/*             state, operational
//
// state/id comes from openconfig-p4rt, which augments openconfig-interfaces.

const (
	moduleInterfaces = "openconfig-interfaces"
	moduleP4RT       = "openconfig-p4rt"
	elemInterfaces   = "interfaces"
	elemInterface    = "interface"
	keyName          = "name"
)

type leafKind uint8

const (
	kindBool leafKind = iota
	kindString
	kindUint32
	kindUint64
)

// leafDef is one leaf of the schema.
type leafDef struct {
	rel         []string // path below interface[name=X]
	kind        leafKind
	module      string
	config      bool // config true (else state)
	operational bool // counts as OPERATIONAL data in Get
	get         func(ps *PortState, lastChange uint64) any
}

func counterLeaf(name string, get func(c *Counters) uint64) leafDef {
	return leafDef{
		rel: []string{"state", "counters", name}, kind: kindUint64, module: moduleInterfaces, operational: true,
		get: func(ps *PortState, _ uint64) any { return get(&ps.Counters) },
	}
}

// schema lists the leaves in the order responses carry them.
var schema = []leafDef{
	{rel: []string{"name"}, kind: kindString, module: moduleInterfaces, config: true,
		get: func(ps *PortState, _ uint64) any { return ps.Name }},
	{rel: []string{"config", "name"}, kind: kindString, module: moduleInterfaces, config: true,
		get: func(ps *PortState, _ uint64) any { return ps.Name }},
	{rel: []string{"config", "enabled"}, kind: kindBool, module: moduleInterfaces, config: true,
		get: func(ps *PortState, _ uint64) any { return ps.Enabled }},
	{rel: []string{"state", "name"}, kind: kindString, module: moduleInterfaces,
		get: func(ps *PortState, _ uint64) any { return ps.Name }},
	{rel: []string{"state", "enabled"}, kind: kindBool, module: moduleInterfaces,
		get: func(ps *PortState, _ uint64) any { return ps.Enabled }},
	{rel: []string{"state", "ifindex"}, kind: kindUint32, module: moduleInterfaces,
		get: func(ps *PortState, _ uint64) any { return ps.ID }},
	{rel: []string{"state", "id"}, kind: kindUint32, module: moduleP4RT,
		get: func(ps *PortState, _ uint64) any { return ps.ID }},
	{rel: []string{"state", "admin-status"}, kind: kindString, module: moduleInterfaces, operational: true,
		get: func(ps *PortState, _ uint64) any { return ps.AdminStatus() }},
	{rel: []string{"state", "oper-status"}, kind: kindString, module: moduleInterfaces, operational: true,
		get: func(ps *PortState, _ uint64) any { return string(ps.Oper) }},
	{rel: []string{"state", "last-change"}, kind: kindUint64, module: moduleInterfaces, operational: true,
		get: func(_ *PortState, lastChange uint64) any { return lastChange }},
	counterLeaf("in-octets", func(c *Counters) uint64 { return c.InOctets }),
	counterLeaf("in-pkts", func(c *Counters) uint64 { return c.InPkts }),
	counterLeaf("in-unicast-pkts", func(c *Counters) uint64 { return c.InUnicastPkts }),
	counterLeaf("in-broadcast-pkts", func(c *Counters) uint64 { return c.InBroadcastPkts }),
	counterLeaf("in-multicast-pkts", func(c *Counters) uint64 { return c.InMulticastPkts }),
	counterLeaf("in-discards", func(c *Counters) uint64 { return c.InDiscards }),
	counterLeaf("in-errors", func(c *Counters) uint64 { return c.InErrors }),
	counterLeaf("in-unknown-protos", func(c *Counters) uint64 { return c.InUnknownProtos }),
	counterLeaf("in-fcs-errors", func(c *Counters) uint64 { return c.InFCSErrors }),
	counterLeaf("out-octets", func(c *Counters) uint64 { return c.OutOctets }),
	counterLeaf("out-pkts", func(c *Counters) uint64 { return c.OutPkts }),
	counterLeaf("out-unicast-pkts", func(c *Counters) uint64 { return c.OutUnicastPkts }),
	counterLeaf("out-broadcast-pkts", func(c *Counters) uint64 { return c.OutBroadcastPkts }),
	counterLeaf("out-multicast-pkts", func(c *Counters) uint64 { return c.OutMulticastPkts }),
	counterLeaf("out-discards", func(c *Counters) uint64 { return c.OutDiscards }),
	counterLeaf("out-errors", func(c *Counters) uint64 { return c.OutErrors }),
	counterLeaf("carrier-transitions", func(c *Counters) uint64 { return c.CarrierTransitions }),
}

// enabledLeaf is config/enabled, the leaf Set changes.
var enabledLeaf = &schema[2]
