// Package info indexes a P4Info (P4Runtime specification, section 6 "P4Info
// Overview"): every object kind by id and by name (fully qualified name or
// unique alias), match fields and action parameters with their P4Runtime
// bit widths and match kinds, which tables need a priority, and which values
// carry switch ports.
//
// An Info is immutable after New and safe for concurrent use. New checks the
// P4Info's internal references (action refs, implementations, direct
// resources, type names) and rejects duplicates, naming the offender.
package info
