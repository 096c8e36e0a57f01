// Package hashalg implements the hash algorithms bmv2 offers to P4
// programs (calculations, checksums, action selectors and the v1model hash
// extern), bit for bit as behavioral-model computes them
// (src/bm_sim/calculations.cpp and crc_map.cpp): crc16, crc32, crcCCITT,
// csum16/cksum16, identity, xor16, xor32, xxh64, toeplitz, round_robin,
// round_robin_consistent, the *_custom CRCs with their default parameters,
// the named CRCs of bmv2's CRC map (crc_8 ... crc_64_jones) and CRCs
// described by a "poly_0x1..._init_..._xout_..._not_rev" string.
//
// Every algorithm yields a uint64 whatever its natural width, as bmv2's
// calculations do.
package hashalg
