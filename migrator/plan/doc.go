// Package plan moves a whole network — many virtual devices and their
// hosts — onto a new set of switches as one ensemble (DESIGN.md, "Migration
// of a network").
//
// A plan file (YAML, see Parse) names every virtual device to move: its
// target, the target's pipeline, the port map, the trunk and the role of
// every mapped port (host, link to another device of the plan, CPU), and
// the host groups in the order they move. It is validated whole before
// anything is written, each problem named with its file line.
//
// As the per-device migration (package migrate), the core is a state
// machine without I/O (Machine): it drives one migrate.Machine per device
// and decides which of their steps may run now — validate every device
// first (all or nothing), then pipeline, mirror, clone, catch-up and
// verify on every device concurrently within a bound, then the new
// fabric's link ports and trunks up, then the host groups in order, then
// the cut over of every device once every host has moved, then the old
// network's links and trunks down; or, on abort, every host back (newest
// group first), the new fabric down, and every device undone. Transcript
// tests under testdata read like the design. A Driver runs the machine's
// tasks concurrently against a Runner (the proxy's service) and journals
// every transition, so that a restarted proxy resumes the plan.
package plan
