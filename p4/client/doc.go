// Package client is a P4Runtime client built directly on the generated
// p4.v1 gRPC API (github.com/p4lang/p4runtime/go/p4/v1). It knows nothing of
// P4Info or migration: it moves raw p4.v1 messages and decodes the server's
// answers.
//
// What it offers:
//
//   - [Dial]: a connection with explicit transport security (insecure, TLS
//     with a CA, or mutual TLS), a raised receive limit (bmv2 answers a Read in
//     one message) and keepalive;
//   - [Client.Arbitrate]: the StreamChannel session of the P4Runtime spec,
//     section "Client Arbitration and Controller Replication": primary or
//     backup, mastership changes, packet-in, digests, idle-timeout
//     notifications and stream errors as bounded channels, packet-out and
//     digest acks;
//   - [Client.Read]: a streaming Read as an iterator that holds at most one
//     ReadResponse at a time, and [Client.ReadAll];
//   - [Client.Write]: a batched Write that carries the device id, election id
//     and role on every request and decodes the per-update p4.v1.Error details
//     (spec section "Error Reporting Messages") into a [WriteError];
//   - [BatchWriter]: a pipelined writer with several batches in flight and a
//     Flush barrier, for streaming very many updates;
//   - [Client.SetPipeline], [Client.GetPipeline] and [Client.Capabilities].
package client
