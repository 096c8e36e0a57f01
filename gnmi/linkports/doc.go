// Package linkports serves Linux network links over gNMI: Ports is a
// gnmi.Ports backend whose ports are the links of a network namespace.
// Setting config/enabled sets the link up or down; oper-status is the
// kernel's operstate (RFC 2863, as OpenConfig), followed through netlink
// link updates so ON_CHANGE subscribers see carrier changes; counters are
// the link's statistics. A link that loses carrier is DOWN or
// LOWER_LAYER_DOWN as the kernel says (for a veth whose peer went down, it
// depends on whether the peer's ifindex equals its own); the agent serves
// both as DOWN, as Stratum does (gnmi.OperStatus.Served).
//
// Linux counts no broadcast packets nor transmitted multicast packets
// separately: in-broadcast-pkts, out-unicast-pkts, out-broadcast-pkts and
// out-multicast-pkts are 0, and in-unicast-pkts is the received packets
// minus the multicast ones.
package linkports
