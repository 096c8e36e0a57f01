package launch

import (
	"errors"
	"fmt"
	"net"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Command returns the command line that runs the switch described by cfg,
// and the mode it runs in. It is pure: it probes nothing, so cfg.Mode must be
// ModeNative or ModeDocker ([Start] resolves ModeAuto with [Available]).
//
// Native:
//
//	simple_switch_grpc --device-id N --thrift-port T [-i P@iface ...]
//	    [--log-file F --log-flush] [--log-level L] [extra...] (JSON | --no-p4)
//	    -- --grpc-server-addr HOST:P [--cpu-port C] [target extra...]
//
// Docker (paths must be absolute, as docker -v needs):
//
//	docker run --rm --init --privileged --network host --name NAME
//	    [-v JSON:/lime/program/BASE:ro] [-v LOGDIR:LOGDIR] IMAGE
//	    simple_switch_grpc ...same options, JSON as /lime/program/BASE...
//
// --log-flush is added with a log file so that its tail is on disk when the
// switch dies early. --init lets the container's simple_switch_grpc receive
// SIGTERM on docker stop.
func Command(cfg Config) ([]string, Mode, error) {
	cfg = cfg.withDefaults()
	if cfg.Mode != ModeNative && cfg.Mode != ModeDocker {
		return nil, cfg.Mode, fmt.Errorf("launch: Command needs ModeNative or ModeDocker, not %v (Start resolves ModeAuto)", cfg.Mode)
	}
	if err := cfg.validate(); err != nil {
		return nil, cfg.Mode, err
	}
	jsonArg := cfg.JSON
	var docker []string
	if cfg.Mode == ModeDocker {
		docker = []string{cfg.Docker, "run", "--rm", "--init", "--privileged", "--network", "host", "--name", cfg.ContainerName}
		if len(cfg.CPUs) > 0 {
			docker = append(docker, "--cpuset-cpus", cpuList(cfg.CPUs))
		}
		if cfg.JSON != "" {
			if !filepath.IsAbs(cfg.JSON) {
				return nil, cfg.Mode, fmt.Errorf("launch: Docker mode needs an absolute JSON path, not %q", cfg.JSON)
			}
			jsonArg = path.Join(containerProgramDir, filepath.Base(cfg.JSON))
			docker = append(docker, "-v", cfg.JSON+":"+jsonArg+":ro")
		}
		if cfg.LogFile != "" {
			if !filepath.IsAbs(cfg.LogFile) {
				return nil, cfg.Mode, fmt.Errorf("launch: Docker mode needs an absolute LogFile path, not %q", cfg.LogFile)
			}
			dir := filepath.Dir(cfg.LogFile)
			docker = append(docker, "-v", dir+":"+dir)
		}
		docker = append(docker, cfg.Image)
	}
	bin := cfg.Binary
	if cfg.Mode == ModeDocker {
		bin = DefaultBinary // the image's binary, on its PATH
	}
	argv := []string{bin,
		"--device-id", strconv.FormatUint(cfg.DeviceID, 10),
		"--thrift-port", strconv.Itoa(cfg.ThriftPort),
	}
	ports := make([]int, 0, len(cfg.Interfaces))
	for p := range cfg.Interfaces {
		ports = append(ports, p)
	}
	slices.Sort(ports)
	for _, p := range ports {
		argv = append(argv, "-i", strconv.Itoa(p)+"@"+cfg.Interfaces[p])
	}
	if cfg.LogFile != "" {
		argv = append(argv, "--log-file", cfg.LogFile, "--log-flush")
	}
	if cfg.LogLevel != "" {
		argv = append(argv, "--log-level", cfg.LogLevel)
	}
	argv = append(argv, cfg.ExtraArgs...)
	if jsonArg != "" {
		argv = append(argv, jsonArg)
	} else {
		argv = append(argv, "--no-p4")
	}
	argv = append(argv, "--", "--grpc-server-addr", grpcAddr(cfg.GRPCHost, cfg.GRPCPort))
	if cfg.CPUPort != 0 {
		argv = append(argv, "--cpu-port", strconv.FormatUint(uint64(cfg.CPUPort), 10))
	}
	argv = append(argv, cfg.ExtraTargetArgs...)
	return append(docker, argv...), cfg.Mode, nil
}

// grpcAddr joins host and port, bracketing IPv6 hosts.
func grpcAddr(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// ErrUnavailable is wrapped by Start's error when neither a native
// simple_switch_grpc nor a Docker engine is available.
var ErrUnavailable = errors.New("launch: no way to run simple_switch_grpc here")

// cpuList is CPUs as Docker's --cpuset-cpus takes them: "0,2,3".
func cpuList(cpus []int) string {
	s := make([]string, len(cpus))
	for i, c := range cpus {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ",")
}
