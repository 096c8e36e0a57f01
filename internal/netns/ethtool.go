//go:build linux

package netns

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ethtoolValue is struct ethtool_value.
type ethtoolValue struct {
	cmd  uint32
	data uint32
}

// ifreqData is struct ifreq with the ifr_data member of its union.
type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [24 - unsafe.Sizeof(uintptr(0))]byte
}

// offload is one feature with its legacy ethtool get and set commands.
type offload struct {
	name     string
	get, set uint32
}

var offloads = []offload{
	{"generic-receive-offload", unix.ETHTOOL_GGRO, unix.ETHTOOL_SGRO},
	{"generic-segmentation-offload", unix.ETHTOOL_GGSO, unix.ETHTOOL_SGSO},
	{"tcp-segmentation-offload", unix.ETHTOOL_GTSO, unix.ETHTOOL_STSO},
	{"tx-checksumming", unix.ETHTOOL_GTXCSUM, unix.ETHTOOL_STXCSUM},
}

func ethtool(fd int, ifname string, v *ethtoolValue) error {
	var ifr ifreqData
	copy(ifr.name[:unix.IFNAMSIZ-1], ifname)
	ifr.data = unsafe.Pointer(v)
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr)))
	runtime.KeepAlive(v)
	if errno != 0 {
		return errno
	}
	return nil
}

// setOffloads turns GRO, GSO, TSO and TX checksumming of ifname (in the
// calling thread's namespace) on or off with the legacy ethtool ioctls.
func setOffloads(ifname string, on bool) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("ethtool socket: %w", err)
	}
	defer unix.Close(fd)
	var data uint32
	if on {
		data = 1
	}
	for _, f := range offloads {
		if err := ethtool(fd, ifname, &ethtoolValue{cmd: f.set, data: data}); err != nil {
			return fmt.Errorf("ethtool set %s=%v on %s: %w", f.name, on, ifname, err)
		}
	}
	return nil
}

// getOffloads reads the features setOffloads sets.
func getOffloads(ifname string) (map[string]bool, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("ethtool socket: %w", err)
	}
	defer unix.Close(fd)
	out := map[string]bool{}
	for _, f := range offloads {
		v := ethtoolValue{cmd: f.get}
		if err := ethtool(fd, ifname, &v); err != nil {
			return nil, fmt.Errorf("ethtool get %s of %s: %w", f.name, ifname, err)
		}
		out[f.name] = v.data != 0
	}
	return out, nil
}
