//go:build linux

package lab

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lime-p4/lime/bmv2/launch"
	"github.com/lime-p4/lime/bmv2/sim"
)

// TestStandInReadsLaunchCommand checks that the stand-in understands the
// command lines bmv2/launch builds for the BMv2 backend (the same argv a
// real simple_switch_grpc gets; see launch.Command, following bmv2's
// OptionsParser and simple_switch_grpc's main.cpp).
func TestStandInReadsLaunchCommand(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  launch.Config
		want standInArgs
	}{{
		name: "no ports",
		cfg:  launch.Config{Mode: launch.ModeNative, DeviceID: 2, GRPCHost: "127.0.0.1", GRPCPort: 50002, ThriftPort: 9092},
		want: standInArgs{deviceID: 2, thriftPort: 9092, grpcAddr: "127.0.0.1:50002", ifaces: map[uint32]string{}},
	}, {
		name: "ports, CPU port, log",
		cfg: launch.Config{Mode: launch.ModeNative, DeviceID: 1, GRPCHost: "127.0.0.1", GRPCPort: 50001, ThriftPort: 9091,
			CPUPort: 255, Interfaces: map[int]string{11: "veth11", 2: "veth2"}, LogFile: "/tmp/s1", LogLevel: "info"},
		want: standInArgs{deviceID: 1, thriftPort: 9091, grpcAddr: "127.0.0.1:50001", cpuPort: 255, logFile: "/tmp/s1",
			ports:  []sim.PortSpec{{Name: "veth2", ID: 2}, {Name: "veth11", ID: 11}},
			ifaces: map[uint32]string{2: "veth2", 11: "veth11"}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			argv, _, err := launch.Command(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseStandInArgs(argv[1:])
			if err != nil {
				t.Fatalf("%q: %v", argv, err)
			}
			if d := cmp.Diff(tc.want, got, cmp.AllowUnexported(standInArgs{})); d != "" {
				t.Errorf("%q (-want +got):\n%s", argv, d)
			}
		})
	}
}

// TestStandInRefuses checks that command lines the stand-in cannot honour
// are errors naming the problem, as bmv2's parser refuses bad options.
func TestStandInRefuses(t *testing.T) {
	base := []string{"--device-id", "1", "--thrift-port", "9091"}
	target := []string{"--", "--grpc-server-addr", "127.0.0.1:50001"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"program file", append(append(append([]string{}, base...), "/p/basic.json"), target...), "only starts with --no-p4"},
		{"no --no-p4", append(append([]string{}, base...), target...), "no --no-p4"},
		{"no gRPC address", append(append([]string{}, base...), "--no-p4"), "missing"},
		{"bad -i", append(append([]string{}, base...), "-i", "veth1", "--no-p4"), "not <port>@<interface>"},
		{"port twice", append(append([]string{}, base...), "-i", "1@a", "-i", "1@b", "--no-p4"), "port 1 given twice"},
		{"unknown option", append(append([]string{}, base...), "--pcap", "/tmp", "--no-p4"), `unknown option "--pcap"`},
		{"unknown target option", append(append(append([]string{}, base...), "--no-p4"), "--", "--drop-port", "511"), `unknown target option "--drop-port"`},
		{"CPU port 0", append(append(append([]string{}, base...), "--no-p4"), "--", "--grpc-server-addr", "127.0.0.1:1", "--cpu-port", "0"), "0 is not a valid CPU port"},
		{"interface on CPU port", append(append(append([]string{}, base...), "-i", "255@veth0", "--no-p4"), "--", "--grpc-server-addr", "127.0.0.1:1", "--cpu-port", "255"), "on the CPU port 255"},
		{"missing value", []string{"--device-id"}, "needs a value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := parseStandInArgs(tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parse %q = %+v, %v; want an error containing %q", tc.args, a, err, tc.want)
			}
		})
	}
}
