// Package p4 is lime's P4Runtime toolkit: everything a program needs to speak
// P4Runtime correctly, and nothing about migration.
//
// Its sub-packages:
//
//   - info: the P4Info index (every object kind by id and by name, match
//     fields and action parameters with widths and match kinds, which values
//     carry ports);
//   - canon: canonical bytestrings (P4Runtime spec, section "Bytestrings");
//   - entity: one stable identity per entity and equality of contents;
//   - translate: entities from one P4Info to another by name, and ports by map;
//   - client: a P4Runtime client on the raw p4/v1 API (arbitration, streaming
//     Read, batched Write with per-update errors, pipeline config).
package p4
