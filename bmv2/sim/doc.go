// Package sim is an in-process software switch: it loads a bmv2 JSON and its
// P4Info, serves P4Runtime and gNMI, and forwards packets. It answers like
// bmv2 simple_switch_grpc (profile "bmv2") or like the P4Runtime
// specification where bmv2 lacks an optional feature (profile "spec").
//
// A Device joins four parts:
//
//   - p4rt: the P4Runtime server core (arbitration, pipeline, writes and
//     reads of every entity, stream messages), profile by profile;
//   - dataplane: the bmv2 JSON interpreter that forwards frames, keeping
//     table entries, counters, meters and registers;
//   - port: the device's ports (in-memory wires, test hosts, Linux
//     interfaces through AF_PACKET), with admin and oper state;
//   - gnmi: the OpenConfig interfaces agent over those ports, as Stratum
//     serves them.
//
// Each Device serves P4Runtime and gNMI on one gRPC server and listener, as
// a real switch serves one address (Serve); several Devices run in one
// process, each with its own listener. ServeThrift adds bmv2's Thrift
// runtime API (registers, counters, ports) on another listener, so that
// clients of real bmv2's Thrift fallback work against the simulator.
//
// Frames arriving on a port run through the active pipeline; outputs to the
// CPU port become PacketIns (the P4Runtime layer strips the packet_in
// header), a PacketOut enters on the CPU port with its packet_out header,
// digests and table hits go to the P4Runtime layer for DigestLists and idle
// timeouts. Before a pipeline is committed, arriving frames are dropped.
package sim
