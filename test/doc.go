// Package test holds lime's end-to-end tests: in-process topologies,
// network-namespace topologies with real Linux hosts, and optional runs
// against real bmv2.
//
// Each scenario is written once against test/lab's switch abstraction and
// runs on every backend:
//
//   - TestRealBMv2…: real simple_switch_grpc: the build shared beside the
//     checkout (../shared/tools/bmv2, whose runtime make test installs;
//     there they run, in CI too), else native on PATH, else the
//     p4lang/behavioral-model image on a Docker engine that answers "docker
//     info". Where none is present, or with -short, they skip and say what
//     they looked for.
//   - TestSim…: the in-process simulator (bmv2 profile, Thrift served by
//     the simulator), hosts on in-memory links and, as root, on veth pairs
//     driven with AF_PACKET. They run everywhere, CI included.
//   - TestStandInBMv2…: the real-bmv2 backend (bmv2/launch, the command
//     line, Thrift port, -i N@veth) with the test binary itself standing in
//     for simple_switch_grpc, so the code the real runs use is exercised in
//     CI too.
//
// The scenarios (issue 7): CloneFirewall, p4lang's stateful firewall whose
// register values decide forwarding, cloned with `lime clone` (registers
// over Thrift, ports renumbered), checked with `lime diff`, and the same
// traffic checked on the copy; CloneGeneratedState, a generated state with
// groups, counters, meters, multicast and registers, cloned and diffed.
// MigrateWeighted moves onos-basic's WCMP selector with `lime migrate`
// while the controller keeps rewriting weighted groups through the proxy,
// and reads back what it wrote as bmv2 answers it (issue 15).
// GNMICLI runs openconfig's own gnmi_cli (built from the module proxy at
// a fixed version) against lime sim and through lime proxy (issue 15).
// lime runs as a user runs it: the binary is built once per test run (with
// the race detector under -race) and executed.
//
// Run them with "go test -race ./test/..."; as root for the veth variants
// (the real-bmv2 firewall needs veth pairs, so root, too).
package test
