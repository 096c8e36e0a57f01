package arbitration

import (
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Error is an arbitration refusal: the code the spec (or PI) answers with,
// and why. A server ends the stream, or fails the request, with it.
type Error struct {
	Code    codes.Code
	Message string
}

func errorf(c codes.Code, format string, args ...any) *Error {
	return &Error{Code: c, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string { return e.Message }

// GRPCStatus makes status.Code and status.Convert see the code.
func (e *Error) GRPCStatus() *status.Status { return status.New(e.Code, e.Message) }
