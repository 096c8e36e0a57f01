package port

// OperStatus is a port's operational state, named as in the OpenConfig
// interfaces model (oper-status).
type OperStatus uint8

const (
	// OperDown: the port is administratively disabled.
	OperDown OperStatus = iota
	// OperUp: the port is enabled and its attachment has carrier.
	OperUp
	// OperLowerLayerDown: the port is enabled but has no attachment or the
	// attachment has no carrier (peer disabled, host down, interface down).
	OperLowerLayerDown
)

// String returns the OpenConfig name: "UP", "DOWN" or "LOWER_LAYER_DOWN".
func (o OperStatus) String() string {
	switch o {
	case OperUp:
		return "UP"
	case OperDown:
		return "DOWN"
	case OperLowerLayerDown:
		return "LOWER_LAYER_DOWN"
	default:
		return "UNKNOWN"
	}
}

// Status is a port's admin and oper state at one moment.
type Status struct {
	Enabled bool       // admin state
	Carrier bool       // the attachment has carrier
	Oper    OperStatus // derived from Enabled and Carrier
}

func statusOf(enabled, carrier bool) Status {
	s := Status{Enabled: enabled, Carrier: carrier}
	switch {
	case !enabled:
		s.Oper = OperDown
	case carrier:
		s.Oper = OperUp
	default:
		s.Oper = OperLowerLayerDown
	}
	return s
}
