// Package client is lime's gNMI client for switch ports, the paths a
// migration needs on any Stratum-like gNMI target (lime's agent, Stratum):
//
//   - SetEnabled sets /interfaces/interface[name=X]/config/enabled with a
//     typed bool_val;
//   - PortID reads /interfaces/interface[name=X]/state/id, the P4Runtime
//     port id;
//   - OperStatus, AdminStatus, Enabled, Counters and Interfaces read
//     state with Get;
//   - SubscribeOperStatus and SubscribeStatus stream ON_CHANGE events of
//     oper-status (and admin-status).
//
// Dial makes its own connection (plaintext by default, WithTLS for TLS);
// New uses an existing one, e.g. the P4Runtime connection to the same
// address. Errors wrap the target's gRPC status: status.Code(err) gives its
// code (NOT_FOUND for an unknown interface, for instance).
package client
