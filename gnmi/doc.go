// Package gnmi holds lime's gNMI pieces for switch ports: a client that sets
// /interfaces/interface[name=X]/config/enabled, subscribes to oper-status and
// reads the P4Runtime port id, and a port agent (server) that serves the
// OpenConfig interface paths from a backend (the simulator, Linux links, or
// bmv2's Thrift port calls).
package gnmi
