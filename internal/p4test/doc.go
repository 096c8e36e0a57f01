// Package p4test holds helpers for tests that work with P4Info and
// P4Runtime: renumbering a P4Info's ids the way a second compilation of the
// same program may ([Renumber]), generating valid device states ([Gen]) and
// the update type that creates each entity ([WriteType]), reading a shared
// fixture as a ForwardingPipelineConfig ([Config], [Index]), and the
// scale-bigtable write benchmarks every P4Runtime server runs
// ([BenchWriteBatch1000], [BenchMillionEntries]).
package p4test
