// Package dataplane executes bmv2 JSON programs for the v1model
// architecture the way bmv2's simple_switch does, so that the simulator
// forwards real packets according to the installed pipeline and entries.
//
// Load parses and compiles a program (expressions and actions become Go
// closures, not an interpreted tree) and reports every construct it
// cannot run. A Program exposes its control-plane objects under their
// bmv2 JSON names, which are the P4Info names: tables with their key
// fields and actions in order, action profiles and selectors, counters,
// meters, registers, digests (learn lists), value sets and field lists.
//
// New creates a Switch, the runtime state of one device. Its methods
// install table entries, default actions, action profile members and
// groups, meter configurations, counter and register values, value set
// members, multicast groups and clone sessions; Process runs a frame
// through parser, ingress, the packet replication engine, egress and
// deparser and returns the frames that leave (with their ports, the CPU
// port included), the digests generated and the drops with their reason.
// All methods are safe for concurrent use.
//
// Semantics follow simple_switch (behavioral-model targets/simple_switch
// and src/bm_sim): infinite-precision arithmetic truncated on store;
// ternary and range entries ordered by priority (the higher P4Runtime
// priority wins, ties to the earlier entry), LPM by prefix length; direct
// counters and meters updated on a hit; counters and meters counting the
// received length; action selectors choosing a member with the
// selector's hash modulo the total weight; I2E clones re-parsed from the
// received packet, E2E clones carrying the egress headers, both with
// metadata reset but for the field list; resubmit and recirculate
// keeping only their field list; egress_spec 511 (Options.DropPort)
// dropping.
//
// Where simple_switch has no bound the Switch has one: Options.MaxPasses
// ingress passes (resubmit and recirculate) and Options.MaxEgress egress
// instances per received frame, and bmv2 loops inside an action (_jump)
// or a parser are cut off (ParserTimeout). A failing assert drops the
// packet instead of aborting the switch.
package dataplane
