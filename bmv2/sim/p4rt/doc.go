// Package p4rt is the P4Runtime server of the simulator: one Device per
// simulated switch, answering the P4Runtime specification (p4lang/p4runtime
// docs/v1/P4Runtime-Spec.adoc, v1.5.0) the way bmv2 simple_switch_grpc with
// PI does (profile "bmv2", the default) or, where bmv2 lacks an optional
// feature, the way the specification describes it (profile "spec").
//
// # Layout
//
// The device core is plain Go methods over a state struct: Device.Write,
// Device.Read, Device.SetPipeline, Device.GetPipeline, Device.Arbitrate and
// friends take and return p4.v1 messages and Go errors. Errors are wrapped
// with %w around the sentinel errors of errors.go (ErrInvalid, ErrNotFound,
// ...); only Server, the gRPC service in server.go, turns them into gRPC
// status codes, with the per-update p4.v1.Error details the specification's
// section "Error Reporting Messages" asks for.
//
// The P4Runtime layer keeps what P4Runtime must read back byte-exact: the
// written table entries (canonicalised), controller_metadata, metadata,
// idle timeouts, meter configurations, action-profile members and groups,
// PRE entries, digest configurations and value sets. Forwarding and the
// values packets change (counters, meter state, registers) belong to a
// [Target]: the simulator's data plane, or [MemoryTarget], which keeps
// counters and registers in memory and forwards nothing.
//
// # Devices and addresses
//
// A Device is one P4Runtime device (one device_id). [Server] serves one
// Device on one gRPC server, as real switches use one address per device;
// several devices in one process each get their own listener. Requests that
// name another device_id are refused as bmv2 or the specification would.
//
// # Profiles
//
// ProfileBMv2 answers exactly as simple_switch_grpc 1.15 with PI 0.1.2
// (Capabilities 1.3.0; only CONTINUE_ON_ERROR; registers and value sets
// UNIMPLEMENTED; a Read stops at the first failing entity and answers in one
// message; ...). ProfileSpec adds the optional features: ROLLBACK_ON_ERROR,
// register and value-set reads and writes, roles, reads streamed in several
// messages with per-entity error details.
package p4rt
