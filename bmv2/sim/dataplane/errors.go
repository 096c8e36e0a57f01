package dataplane

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors of the runtime API. Every error a Switch method returns
// wraps exactly one of them (test with errors.Is), so the P4Runtime layer
// can pick the status code; the message names the object and the problem.
var (
	// ErrNotFound: the table, entry, member, group, index, session or
	// object named does not exist (P4Runtime NOT_FOUND).
	ErrNotFound = errors.New("not found")
	// ErrExists: an entry with the same key (and priority), or an object
	// with the same id, is already there (P4Runtime ALREADY_EXISTS).
	ErrExists = errors.New("already exists")
	// ErrInvalid: the request is malformed for this program: wrong number
	// of key fields or parameters, a value wider than its field, bits set
	// outside a mask or prefix, a missing or needless priority, an action
	// the table does not have (P4Runtime INVALID_ARGUMENT).
	ErrInvalid = errors.New("invalid argument")
	// ErrFull: the table holds max_size entries (P4Runtime
	// RESOURCE_EXHAUSTED).
	ErrFull = errors.New("table full")
	// ErrConst: the table's entries or its default entry are fixed by the
	// program (P4Runtime PERMISSION_DENIED or INVALID_ARGUMENT, per the
	// P4Runtime layer's profile).
	ErrConst = errors.New("immutable")
	// ErrInUse: the member or group is still referenced by a group or a
	// table entry (P4Runtime FAILED_PRECONDITION).
	ErrInUse = errors.New("in use")
)

// UnsupportedError lists every construct of a bmv2 JSON program that the
// dataplane cannot execute. Load returns it instead of skipping anything.
type UnsupportedError struct {
	Constructs []string
}

// Error lists the unsupported constructs.
func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("dataplane: %d unsupported construct(s): %s", len(e.Constructs), strings.Join(e.Constructs, "; "))
}

// problems collects load-time errors (malformed references) and
// unsupported constructs while compiling, so that Load reports all of them
// at once.
type problems struct {
	invalid     []string
	unsupported []string
}

func (p *problems) bad(format string, args ...any) {
	p.invalid = append(p.invalid, fmt.Sprintf(format, args...))
}

func (p *problems) unsup(format string, args ...any) {
	p.unsupported = append(p.unsupported, fmt.Sprintf(format, args...))
}

func (p *problems) err() error {
	if len(p.invalid) > 0 {
		msg := strings.Join(p.invalid, "; ")
		if len(p.unsupported) > 0 {
			msg += "; also unsupported: " + strings.Join(p.unsupported, "; ")
		}
		return fmt.Errorf("dataplane: invalid program: %s", msg)
	}
	if len(p.unsupported) > 0 {
		return &UnsupportedError{Constructs: p.unsupported}
	}
	return nil
}
