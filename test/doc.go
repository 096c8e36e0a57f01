// Package test holds lime's end-to-end tests: in-process topologies,
// network-namespace topologies with real Linux hosts, and optional runs
// against real bmv2.
package test
