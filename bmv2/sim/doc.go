// Package sim is an in-process software switch: it loads a bmv2 JSON and its
// P4Info, serves P4Runtime and gNMI, and forwards packets. It answers like
// bmv2 simple_switch_grpc (profile "bmv2") or like the P4Runtime
// specification where bmv2 lacks an optional feature (profile "spec").
package sim
