//go:build linux

package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lime-p4/lime/bmv2/launch"
	"github.com/lime-p4/lime/bmv2/sim"
	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/bmv2/sim/port"
)

// StandInEnv, set in a test binary's environment, makes its TestMain run
// [RunStandIn] instead of the tests: the binary then acts as
// simple_switch_grpc.
const StandInEnv = "LIME_E2E_STANDIN_BMV2"

// Bounds of a stand-in switch's life: it ends on SIGTERM or SIGINT (as
// launch stops it), when the process that started it is gone, or after
// standInLifetime in any case.
const (
	standInLifetime  = 15 * time.Minute
	standInParentTry = time.Second
	standInStopWait  = 3 * time.Second
)

// StandInRequested reports whether this process was started as a stand-in
// simple_switch_grpc (see StandInEnv).
func StandInRequested() bool { return os.Getenv(StandInEnv) != "" }

// StandInBMv2 returns the BMv2 backend with this test binary standing in for
// the simple_switch_grpc executable: launch starts it with bmv2's command
// line, and the binary's TestMain, seeing StandInEnv, serves a bmv2/sim
// device (bmv2 profile) instead of running tests. The test's TestMain must
// call RunStandIn when StandInRequested.
func StandInBMv2(t *testing.T) BMv2 {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("lab: the stand-in needs this test binary's path: %v", err)
	}
	t.Setenv(StandInEnv, "1")
	return BMv2{Mode: launch.ModeNative, Binary: self, Label: "bmv2/stand-in (bmv2/sim behind simple_switch_grpc's command line)"}
}

// standInArgs is what the stand-in understood of its command line.
type standInArgs struct {
	deviceID   uint64
	thriftPort int
	grpcAddr   string
	cpuPort    uint32
	logFile    string
	ports      []sim.PortSpec
	ifaces     map[uint32]string
}

// parseStandInArgs reads the command line bmv2/launch builds, the way
// bmv2's OptionsParser (src/bm_sim/options_parse.cpp) and
// simple_switch_grpc's main.cpp read it: bmv2 options, then --no-p4 (the
// stand-in cannot load a bmv2 JSON without its P4Info, so a program must
// come over P4Runtime), then "--" and the target options. Anything else is
// refused with an error naming it.
func parseStandInArgs(args []string) (standInArgs, error) {
	a := standInArgs{ifaces: map[uint32]string{}}
	target, noP4 := false, false
	var haveDevice, haveThrift bool
	for i := 0; i < len(args); i++ {
		arg := args[i]
		value := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("option %s needs a value", arg)
			}
			i++
			return args[i], nil
		}
		var v string
		var err error
		switch {
		case arg == "--" && !target:
			target = true
		case target && arg == "--grpc-server-addr":
			a.grpcAddr, err = value()
		case target && arg == "--cpu-port":
			if v, err = value(); err == nil {
				var n uint64
				n, err = strconv.ParseUint(v, 10, 32)
				if err == nil && n == 0 {
					err = errors.New("0 is not a valid CPU port")
				}
				a.cpuPort = uint32(n)
			}
		case target:
			err = fmt.Errorf("unknown target option %q", arg)
		case arg == "--device-id":
			if v, err = value(); err == nil {
				a.deviceID, err = strconv.ParseUint(v, 10, 64)
				haveDevice = true
			}
		case arg == "--thrift-port":
			if v, err = value(); err == nil {
				a.thriftPort, err = strconv.Atoi(v)
				haveThrift = true
			}
		case arg == "-i":
			if v, err = value(); err == nil {
				err = a.addInterface(v)
			}
		case arg == "--log-file":
			a.logFile, err = value()
		case arg == "--log-level":
			_, err = value() // the stand-in logs at info
		case arg == "--log-flush":
		case arg == "--no-p4":
			noP4 = true
		case strings.HasPrefix(arg, "-"):
			err = fmt.Errorf("unknown option %q", arg)
		default:
			err = fmt.Errorf("program %q: the stand-in only starts with --no-p4 (its pipeline comes over P4Runtime)", arg)
		}
		if err != nil {
			return a, fmt.Errorf("%s: %w", arg, err)
		}
	}
	switch {
	case !noP4:
		return a, errors.New("no --no-p4")
	case !haveDevice || !haveThrift || a.grpcAddr == "":
		return a, errors.New("missing --device-id, --thrift-port or --grpc-server-addr")
	case a.cpuPort != 0 && a.ifaces[a.cpuPort] != "":
		return a, fmt.Errorf("interface %s is on the CPU port %d", a.ifaces[a.cpuPort], a.cpuPort)
	}
	return a, nil
}

// addInterface records "-i N@iface".
func (a *standInArgs) addInterface(v string) error {
	num, iface, ok := strings.Cut(v, "@")
	if !ok || iface == "" {
		return fmt.Errorf("%q is not <port>@<interface>", v)
	}
	n, err := strconv.ParseUint(num, 10, 32)
	if err != nil {
		return fmt.Errorf("%q: port number: %w", v, err)
	}
	if a.ifaces[uint32(n)] != "" {
		return fmt.Errorf("port %d given twice", n)
	}
	a.ifaces[uint32(n)] = iface
	a.ports = append(a.ports, sim.PortSpec{Name: iface, ID: uint32(n)})
	return nil
}

// RunStandIn runs a stand-in simple_switch_grpc with the given arguments
// until SIGTERM or SIGINT and returns the process exit status: a bmv2/sim
// device (bmv2 profile) with a port attached by AF_PACKET to each -i
// interface, P4Runtime on --grpc-server-addr and bmv2's Thrift runtime API
// on 127.0.0.1:--thrift-port (real bmv2 binds every address; the stand-in
// keeps to loopback). Errors go to stderr, as bmv2's do.
func RunStandIn(args []string) int {
	a, err := parseStandInArgs(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error while parsing command line arguments:", err)
		return 1
	}
	if err := serveStandIn(a); err != nil {
		fmt.Fprintln(os.Stderr, "stand-in simple_switch_grpc:", err)
		return 1
	}
	return 0
}

func serveStandIn(a standInArgs) error {
	var logw io.Writer = io.Discard
	if a.logFile != "" {
		f, err := os.Create(a.logFile + ".txt") // bmv2 appends .txt
		if err != nil {
			return err
		}
		defer f.Close()
		logw = f
	}
	log := slog.New(slog.NewTextHandler(logw, nil))
	dev, err := sim.New(sim.Options{Name: fmt.Sprintf("standin%d", a.deviceID), DeviceID: a.deviceID,
		Profile: p4rt.ProfileBMv2, Ports: a.ports, CPUPort: a.cpuPort, Logger: log})
	if err != nil {
		return err
	}
	defer dev.Close()
	for _, ps := range a.ports {
		iface, err := port.AttachInterface(dev.Port(ps.Name), ps.Name, port.WithLogger(log))
		if err != nil {
			return fmt.Errorf("-i %d@%s: %w", ps.ID, ps.Name, err)
		}
		defer iface.Close()
	}
	tl, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(a.thriftPort)))
	if err != nil {
		return fmt.Errorf("thrift port: %w", err)
	}
	gl, err := net.Listen("tcp", a.grpcAddr)
	if err != nil {
		tl.Close()
		return fmt.Errorf("p4runtime address: %w", err)
	}
	go dev.ServeThrift(tl)
	go dev.Serve(gl)
	log.Info("stand-in simple_switch_grpc serving", "p4runtime", gl.Addr(), "thrift", tl.Addr(), "ports", len(a.ports))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, standInLifetime)
	defer cancel()
	parent := os.Getppid()
	tick := time.NewTicker(standInParentTry)
	defer tick.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
			if os.Getppid() != parent {
				log.Info("stand-in: the process that started it is gone")
				cancel()
			}
		}
	}
	sctx, scancel := context.WithTimeout(context.Background(), standInStopWait)
	defer scancel()
	dev.Shutdown(sctx)
	return nil
}
