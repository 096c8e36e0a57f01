// Package thrift speaks the part of bmv2's Thrift runtime API that lime needs
// and that P4Runtime on bmv2 lacks: register read, write and reset (bmv2
// answers UNIMPLEMENTED to P4Runtime register reads and writes), indirect
// counter read and write, and the device manager's port add, remove and list.
//
// It holds both ends of the wire:
//
//   - [Client] (from [Dial]) calls a running simple_switch_grpc, or any
//     server that speaks the same protocol;
//   - [Server] (or [Serve]) answers the same calls from a [Backend], so that
//     lime's in-process simulator can be reached exactly like real bmv2.
//
// # Wire protocol
//
// Everything follows bmv2's thrift_src/standard.thrift and its C++ server
// (src/bm_runtime/server.cpp): plain TCP, TBufferedTransport (no framing),
// TBinaryProtocol with strict writes, and TMultiplexedProtocol with the
// service name "standard", so a call travels as "standard:bm_register_read".
// Replies carry the bare method name. simple_switch has one context, id 0,
// which the client always sends. Register and counter names are the names in
// the bmv2 JSON (e.g. "MyIngress.reg"), not P4Runtime ids. The calls are
// written by hand over apache/thrift's protocol types; no code is generated.
//
// Declared exceptions (InvalidRegisterOperation, InvalidCounterOperation,
// InvalidDevMgrOperation, each a struct with field 1 "code") become the error
// codes [RegisterErrorCode], [CounterErrorCode] and [DevMgrErrorCode]; the
// client wraps them in an [OpError] naming the call and what it addressed.
//
// # Values and who truncates
//
// Register values travel as signed 64-bit integers (BmRegisterValue is i64)
// in both directions, and counter values (BmCounterValue bytes, packets) as
// i64 bit patterns of bmv2's unsigned counters. The client passes values
// through unchanged. Truncation to the register's bit width is the backend's
// job, as it is bmv2's: bmv2 masks a written value to the register's width
// (two's complement, so -1 written to a bit<8> register reads back as 255) and
// a read returns the stored, non-negative value. A [Backend] must do the same;
// [Truncate] does the masking. Registers wider than 63 bits can hold values
// that do not fit a signed i64: bmv2's answer for those is not their bit
// pattern, so treat such registers as out of reach of this API.
package thrift
