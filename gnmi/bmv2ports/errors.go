package bmv2ports

import (
	"errors"
	"fmt"
)

// Step is one step of enabling or disabling a port.
type Step string

// The steps SetEnabled takes (see the package documentation for their
// order).
const (
	StepShowPorts Step = "bm_dev_mgr_show_ports"
	StepAddPort   Step = "bm_dev_mgr_add_port"
	StepLinkUp    Step = "set link up"
	StepLinkDown  Step = "set link down"
)

// ErrNoLink is wrapped by errors about a port whose Linux interface does
// not exist in its namespace.
var ErrNoLink = errors.New("interface not found")

// ErrConflict is wrapped by errors about bmv2 holding a port's number or
// interface in another attachment than the configured one.
var ErrConflict = errors.New("bmv2 attaches the port differently")

// StepError is the error of a SetEnabled that failed part way: which port,
// which step failed and why, and how undoing the steps already taken went.
type StepError struct {
	Port    Port
	Enable  bool  // the admin state asked for
	Step    Step  // the step that failed
	Err     error // why it failed
	Undone  []Step
	UndoErr error // nil when every step already taken was undone
}

// Error reads e.g. `bmv2ports: enable port "h1" (id 1, interface p1):
// bm_dev_mgr_add_port: <cause>; undone: set link up`.
func (e *StepError) Error() string {
	verb := "disable"
	if e.Enable {
		verb = "enable"
	}
	s := fmt.Sprintf("bmv2ports: %s port %q (id %d, interface %s): %s: %v", verb, e.Port.Name, e.Port.ID, e.Port.Iface, e.Step, e.Err)
	if e.UndoErr != nil {
		return s + "; undo failed, the port is left half changed: " + e.UndoErr.Error()
	}
	for i, u := range e.Undone {
		if i == 0 {
			s += "; undone: "
		} else {
			s += ", "
		}
		s += string(u)
	}
	return s
}

// Unwrap returns the cause and the undo's failure, if any.
func (e *StepError) Unwrap() []error {
	if e.UndoErr != nil {
		return []error{e.Err, e.UndoErr}
	}
	return []error{e.Err}
}
