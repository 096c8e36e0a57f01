// Package entity gives every P4Runtime entity one stable identity and
// compares entity contents.
//
// A Key identifies what the P4Runtime spec treats as one entity (section 9
// "P4Runtime Entities"): a table entry is its table, match and priority (the
// default entry its table alone); an action-profile member or group its
// profile and id; a counter, meter or register cell its array and index; a
// direct counter or meter cell its table entry; a multicast group or clone
// session its id; a digest config or value set its id. Keys use canonical
// bytestrings and sorted match fields, so two encodings of one entity have
// one key. Diffs, write-log replay and de-duplication all key by Key.
//
// Normalize rewrites an entity into one canonical form (canonical bytes,
// match fields, params, group members and replicas sorted); Equal compares
// configuration after normalisation, leaving out volatile values (counter
// data, meter colour counts, register data, time since last hit), which
// VolatileEqual compares on their own. Diff names the fields that differ.
package entity
