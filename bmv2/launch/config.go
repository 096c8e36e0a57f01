package launch

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Mode is how simple_switch_grpc runs.
type Mode int

const (
	// ModeAuto, in a Config, lets Start choose: native if the binary is on
	// PATH, else Docker if an engine answers.
	ModeAuto Mode = iota
	// ModeNative runs the simple_switch_grpc binary directly.
	ModeNative
	// ModeDocker runs simple_switch_grpc in a container of the bmv2 image.
	ModeDocker
	// ModeUnavailable, from Available, means neither way can run here.
	ModeUnavailable
)

// String returns "auto", "native", "docker" or "unavailable".
func (m Mode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModeNative:
		return "native"
	case ModeDocker:
		return "docker"
	case ModeUnavailable:
		return "unavailable"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Defaults filled in for zero Config fields.
const (
	DefaultBinary       = "simple_switch_grpc"
	DefaultImage        = "p4lang/behavioral-model"
	DefaultDocker       = "docker"
	DefaultGRPCHost     = "0.0.0.0"
	DefaultGRPCPort     = 9559 // simple_switch_grpc's default
	DefaultThriftPort   = 9090 // bmv2's default
	DefaultStartTimeout = 30 * time.Second
	DefaultStopTimeout  = 5 * time.Second
)

// containerProgramDir is where Docker mode mounts the bmv2 JSON.
const containerProgramDir = "/lime/program"

// Config describes one simple_switch_grpc instance. Zero fields take the
// defaults above; give each instance its own ports.
type Config struct {
	Mode Mode // ModeAuto (zero) chooses at Start

	Binary        string // native binary, name on PATH or path; DefaultBinary
	Image         string // Docker image; DefaultImage
	Docker        string // docker CLI; DefaultDocker
	ContainerName string // Docker container name; "lime-bmv2-<device id>-<gRPC port>"

	DeviceID   uint64 // --device-id; also the P4Runtime device id
	GRPCHost   string // host part of --grpc-server-addr; DefaultGRPCHost
	GRPCPort   int    // P4Runtime port; DefaultGRPCPort
	ThriftPort int    // --thrift-port, bound on all interfaces; DefaultThriftPort
	// CPUPort is --cpu-port, the port for P4Runtime packet-in/out; 0 leaves
	// it out (no packet I/O), as 0 is not a valid CPU port.
	CPUPort uint32
	// Interfaces maps port numbers to Linux interfaces (-i port@iface).
	Interfaces map[int]string
	// CPUs are the CPUs the switch may run on (native: its affinity, set
	// as it starts; Docker: --cpuset-cpus); none: wherever the system
	// puts it. Benchmarks give each switch a CPU of its own.
	CPUs []int

	// LogFile is --log-file; bmv2 writes to LogFile+".txt". Empty: no log
	// file. In Docker mode its directory is mounted at the same path.
	LogFile string
	// LogLevel is --log-level: trace, debug, info, warn, error or off;
	// empty leaves bmv2's default (trace).
	LogLevel string

	// JSON is the bmv2 JSON to load at start; empty starts with --no-p4
	// and the pipeline is pushed later over P4Runtime. In Docker mode the
	// file is mounted read-only into the container.
	JSON string

	ExtraArgs       []string // more bmv2 options, before the JSON or --no-p4
	ExtraTargetArgs []string // more simple_switch_grpc options, after "--"

	StartTimeout time.Duration // to wait for P4Runtime; DefaultStartTimeout
	StopTimeout  time.Duration // between SIGTERM and SIGKILL; DefaultStopTimeout
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Binary == "" {
		c.Binary = DefaultBinary
	}
	if c.Image == "" {
		c.Image = DefaultImage
	}
	if c.Docker == "" {
		c.Docker = DefaultDocker
	}
	if c.GRPCHost == "" {
		c.GRPCHost = DefaultGRPCHost
	}
	if c.GRPCPort == 0 {
		c.GRPCPort = DefaultGRPCPort
	}
	if c.ThriftPort == 0 {
		c.ThriftPort = DefaultThriftPort
	}
	if c.ContainerName == "" {
		c.ContainerName = fmt.Sprintf("lime-bmv2-%d-%d", c.DeviceID, c.GRPCPort)
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.StopTimeout == 0 {
		c.StopTimeout = DefaultStopTimeout
	}
	return c
}

var logLevels = []string{"trace", "debug", "info", "warn", "error", "off"}

// validate checks a defaulted config for what bmv2 would refuse or
// misread, with an error naming the field.
func (c Config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for name, p := range map[string]int{"GRPCPort": c.GRPCPort, "ThriftPort": c.ThriftPort} {
		if p < 1 || p > 65535 {
			bad("%s %d is not a TCP port (1-65535)", name, p)
		}
	}
	if c.GRPCPort == c.ThriftPort {
		bad("GRPCPort and ThriftPort are both %d", c.GRPCPort)
	}
	for _, cpu := range c.CPUs {
		if cpu < 0 || cpu >= 1024 { // unix.CPUSet's size
			bad("CPU %d is not a CPU number (0-1023)", cpu)
		}
	}
	if strings.ContainsAny(c.GRPCHost, " \t\n") {
		bad("GRPCHost %q contains white space", c.GRPCHost)
	}
	ports := make([]int, 0, len(c.Interfaces))
	for p := range c.Interfaces {
		ports = append(ports, p)
	}
	slices.Sort(ports)
	ifaces := map[string]int{}
	for _, p := range ports {
		name := c.Interfaces[p]
		switch {
		case p < 0 || p > 1<<31-1:
			bad("interface %q: port %d out of range (0-%d)", name, p, 1<<31-1)
		case c.CPUPort != 0 && uint64(p) == uint64(c.CPUPort):
			bad("interface %q uses port %d, the CPU port (simple_switch_grpc forbids an interface on it)", name, p)
		}
		switch {
		case name == "":
			bad("port %d: empty interface name", p)
		case len(name) > 15:
			bad("port %d: interface name %q is longer than Linux's 15 characters", p, name)
		case strings.ContainsAny(name, "/ \t\n"):
			bad("port %d: interface name %q contains '/' or white space", p, name)
		}
		if q, dup := ifaces[name]; dup && name != "" {
			bad("interface %q given for ports %d and %d", name, q, p)
		}
		ifaces[name] = p
	}
	if c.LogLevel != "" && !slices.Contains(logLevels, c.LogLevel) {
		bad("LogLevel %q is not one of %s", c.LogLevel, strings.Join(logLevels, ", "))
	}
	if c.StartTimeout < 0 || c.StopTimeout < 0 {
		bad("negative StartTimeout or StopTimeout")
	}
	if c.Mode == ModeDocker && strings.ContainsAny(c.ContainerName, "/ \t\n") {
		bad("ContainerName %q contains '/' or white space", c.ContainerName)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("launch: bad config: %w", err)
	}
	return nil
}
