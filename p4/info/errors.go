package info

import "fmt"

// Error is a problem found in a P4Info: What names the object concerned.
type Error struct {
	What string
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("p4info: %s: %v", e.What, e.Err) }

func (e *Error) Unwrap() error { return e.Err }
