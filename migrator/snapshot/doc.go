// Package snapshot reads a device's whole P4Runtime state as a stream, kind
// by kind in dependency order (entity.Kind): digest configs, value sets,
// multicast groups, clone sessions, action-profile members, groups, table
// entries (with their direct counter data and direct meter config), default
// entries, meters, counters and registers.
//
// Each object is read with its own Read request, so that a kind the device
// cannot read (bmv2 answers UNIMPLEMENTED for registers and value sets) is
// reported on its own and the rest of the snapshot still arrives. Const
// tables and const entries are left out: no device accepts writes to them.
package snapshot
