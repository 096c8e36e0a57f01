// Package diff compares the P4Runtime state of two devices entity by entity,
// through a translation (ids by name, ports by map): what the second device
// lacks (missing), what only it holds (extra), and what differs, with the
// fields that differ. Volatile values (counter data, meter colour counts,
// register data) are compared and reported separately: they change with
// every packet, so a difference there is expected while traffic flows.
package diff
