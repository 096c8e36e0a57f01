package proxy

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The kinds of refusal the proxy makes itself; Server gives each its gRPC
// code. Errors from a backend keep the status the backend answered.
var (
	// ErrUnknownDevice: a request for a device id the proxy does not stand
	// for (NOT_FOUND).
	ErrUnknownDevice = errors.New("unknown device")
	// ErrMigrating: what a mirror attached forbids, such as a new pipeline
	// (FAILED_PRECONDITION).
	ErrMigrating = errors.New("a migration is in progress")
	// ErrNoPipeline: no forwarding pipeline is set (FAILED_PRECONDITION).
	ErrNoPipeline = errors.New("no forwarding pipeline config set")
	// ErrInvalid: a request the proxy cannot translate (INVALID_ARGUMENT).
	ErrInvalid = errors.New("invalid argument")
	// ErrPermission: a packet-out or ack from a controller that is not the
	// primary (PERMISSION_DENIED).
	ErrPermission = errors.New("permission denied")
	// ErrBackend: a backend answered something the proxy cannot pass on
	// (INTERNAL).
	ErrBackend = errors.New("backend failure")
	// ErrHeld: the device is held while the proxy restores its migration
	// (UNAVAILABLE): answering from the switches now could show the
	// controller a state it did not write.
	ErrHeld = errors.New("device unavailable")
	// ErrJournal: the journal did not keep what a write needs kept before
	// it is sent (UNAVAILABLE): nothing was written.
	ErrJournal = errors.New("journal unavailable")
)

// toStatus turns an error into the gRPC status a controller receives: a
// backend's own status passes through unchanged (with its details).
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codeOf(err), err.Error())
}

func codeOf(err error) codes.Code {
	switch {
	case errors.Is(err, ErrUnknownDevice):
		return codes.NotFound
	case errors.Is(err, ErrMigrating), errors.Is(err, ErrNoPipeline):
		return codes.FailedPrecondition
	case errors.Is(err, ErrInvalid):
		return codes.InvalidArgument
	case errors.Is(err, ErrPermission):
		return codes.PermissionDenied
	case errors.Is(err, ErrHeld), errors.Is(err, ErrJournal):
		return codes.Unavailable
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	}
	return codes.Internal
}
