// Package thrifttest provides an in-memory implementation of the bmv2 Thrift
// [thrift.Backend], for tests that need a bmv2-like Thrift server (register
// arrays, indirect counters, device-manager ports) without bmv2. It answers
// as simple_switch does: the same exception codes, registers truncated to
// their width, ports listed in port order. [Serve] serves any backend on
// loopback for the length of a test and [Dial] connects a client to it.
package thrifttest
