package p4rt

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc/codes"

	"github.com/lime-p4/lime/p4/arbitration"
)

// The kinds of failure a Device reports. Every error a Device returns wraps
// exactly one of them (test with errors.Is); Server maps each to the gRPC
// code of the same name. An error that wraps none of them is an internal
// failure (gRPC UNKNOWN).
var (
	ErrInvalid            = errors.New("invalid argument")
	ErrNotFound           = errors.New("not found")
	ErrAlreadyExists      = errors.New("already exists")
	ErrPermission         = errors.New("permission denied")
	ErrExhausted          = errors.New("resource exhausted")
	ErrFailedPrecondition = errors.New("failed precondition")
	ErrOutOfRange         = errors.New("out of range")
	ErrUnimplemented      = errors.New("unimplemented")
	// ErrUnknown marks failures that bmv2 reports with the catch-all code
	// UNKNOWN (a target error), as opposed to a bug in the simulator.
	ErrUnknown = errors.New("unknown")
	// ErrAborted marks the updates of a ROLLBACK_ON_ERROR batch that did
	// not take effect because another update failed.
	ErrAborted = errors.New("aborted")
	// ErrUnavailable reports a device that is shutting down.
	ErrUnavailable = errors.New("unavailable")
	// ErrInternal marks a broken invariant of the simulator itself.
	ErrInternal = errors.New("internal error")
)

// errorf wraps kind with a message: errorf(ErrNotFound, "member %d", id)
// reads "member 7: not found".
func errorf(kind error, format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), kind)
}

// BatchError is the result of a Write in which at least one update failed:
// one entry per update of the request, nil for those that succeeded
// (P4Runtime spec section "Write RPC", "Error Reporting"). The Write as a
// whole is reported with the gRPC code UNKNOWN.
type BatchError struct {
	Errors []error
}

// Error summarises the failed updates.
func (e *BatchError) Error() string {
	n := 0
	var first error
	for _, err := range e.Errors {
		if err != nil {
			if first == nil {
				first = err
			}
			n++
		}
	}
	if first == nil {
		return "write: no update failed"
	}
	return fmt.Sprintf("write: %d of %d updates failed, first: %v", n, len(e.Errors), first)
}

// Failed counts the updates that failed.
func (e *BatchError) Failed() int {
	n := 0
	for _, err := range e.Errors {
		if err != nil {
			n++
		}
	}
	return n
}

// ReadError is the result of a Read in profile spec when some entities of
// the request could not be read: one entry per entity of the request, nil
// for those read (P4Runtime spec section "Read RPC", "Batch Processing").
type ReadError struct {
	Errors []error
}

// Error summarises the failed entities.
func (e *ReadError) Error() string {
	for i, err := range e.Errors {
		if err != nil {
			return fmt.Sprintf("read: entity %d: %v", i, err)
		}
	}
	return "read: no entity failed"
}

// kinds pairs each kind of failure with its canonical code
// (google.rpc.Code), the gRPC code of the same name.
var kinds = []struct {
	err  error
	code code.Code
}{
	{ErrInvalid, code.Code_INVALID_ARGUMENT},
	{ErrNotFound, code.Code_NOT_FOUND},
	{ErrAlreadyExists, code.Code_ALREADY_EXISTS},
	{ErrPermission, code.Code_PERMISSION_DENIED},
	{ErrExhausted, code.Code_RESOURCE_EXHAUSTED},
	{ErrFailedPrecondition, code.Code_FAILED_PRECONDITION},
	{ErrOutOfRange, code.Code_OUT_OF_RANGE},
	{ErrUnimplemented, code.Code_UNIMPLEMENTED},
	{ErrAborted, code.Code_ABORTED},
	{ErrUnavailable, code.Code_UNAVAILABLE},
	{ErrInternal, code.Code_INTERNAL},
	{context.Canceled, code.Code_CANCELLED},
	{context.DeadlineExceeded, code.Code_DEADLINE_EXCEEDED},
}

// codeOf maps an error to the canonical code of the kind it wraps; errors
// of no known kind are UNKNOWN.
func codeOf(err error) code.Code {
	if err == nil {
		return code.Code_OK
	}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k.code
		}
	}
	return code.Code_UNKNOWN
}

// asKind gives an error of p4/arbitration (which carries its code) as one
// of the Device's kinds, its message unchanged.
func asKind(err error) error {
	var ae *arbitration.Error
	if !errors.As(err, &ae) {
		return err
	}
	for _, k := range kinds {
		if codes.Code(k.code) == ae.Code {
			return &kindError{err: err, kind: k.err}
		}
	}
	return err
}

// kindError is an error that also wraps a kind.
type kindError struct{ err, kind error }

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.err, e.kind} }

// exactf is errorf for an error whose message must read exactly as PI's
// does (clients match on some of them): the kind is not appended.
func exactf(kind error, format string, args ...any) error {
	return &kindError{err: fmt.Errorf(format, args...), kind: kind}
}
