// Package lab runs lime's end-to-end scenarios on switches of either kind:
// real bmv2 simple_switch_grpc processes (native or in Docker, through
// bmv2/launch) or the in-process simulator (bmv2/sim, bmv2 profile), behind
// one small abstraction, so that the scenario that runs against real bmv2
// where one is present is the very code that runs against the simulator in
// CI.
//
// A [Backend] starts a [Switch] from a [Spec]: a device id, the host-facing
// port numbers and the CPU port. The Switch gives the addresses lime's verbs
// need (P4Runtime and bmv2's Thrift runtime API) and, per port, a [Host]: the
// test's end of the link, which sends Ethernet frames into the switch and
// receives those the switch sends out of the port.
//
// How hosts attach ([Links]):
//
//   - [Memory]: in-memory host endpoints of the simulator (no privileges).
//   - [Veth]: a veth pair per port, made by the test and removed when it
//     ends. The switch's end stays in the test process's own network
//     namespace (bmv2 opens interfaces there, and a Docker bmv2 runs with
//     --network host); the host's end lives in a namespace the test made, and
//     the test drives it with an AF_PACKET socket (bmv2/sim/port's
//     AttachInterface). Needs root; otherwise the test is skipped saying so.
//
// Backends:
//
//   - [Sim]: bmv2/sim devices in this process, bmv2 profile (registers
//     UNIMPLEMENTED over P4Runtime, served over Thrift as bmv2 does), with
//     Memory or Veth links.
//   - [BMv2]: simple_switch_grpc through bmv2/launch, always with Veth links
//     (bmv2 ports are Linux interfaces). [RealBMv2] returns it where
//     launch.Available finds simple_switch_grpc on PATH or a Docker engine,
//     and skips the test otherwise, naming what it looked for. [StandInBMv2]
//     runs the same backend with this test binary standing in for the
//     simple_switch_grpc executable ([RunStandIn]: a bmv2/sim device behind
//     bmv2's command line), so that the process handling, command line,
//     Thrift port and interface wiring of the real-bmv2 path run in CI too.
//
// [Lime] builds the lime binary once and runs its verbs as a user does.
// [BuildGNMICLI] builds openconfig's gnmi_cli from the module proxy (once,
// kept in the user cache directory), an outside client of lime's gNMI.
//
// Network safety: every listener is on 127.0.0.1; the only interfaces
// touched are the veth pairs made here; no address is ever assigned.
package lab
