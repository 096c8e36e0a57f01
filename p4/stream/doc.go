// Package stream is the server side of a P4Runtime StreamChannel (spec
// section 16 "P4Runtime Stream Messages"), shared by the simulator and the
// migration proxy: Outbound queues what a controller is sent (control
// messages are never dropped; packet-ins, digests and idle notifications
// are, beyond a limit, as a switch drops them when the controller lags) and
// records how the stream ended; Serve pumps a gRPC stream through a Conn.
package stream
