// Package launch starts and stops bmv2's simple_switch_grpc for lime: the
// native binary when it is on PATH, else the p4lang/behavioral-model Docker
// image. It builds the command line from a [Config] ([Command], a pure
// function), checks beforehand that the ports are free (a second bmv2 on a
// taken Thrift port hangs instead of exiting), waits until P4Runtime answers
// a Capabilities call, reports an early exit with the tail of the switch's
// output and log, and stops the switch cleanly ([Switch.Stop]).
//
// [Available] says which way of running bmv2 this machine offers: a native
// binary, a Docker engine that answers (a docker CLI alone is not enough), or
// neither, and why. Tests that need a real switch call it and skip with its
// reason.
//
// Command-line flags follow simple_switch_grpc's main.cpp and bmv2's
// OptionsParser: bmv2 options first (--device-id, --thrift-port, -i
// N@iface, --log-file, --log-level, --log-flush), then the JSON path or
// --no-p4, then "--" and the target options (--grpc-server-addr, --cpu-port).
// bmv2 appends ".txt" to the --log-file name ([Switch.LogPath]).
package launch
