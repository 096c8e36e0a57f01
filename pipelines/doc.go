// Package pipelines holds lime's own P4 programs and loads compiled P4
// programs for the rest of lime.
//
// Each program lives in a folder of its own beside this file (lime_l2 and
// lime_router, see their README.md): its P4_16 source for v1model and its
// bmv2 JSON and P4Info in text format, compiled with the p4c shared beside
// the checkout and committed. The folders are embedded with go:embed, so the
// lime binary carries them. [Get] returns an embedded program; when its
// compiled files are missing it returns an error that matches
// [ErrNotCompiled] and names the missing files and how to make them.
//
// [LoadDir] loads a compiled program from any folder on disk (the shared test
// fixtures, or a user's own program): a bmv2 JSON, a P4Info in text, binary or
// JSON form, and an optional cpu_port.txt. Every P4Info is parsed into
// p4.config.v1.P4Info and checked on load, so a broken file is reported by
// name instead of failing later in a switch.
package pipelines
