// Package pipelines holds lime's own P4 programs (P4_16 source for v1model)
// and, when they have been compiled, their bmv2 JSON and P4Info embedded with
// go:embed, with a loader that says clearly when an artifact is missing.
package pipelines
