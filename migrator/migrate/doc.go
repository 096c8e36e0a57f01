// Package migrate runs the live migration of one virtual device from its
// source onto a target (DESIGN.md, "Migration of one virtual device"):
// validate, set the target's pipeline, attach it to the proxy as a mirror
// (recording writes), clone, catch up (dual-write from then on), verify,
// move the hosts one at a time, cut over; or abort before cutting over.
//
// As etcd's raft: the core is a state machine without I/O (Machine: which
// step comes next, what a success or a failure of each step leads to, what
// a restart resumes, what an abort undoes), with transcript tests under
// testdata; a Driver runs its actions against the proxy and the devices
// and records every transition in a Journal, so that a restarted migrator
// resumes where it stopped.
package migrate
