// Package port holds the simulator's switch ports.
//
// A Port has a name, a P4Runtime port id (the same number the data plane
// sees as its bmv2 port number), an admin state, an oper state, and the
// OpenConfig interface counters. The device installs a Handler that receives
// the frames arriving on the port and calls Transmit to send frames out of
// the switch through the port.
//
// A port carries traffic once it is attached:
//   - Connect joins two ports (of the same or different devices) with an
//     in-memory Wire;
//   - ConnectHost joins a port to a Host, an endpoint a Go test uses to send
//     frames and receive them with a bounded wait;
//   - AttachInterface (Linux) binds a port to a network interface through an
//     AF_PACKET socket, so hosts in network namespaces with their own kernel
//     stacks send real traffic through the simulator.
//
// The oper state is UP when the port is admin-enabled and its attachment has
// carrier (the peer port is enabled, the host is up, the Linux interface is
// running); DOWN when the port is admin-disabled; LOWER_LAYER_DOWN when it is
// enabled but unattached or without carrier. A port that is not UP neither
// delivers nor sends frames: they are dropped and counted as discards.
// Changes of admin or oper state are reported to the callbacks registered
// with Watch (the gNMI agent turns them into ON_CHANGE notifications).
//
// Everything here is safe for concurrent use. Attachments own goroutines
// that end when the attachment is closed (Detach, Wire.Close, Host.Close,
// Iface.Close).
package port
