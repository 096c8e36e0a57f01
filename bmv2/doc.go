// Package bmv2 holds everything specific to the bmv2 software switch:
// launching simple_switch_grpc natively or in Docker, device-config bytes,
// bmv2's Thrift runtime API (registers and ports, which P4Runtime on bmv2
// lacks), and, under sim, an in-process switch that loads bmv2 JSON + P4Info,
// speaks P4Runtime and gNMI and forwards packets.
package bmv2
