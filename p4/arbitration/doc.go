// Package arbitration is P4Runtime client arbitration as a state machine
// without I/O (spec section 5 "Client Arbitration and Controller
// Replication"): which controller stream is the primary of each role of a
// device, what each stream is told when that changes, and which writers
// may write. It serves the simulator (bmv2/sim, as the spec or as PI, bmv2's
// server, answers) and the migration proxy's northbound side, which stands
// in for a switch before its controllers.
package arbitration
