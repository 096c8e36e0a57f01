package gnmi

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Kinds of request errors; the RPC handlers turn them into gRPC codes.
var (
	errInvalid     = errors.New("invalid argument")
	errNotFound    = errors.New("not found")
	errUnsupported = errors.New("unimplemented")
	errBackend     = errors.New("port backend failed")
	errAborted     = errors.New("aborted")
)

// toStatus maps an error from the request handling to a gRPC status.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	code := codes.Internal
	switch {
	case errors.Is(err, errInvalid):
		code = codes.InvalidArgument
	case errors.Is(err, errNotFound), errors.Is(err, ErrUnknownPort):
		code = codes.NotFound
	case errors.Is(err, errUnsupported):
		code = codes.Unimplemented
	case errors.Is(err, errAborted):
		code = codes.Aborted
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	case errors.Is(err, errBackend):
		code = codes.Unavailable
	}
	return status.Error(code, err.Error())
}
