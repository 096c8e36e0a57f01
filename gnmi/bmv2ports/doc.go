// Package bmv2ports is the gNMI port backend for one bmv2 switch
// (simple_switch_grpc): Ports is a gnmi.Ports whose ports are bmv2's
// device-manager ports, each joined to the Linux interface bmv2 sends and
// receives its packets on. It is what `lime agent` serves, so that lime's
// migrator (or ONOS) enables and disables host ports on plain bmv2 through
// /interfaces/interface[name=X]/config/enabled, exactly as on Stratum, and
// follows their oper-status with ON_CHANGE subscriptions.
//
// # Why both bmv2 and the link
//
// Plain bmv2 has no working gNMI. A port there is two things: the Linux
// interface (a veth, usually) and bmv2's attachment of that interface as a
// port number (simple_switch -i N@iface, or bm_dev_mgr_add_port over
// Thrift). A port is disabled by setting its link down at the far end: the
// peer of its veth interface when the agent can reach that peer's network
// namespace (its own, or one in /var/run/netns), else the interface itself.
// The far end matters: bmv2 1.15.5 stops reading every port while one of its
// interfaces is administratively down (its select loop blocks in pcap on the
// down interface), while carrier lost from the far end leaves it reading
// the others. The host loses its link (it notices, and a bond fails over),
// no frame reaches bmv2, and bmv2 reports the port down (its is_up follows
// the carrier); what bmv2 sends there is dropped. Between two bmv2
// switches, join their ports through something else than a bare veth pair
// (a bridge in a namespace of its own), or disabling one port takes the
// other switch's interface down. bmv2 keeps the port attached: removing it
// is no option,
// for bm_dev_mgr_remove_port never returns on bmv2 1.15.5 (observed on
// simple_switch_grpc built with PI and Thrift: the switch logs "Removing
// port N" and blocks there). A port is enabled by setting its link up and,
// when bmv2 does not have it attached (it was started without -i for it, or
// someone removed it), adding it: bmv2's port manager (BMI) opens the
// interface with libpcap and refuses the port when pcap_activate returns
// anything but 0, which libpcap on Linux does for an interface that is down
// (PCAP_ERROR_IFACE_NOT_UP), so the link comes up before the port is added.
//
// # What SetEnabled does
//
// Disabling port P (number N, interface I, far end F):
//
//  1. bm_dev_mgr_show_ports, to learn whether N is attached elsewhere (a
//     conflict, refused);
//  2. set F down, or I when it has no far end the agent reaches (netlink,
//     in its network namespace).
//
// Enabling it:
//
//  1. set link I up, and F;
//  2. bm_dev_mgr_show_ports;
//  3. bm_dev_mgr_add_port(I, N, "") unless N is already attached to I (no
//     pcap capture is asked for).
//
// A step that fails undoes the steps before it (a link this call set up is
// set down again) and SetEnabled returns a *StepError naming the port, its
// number and interface, the failing step, and whether the undo succeeded.
// Undo runs even when the request's context was cancelled, bounded by its
// own timeout. bmv2 refuses to add a port number or an interface that is
// already attached elsewhere: a port number attached to another interface,
// or the interface attached under another number, is reported as
// ErrConflict and changes nothing.
//
// # What is served
//
//   - state/id (and state/ifindex): the bmv2 port number, which is the
//     P4Runtime port id on bmv2.
//   - config/enabled and admin-status: what this backend last applied. At
//     start a port is enabled when bmv2 has its number attached to its
//     interface and the link is administratively up; anything else (a port
//     half set up) starts disabled and is left as found.
//   - oper-status: UP only when the link is operationally up (the kernel's
//     operstate, so the carrier from the peer counts) and bmv2 lists the
//     port attached to this interface with is_up set. Otherwise: the link's
//     own status when it is not UP (DOWN, LOWER_LAYER_DOWN, ... as the
//     kernel says; see gnmi/linkports), NOT_PRESENT when the interface does
//     not exist, UNKNOWN while bmv2's Thrift server does not answer, and
//     DOWN when the link is up but bmv2 has not attached it. The agent
//     serves each of these but UNKNOWN as DOWN, as Stratum does
//     (gnmi.OperStatus.Served).
//   - counters: the link's statistics (gnmi/linkports): what crossed the
//     interface, which is what bmv2 sent and received on the port.
//
// # How changes are seen
//
// Link changes arrive as netlink link updates (through gnmi/linkports) the
// moment the kernel makes them: a peer losing carrier reaches ON_CHANGE
// subscribers at once. bmv2 tells nobody when its ports change, so the
// backend polls bm_dev_mgr_show_ports every Options.PollInterval (default
// 1s, allowed from 10ms to 1min) and reports a change when the attachment of
// a served port, its is_up, or the reachability of the Thrift server
// differs from the last reading. Every read of the ports also reads bmv2,
// so a Get is always current. The Thrift client is the caller's; Close does
// not close it.
//
// Only Linux is supported (netlink).
package bmv2ports
