// Package proxy is the mirroring P4Runtime proxy: a P4Runtime server that
// stands in for virtual devices, so that a controller (ONOS or any
// P4Runtime client) keeps its device ids, P4Info and cookie, and port
// numbers while the physical switch behind a device changes.
//
// Each virtual Device has an authoritative Backend (the physical device
// whose state is the truth) and, during a migration, a mirror Backend. The
// proxy is itself the primary client of every backend; towards controllers
// it arbitrates per the spec (p4/arbitration).
//
//   - Write goes to the authoritative device; the updates it applied go
//     on, translated (ids by name, ports by port map), to the mirror:
//     recorded in a log while the mirror is being cloned (MirrorLogging),
//     then live (MirrorLive). Before any host moved, nothing forwards
//     through the mirror: the controller is answered once the
//     authoritative device applied a write, and the mirror gets it in the
//     same order within a bounded window (Options.MirrorWindow) that every
//     barrier drains (Paused, Drain, host moves, cut over, detach). Once a
//     host is on the mirror, a write goes to both at once and the
//     controller is answered when both answered; where the mirror applied
//     what the authoritative device refused, it is repaired from there at
//     once. The controller gets the authoritative device's answer,
//     per-update p4.v1.Error details included. A mirror write that fails
//     is fixed where the intent is plain (INSERT of what exists becomes
//     MODIFY, MODIFY of what is missing INSERT, DELETE of what is missing
//     is done) and retried; what still fails is kept for repair and
//     reported, never dropped.
//   - Read is answered by the authoritative device, translated back.
//   - Packet-ins, digests and idle-timeout notifications from the backends
//     reach the primary controller translated back (a packet-in on a port
//     the controller does not know, such as a trunk, is dropped); packet-outs
//     go to the device that owns their egress port; digest acks return to
//     the device that sent the list.
//   - The pipeline passes through untouched before a migration; while a
//     mirror is attached only what keeps the state and the program (VERIFY,
//     RECONCILE_AND_COMMIT of the running program) passes; after a cut
//     over a push is answered as the switch the controller knew would
//     answer it, on the target, whose translation follows a new program
//     (pipelinepush.go).
//
// Beside P4Runtime, as a Stratum switch does, the proxy serves gNMI (GNMI:
// each device's interfaces, in the state of the switch that carries their
// host) and gNOI's System.Time (GNOI: the reachability probe of ONOS's
// Stratum drivers).
//
// Shape (net/http/httputil.ReverseProxy): Options hold optional hooks, nil
// meaning the default.
package proxy
