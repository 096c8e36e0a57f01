// Package netns makes Linux network namespaces and veth pairs for tests, so
// that hosts with their own kernel network stacks can send real traffic
// (through the simulator's AF_PACKET ports, for instance).
//
// Everything a test makes is named uniquely (namespaces "lime-<pid>-<n>")
// and removed by t.Cleanup, also when the test fails. Addresses are only
// ever assigned inside namespaces the test made. Sockets are opened inside
// a namespace from Go (setns on a locked OS thread), so ping and UDP need no
// external tools; Exec runs a command with "ip netns exec" for the rest.
//
// The helpers need root (CAP_SYS_ADMIN and CAP_NET_ADMIN); New skips the
// test, saying what is missing, when namespaces cannot be made.
package netns
