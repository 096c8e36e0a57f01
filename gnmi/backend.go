package gnmi

import (
	"context"
	"errors"
	"time"
)

// OperStatus is an interface's oper-status, named as in the OpenConfig
// interfaces model.
type OperStatus string

// The OpenConfig oper-status values.
const (
	OperUp             OperStatus = "UP"
	OperDown           OperStatus = "DOWN"
	OperTesting        OperStatus = "TESTING"
	OperUnknown        OperStatus = "UNKNOWN"
	OperDormant        OperStatus = "DORMANT"
	OperNotPresent     OperStatus = "NOT_PRESENT"
	OperLowerLayerDown OperStatus = "LOWER_LAYER_DOWN"
)

// Valid reports whether o is one of the OpenConfig values.
func (o OperStatus) Valid() bool {
	switch o {
	case OperUp, OperDown, OperTesting, OperUnknown, OperDormant, OperNotPresent, OperLowerLayerDown:
		return true
	}
	return false
}

// Served is the oper-status the agent serves for o: what Stratum, whose
// paths ONOS reads, reports for a port in that state. Stratum knows a
// port as up, down or failed (stratum/hal/lib/common/common.proto, PortState) and
// names them UP, DOWN and LOWER_LAYER_DOWN
// (stratum/hal/lib/common/utils.cc, ConvertPortStateToString); on bmv2
// (stratum/hal/lib/bmv2/bmv2_chassis_manager.cc, GetPortState and the port
// status callback) and Tofino (stratum/hal/lib/barefoot/bf_sde_wrapper.cc)
// a port is up or down, nothing else, so an enabled port without a link is
// DOWN there; only Broadcom's linkscan reports failed, for a link fault
// (stratum/hal/lib/bcm/sdk/bcm_sdk_wrapper.cc). So every state but UP and
// UNKNOWN is served as DOWN: LOWER_LAYER_DOWN (no carrier, a veth whose
// peer is down, an unattached simulator port) as well as the kernel's
// DORMANT, TESTING and NOT_PRESENT.
func (o OperStatus) Served() OperStatus {
	switch o {
	case OperUp, OperUnknown:
		return o
	}
	return OperDown
}

// Counters are an interface's /state/counters, the OpenConfig set.
type Counters struct {
	InOctets           uint64
	InPkts             uint64
	InUnicastPkts      uint64
	InBroadcastPkts    uint64
	InMulticastPkts    uint64
	InDiscards         uint64
	InErrors           uint64
	InUnknownProtos    uint64
	InFCSErrors        uint64
	OutOctets          uint64
	OutPkts            uint64
	OutUnicastPkts     uint64
	OutBroadcastPkts   uint64
	OutMulticastPkts   uint64
	OutDiscards        uint64
	OutErrors          uint64
	CarrierTransitions uint64
}

// PortState is what a backend reports of one port.
type PortState struct {
	Name     string     // the OpenConfig interface name (list key)
	ID       uint32     // the P4Runtime port id (state/id, state/ifindex)
	Enabled  bool       // admin state (config/enabled, state/admin-status)
	Oper     OperStatus // state/oper-status
	Counters Counters
	// LastChange is when the oper state last changed; zero lets the agent
	// track it (the time it first saw the port, then each oper change it
	// observes).
	LastChange time.Time
}

// AdminStatus returns the OpenConfig admin-status: "UP" when enabled,
// "DOWN" otherwise.
func (p PortState) AdminStatus() string {
	if p.Enabled {
		return "UP"
	}
	return "DOWN"
}

// Ports is what the gNMI agent serves: the simulator's ports, Linux links,
// or bmv2 ports. Implementations must be safe for concurrent use.
type Ports interface {
	// Ports returns the current state of every port.
	Ports(ctx context.Context) ([]PortState, error)
	// SetEnabled sets a port's admin state. An unknown name gives an error
	// wrapping ErrUnknownPort.
	SetEnabled(ctx context.Context, name string, enabled bool) error
	// Watch registers notify, to be called (without blocking) after any
	// port's admin or oper state changes or a port comes or goes. The agent
	// then reads Ports again. The returned function cancels it.
	Watch(notify func()) (cancel func())
}

// ErrUnknownPort is wrapped by backends' errors for a name they do not
// have.
var ErrUnknownPort = errors.New("unknown port")
