// Package canon implements P4Runtime's canonical bytestrings (P4Runtime
// specification, section 8.4 "Bytestrings"): a bit<W> value travels as a
// big-endian byte string; the canonical form is the shortest string that
// holds the value (a single zero byte for zero). Servers must accept any
// length that fits W bits and answer reads in canonical form, so two
// encodings of one value are the same value: code that compares, keys or
// de-duplicates entities must canonicalise first.
//
// The package also checks values against widths and the masking rules of
// LPM, ternary and range matches (spec section 9.1.1 "Match Format").
package canon
