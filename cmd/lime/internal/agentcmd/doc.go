// Package agentcmd is `lime agent`: the gNMI port agent for a plain bmv2
// switch, which has no working gNMI of its own. It serves the OpenConfig
// interface paths (gnmi.Server) over the bmv2 backend (gnmi/bmv2ports):
// setting config/enabled removes or adds the bmv2 port over Thrift and sets
// the Linux interface down or up; oper-status follows the link and bmv2
// with ON_CHANGE notifications. The migrator then moves hosts on bmv2 the
// same way as on Stratum.
package agentcmd
