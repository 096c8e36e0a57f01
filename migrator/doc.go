// Package migrator is the migration engine: clone (snapshot, translate,
// ordered batched writes, log replay), diff, the mirroring P4Runtime proxy,
// state merge for counters and registers, and the migration state machine
// with its journal.
package migrator
