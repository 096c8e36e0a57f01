// Package difftest holds the simulator's bmv2 profile to real bmv2
// (issue 16): the same seeded random P4Runtime sessions are sent to a
// simulated switch (bmv2/sim, profile bmv2) and to real simple_switch_grpc
// (../shared/tools/bmv2), and their answers are compared request by request.
//
// A session ([Session]) is a list of [Step]s, each one request a controller
// makes: an arbitration on one of a few streams, a controller leaving, a
// SetForwardingPipelineConfig, a Write or a Read. [Generate] makes one from
// a seed for a program: pipeline pushes (good, and with bad fields), writes
// of every entity kind with good and bad fields (unknown ids, wrong widths,
// missing parts, every update type, every atomicity, batches that mix them),
// wildcard and filtered reads, arbitration with good and bad election ids.
//
// Each switch's answer to a step is an [Answer]: the gRPC code, the
// canonical code of every update of a failed batch, the entities a read
// returned (as the specification allows, in any order: they are sorted) and,
// for an arbitration, the stream messages it caused. Messages are shown,
// not compared: the simulator words its errors itself.
//
// When the answers to a step differ, [Minimize] finds the shortest session
// that still shows a difference (delta debugging, Zeller's ddmin, over the
// steps before it, each candidate replayed on both switches from a fresh
// pipeline) and the test prints it as a reproduction. Differences that are
// kept on purpose are listed in [Documented] and in bmv2/sim/README.md; a
// test checks the two lists agree.
//
// The packet twin plays packets on the same two kinds of switch, each a
// whole device with a host on a veth pair per port: a [Scenario] (a state
// written to both, then [Input]s: frames on host ports and packet-outs),
// made by [GenerateScenario] from a seed with frames a [FrameGen] draws
// from the program's parser, or one of lime's tests' scenarios. Each
// input's [Outcome] (frames out by port, packet-ins, digests) must agree,
// then the counters and registers; a divergence is shrunk with the same
// delta debugging over the state and the inputs. [DocumentedPackets] lists
// the data-plane differences the test knows. The two switches' clocks
// differ, so what holds a time ([TimesOf]: the fields and registers the
// clock's values flow into, found in the bmv2 JSON) compares by being set
// or zero: register cells, and header fields of the frames a program
// emits, found there with the program's own parser ([FrameTimes]).
//
// The tests run every program of ../shared/pipelines with a few seeds and
// short sessions in `make test`, and longer with LIME_DIFFTEST_SEEDS,
// LIME_DIFFTEST_STEPS and LIME_DIFFTEST_FRAMES (`make fuzz`);
// LIME_DIFFTEST_SEED replays one seed of the packet test. Inputs on which a
// program's P4 assert fails in the simulator are not sent to real bmv2,
// which aborts on them.
package difftest
