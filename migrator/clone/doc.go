// Package clone copies a device's whole P4Runtime state onto another device:
// snapshot the source (migrator/snapshot), translate every entity to the
// target's P4Info and ports (p4/translate), and write it to the target in
// dependency order, in pipelined batches (p4/client.BatchWriter).
//
// The clone is idempotent and resumable: before each kind it reads what the
// target already holds (keys and content hashes, not whole entities), skips
// what is already equal, MODIFYs what differs, INSERTs what is missing, and
// reports what the target holds that the source lacks (deleting it only when
// asked, after everything else, in reverse dependency order). An entity the
// target rejects is reported with its identity and the target's error; the
// clone goes on with the rest.
//
// Before any write, an optional pre-scan reads the source once, translating
// every entity without writing: a port the port map does not cover, or a
// match that no port map can translate, stops the clone with every such
// problem listed, and the counts give progress an ETA.
package clone
