package launch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Switch is a running simple_switch_grpc started by [Start].
type Switch struct {
	cfg     Config // defaulted, paths absolute
	mode    Mode
	argv    []string
	version string

	cmd     *exec.Cmd
	out     *tailBuffer
	done    chan struct{} // closed when the process has exited
	waitErr error         // the process's exit, valid after done

	stopOnce sync.Once
	stopErr  error
}

// Mode returns how the switch runs (ModeNative or ModeDocker).
func (s *Switch) Mode() Mode { return s.mode }

// Argv returns the command line that started it.
func (s *Switch) Argv() []string { return append([]string(nil), s.argv...) }

// DeviceID returns its device id (--device-id, the P4Runtime device id).
func (s *Switch) DeviceID() uint64 { return s.cfg.DeviceID }

// P4RuntimeVersion returns the version its Capabilities call reported.
func (s *Switch) P4RuntimeVersion() string { return s.version }

// GRPCAddr returns the address to dial its P4Runtime server at: loopback
// when it listens on every address (the default), else GRPCHost.
func (s *Switch) GRPCAddr() string {
	host := s.cfg.GRPCHost
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(s.cfg.GRPCPort))
}

// ThriftAddr returns the loopback address of its Thrift runtime server.
func (s *Switch) ThriftAddr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.cfg.ThriftPort))
}

// LogPath returns the file bmv2 logs to (the configured LogFile with the
// ".txt" bmv2 appends), or "" without a log file.
func (s *Switch) LogPath() string {
	if s.cfg.LogFile == "" {
		return ""
	}
	return s.cfg.LogFile + ".txt"
}

// Output returns the last few KiB the process wrote to stdout and stderr.
func (s *Switch) Output() string { return s.out.String() }

// Exit says how the process ended ("" while it runs): its wait status.
func (s *Switch) Exit() string {
	select {
	case <-s.done:
		return fmt.Sprint(s.waitErr)
	default:
		return ""
	}
}

// Done is closed when the process has exited.
func (s *Switch) Done() <-chan struct{} { return s.done }

// Stop ends the switch: SIGTERM, then SIGKILL if it has not exited after
// StopTimeout; in Docker mode "docker stop" (which does the same inside the
// container) and, if the container outlives that, "docker rm -f". It waits
// for the process, is safe to call more than once and returns nil for a
// switch that exits as asked or had already exited.
func (s *Switch) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Switch) stop() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	if s.mode == ModeDocker {
		return s.stopDocker()
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("launch: stop %s: SIGTERM: %w", s.name(), err)
	}
	select {
	case <-s.done:
		return nil
	case <-time.After(s.cfg.StopTimeout):
	}
	slog.Warn("launch: switch ignored SIGTERM, killing it", "switch", s.name(), "after", s.cfg.StopTimeout)
	if err := s.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("launch: stop %s: SIGKILL: %w", s.name(), err)
	}
	select {
	case <-s.done:
		return nil
	case <-time.After(s.cfg.StopTimeout):
		return fmt.Errorf("launch: stop %s: still running %v after SIGKILL", s.name(), s.cfg.StopTimeout)
	}
}

// stopDocker stops the container and waits for the docker CLI running it.
func (s *Switch) stopDocker() error {
	secs := int((s.cfg.StopTimeout + time.Second - 1) / time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.StopTimeout+dockerCommandSlack)
	defer cancel()
	stopOut, stopErr := exec.CommandContext(ctx, s.cfg.Docker, "stop", "-t", strconv.Itoa(secs), s.cfg.ContainerName).CombinedOutput()
	select {
	case <-s.done:
		return nil
	case <-time.After(s.cfg.StopTimeout):
	}
	// The container or its CLI outlived docker stop: remove it by force.
	ctx2, cancel2 := context.WithTimeout(context.Background(), dockerCommandSlack)
	defer cancel2()
	rmOut, rmErr := exec.CommandContext(ctx2, s.cfg.Docker, "rm", "-f", s.cfg.ContainerName).CombinedOutput()
	_ = s.cmd.Process.Kill()
	select {
	case <-s.done:
		return nil
	case <-time.After(s.cfg.StopTimeout):
	}
	return fmt.Errorf("launch: stop container %s: still running (docker stop: %v %s; docker rm -f: %v %s)",
		s.cfg.ContainerName, stopErr, firstLine(string(stopOut)), rmErr, firstLine(string(rmOut)))
}

// name identifies the switch in messages.
func (s *Switch) name() string {
	if s.mode == ModeDocker {
		return fmt.Sprintf("container %s (device %d)", s.cfg.ContainerName, s.cfg.DeviceID)
	}
	return fmt.Sprintf("simple_switch_grpc pid %d (device %d)", s.cmd.Process.Pid, s.cfg.DeviceID)
}

// exitReport describes an exited process with the tails of its output and
// log file.
func (s *Switch) exitReport() string {
	msg := fmt.Sprintf("%s exited (%v)", s.name(), s.waitErr)
	if out := s.out.String(); out != "" {
		msg += "; output ends:\n" + indent(out)
	}
	if lp := s.LogPath(); lp != "" {
		if tail := fileTail(lp, tailSize); tail != "" {
			msg += "\nlog " + lp + " ends:\n" + indent(tail)
		}
	}
	return msg
}
