package launch

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCommand checks the command lines against simple_switch_grpc's option
// parsers: bmv2's OptionsParser (src/bm_sim/options_parse.cpp: --device-id,
// --thrift-port, -i <port>@<iface>, --log-file, --log-flush, --log-level,
// --no-p4, the JSON as positional argument, target options after "--") and
// simple_switch_grpc's main.cpp (--grpc-server-addr, --cpu-port, 0 not a
// valid CPU port).
func TestCommand(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string
	}{{
		name: "native defaults, no program",
		cfg:  Config{Mode: ModeNative},
		want: []string{"simple_switch_grpc", "--device-id", "0", "--thrift-port", "9090", "--no-p4",
			"--", "--grpc-server-addr", "0.0.0.0:9559"},
	}, {
		name: "native, everything",
		cfg: Config{
			Mode: ModeNative, Binary: "/opt/bmv2/bin/simple_switch_grpc",
			DeviceID: 3, GRPCPort: 50003, ThriftPort: 9093, CPUPort: 255,
			Interfaces: map[int]string{2: "s3-eth2", 1: "s3-eth1", 10: "veth10"},
			LogFile:    "/tmp/s3", LogLevel: "info", JSON: "/p/basic.json",
			ExtraArgs: []string{"--pcap", "/tmp/pcaps"}, ExtraTargetArgs: []string{"--drop-port", "511"},
		},
		want: []string{"/opt/bmv2/bin/simple_switch_grpc", "--device-id", "3", "--thrift-port", "9093",
			"-i", "1@s3-eth1", "-i", "2@s3-eth2", "-i", "10@veth10",
			"--log-file", "/tmp/s3", "--log-flush", "--log-level", "info",
			"--pcap", "/tmp/pcaps", "/p/basic.json",
			"--", "--grpc-server-addr", "0.0.0.0:50003", "--cpu-port", "255", "--drop-port", "511"},
	}, {
		name: "native, loopback gRPC, large device id",
		cfg:  Config{Mode: ModeNative, DeviceID: 1 << 40, GRPCHost: "127.0.0.1", GRPCPort: 1234, ThriftPort: 1235},
		want: []string{"simple_switch_grpc", "--device-id", "1099511627776", "--thrift-port", "1235", "--no-p4",
			"--", "--grpc-server-addr", "127.0.0.1:1234"},
	}, {
		name: "native, IPv6 gRPC host",
		cfg:  Config{Mode: ModeNative, GRPCHost: "::1"},
		want: []string{"simple_switch_grpc", "--device-id", "0", "--thrift-port", "9090", "--no-p4",
			"--", "--grpc-server-addr", "[::1]:9559"},
	}, {
		name: "docker, no program",
		cfg:  Config{Mode: ModeDocker, DeviceID: 1, GRPCPort: 50001, ThriftPort: 9091, CPUPort: 510},
		want: []string{"docker", "run", "--rm", "--init", "--privileged", "--network", "host", "--name", "lime-bmv2-1-50001",
			"p4lang/behavioral-model",
			"simple_switch_grpc", "--device-id", "1", "--thrift-port", "9091", "--no-p4",
			"--", "--grpc-server-addr", "0.0.0.0:50001", "--cpu-port", "510"},
	}, {
		name: "docker, program, log and interfaces",
		cfg: Config{
			Mode: ModeDocker, Image: "example/bmv2:1.15", Docker: "/usr/bin/docker", ContainerName: "s1",
			Binary:     "/ignored/in/docker",
			Interfaces: map[int]string{1: "veth1"}, LogFile: "/var/log/lime/s1", JSON: "/work/p/fabric.json",
			CPUs: []int{2, 5},
		},
		want: []string{"/usr/bin/docker", "run", "--rm", "--init", "--privileged", "--network", "host", "--name", "s1",
			"--cpuset-cpus", "2,5",
			"-v", "/work/p/fabric.json:/lime/program/fabric.json:ro", "-v", "/var/log/lime:/var/log/lime",
			"example/bmv2:1.15",
			"simple_switch_grpc", "--device-id", "0", "--thrift-port", "9090", "-i", "1@veth1",
			"--log-file", "/var/log/lime/s1", "--log-flush", "/lime/program/fabric.json",
			"--", "--grpc-server-addr", "0.0.0.0:9559"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, mode, err := Command(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if mode != tc.cfg.Mode {
				t.Errorf("mode %v, want %v", mode, tc.cfg.Mode)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("argv (-want +got):\n%s", d)
			}
		})
	}
}

// TestCommandRefuses checks that configurations bmv2 would refuse or
// misread are errors naming the problem.
func TestCommandRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"auto", Config{}, "needs ModeNative or ModeDocker, not auto"},
		{"unavailable", Config{Mode: ModeUnavailable}, "not unavailable"},
		{"same ports", Config{Mode: ModeNative, GRPCPort: 9090}, "GRPCPort and ThriftPort are both 9090"},
		{"port range", Config{Mode: ModeNative, GRPCPort: 70000}, "GRPCPort 70000 is not a TCP port"},
		{"negative thrift", Config{Mode: ModeNative, ThriftPort: -2}, "ThriftPort -2 is not a TCP port"},
		{"iface on cpu port", Config{Mode: ModeNative, CPUPort: 64, Interfaces: map[int]string{64: "veth0"}},
			`interface "veth0" uses port 64, the CPU port`},
		{"negative port", Config{Mode: ModeNative, Interfaces: map[int]string{-1: "veth0"}}, `interface "veth0": port -1 out of range`},
		{"empty iface", Config{Mode: ModeNative, Interfaces: map[int]string{1: ""}}, "port 1: empty interface name"},
		{"long iface", Config{Mode: ModeNative, Interfaces: map[int]string{1: "a-very-long-interface"}}, "longer than Linux's 15 characters"},
		{"iface with space", Config{Mode: ModeNative, Interfaces: map[int]string{1: "veth 1"}}, "contains '/' or white space"},
		{"iface twice", Config{Mode: ModeNative, Interfaces: map[int]string{1: "veth1", 2: "veth1"}}, `interface "veth1" given for ports 1 and 2`},
		{"log level", Config{Mode: ModeNative, LogLevel: "verbose"}, `LogLevel "verbose" is not one of trace, debug, info, warn, error, off`},
		{"docker relative json", Config{Mode: ModeDocker, JSON: "p/basic.json"}, `absolute JSON path, not "p/basic.json"`},
		{"docker relative log", Config{Mode: ModeDocker, LogFile: "s1"}, `absolute LogFile path, not "s1"`},
		{"docker bad name", Config{Mode: ModeDocker, ContainerName: "a/b"}, `ContainerName "a/b"`},
		{"negative CPU", Config{Mode: ModeNative, CPUs: []int{1, -1}}, "CPU -1 is not a CPU number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			argv, _, err := Command(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Command = %q, %v; want an error containing %q", argv, err, tc.want)
			}
		})
	}
}

func TestModeString(t *testing.T) {
	for m, want := range map[Mode]string{ModeAuto: "auto", ModeNative: "native", ModeDocker: "docker", ModeUnavailable: "unavailable", Mode(9): "Mode(9)"} {
		if got := m.String(); got != want {
			t.Errorf("Mode(%d).String() = %q, want %q", int(m), got, want)
		}
	}
}
