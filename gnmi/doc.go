// Package gnmi is lime's gNMI port agent: a gNMI server for switch ports
// that serves the OpenConfig interfaces model the way Stratum does, so that
// ONOS's gNMI drivers and lime's own client work against the simulator,
// Linux links or bmv2 alike.
//
// A Server serves one Ports backend (see gnmi/simports for the simulator's
// ports, gnmi/linkports for Linux links) under
// /interfaces/interface[name=X]:
//
//   - config/enabled, settable with a typed bool_val (update, replace;
//     delete restores the default, true);
//   - state/admin-status and state/oper-status (ON_CHANGE), state/id and
//     state/ifindex (the P4Runtime port id), state/last-change,
//     state/counters/*, plus name, config/name, state/name, state/enabled.
//
// Paths are read by their elem; a path that also carries the deprecated
// element field (openconfig's gnmi_cli sends both) is read by its elem, as
// Stratum reads it, and one with element alone is refused.
//
// It implements Capabilities, Get (PROTO, JSON and JSON_IETF, leaves and
// subtrees, wildcards), Set (atomic over its updates) and Subscribe (ONCE,
// POLL, and STREAM with ON_CHANGE, SAMPLE, TARGET_DEFINED, heartbeats and
// suppress_redundant). It is built on openconfig/gnmi's cache, match and
// coalesce packages: the agent reads the backend when it reports a change,
// when a request needs fresh values, and every Options.RefreshInterval (for
// counters), and writes every leaf into the cache, which passes the values
// that changed to the subscriptions following them.
//
// The cache imports glog, which starts a flush goroutine when loaded: tests
// of packages importing this one that use goleak should ignore
// "github.com/golang/glog.(*fileSink).flushDaemon".
//
// The client for these paths is gnmi/client.
package gnmi
