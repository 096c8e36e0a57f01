package thrift

import (
	"errors"
	"fmt"
	"strconv"
)

// RegisterErrorCode is bmv2's RegisterOperationErrorCode, the code carried by
// an InvalidRegisterOperation exception. It is an error, so a backend can
// return it (wrapped or not) and a caller can test for it with errors.Is.
type RegisterErrorCode int32

// The register error codes of standard.thrift.
const (
	RegisterInvalidName  RegisterErrorCode = 1 // INVALID_REGISTER_NAME
	RegisterInvalidIndex RegisterErrorCode = 2 // INVALID_INDEX
	RegisterFailed       RegisterErrorCode = 3 // ERROR
)

// String returns the enum name used in standard.thrift, or "code(N)".
func (c RegisterErrorCode) String() string {
	return enumName(int32(c), "INVALID_REGISTER_NAME", "INVALID_INDEX", "ERROR")
}

// Error names the exception and its code, e.g.
// "InvalidRegisterOperation INVALID_INDEX".
func (c RegisterErrorCode) Error() string { return "InvalidRegisterOperation " + c.String() }

// CounterErrorCode is bmv2's CounterOperationErrorCode, the code carried by
// an InvalidCounterOperation exception.
type CounterErrorCode int32

// The counter error codes of standard.thrift.
const (
	CounterInvalidName  CounterErrorCode = 1 // INVALID_COUNTER_NAME
	CounterInvalidIndex CounterErrorCode = 2 // INVALID_INDEX
	CounterFailed       CounterErrorCode = 3 // ERROR
)

// String returns the enum name used in standard.thrift, or "code(N)".
func (c CounterErrorCode) String() string {
	return enumName(int32(c), "INVALID_COUNTER_NAME", "INVALID_INDEX", "ERROR")
}

// Error names the exception and its code.
func (c CounterErrorCode) Error() string { return "InvalidCounterOperation " + c.String() }

// DevMgrErrorCode is bmv2's DevMgrErrorCode, the code carried by an
// InvalidDevMgrOperation exception. bmv2 only ever sends ERROR (1).
type DevMgrErrorCode int32

// DevMgrFailed is the only device-manager error code bmv2 defines (ERROR).
const DevMgrFailed DevMgrErrorCode = 1

// String returns the enum name used in standard.thrift, or "code(N)".
func (c DevMgrErrorCode) String() string { return enumName(int32(c), "ERROR") }

// enumName names code c of an error-code enum of standard.thrift whose
// values run from 1 in the order of names; "code(N)" for any other value.
func enumName(c int32, names ...string) string {
	if c >= 1 && int(c) <= len(names) {
		return names[c-1]
	}
	return "code(" + strconv.Itoa(int(c)) + ")"
}

// Error names the exception and its code.
func (c DevMgrErrorCode) Error() string { return "InvalidDevMgrOperation " + c.String() }

// OpError is the error of one client call: the Thrift method, what it
// addressed and the cause. The cause is a [RegisterErrorCode],
// [CounterErrorCode] or [DevMgrErrorCode] for a declared exception, a
// thrift.TApplicationException when the server refused the call itself
// (unknown method, internal error), or a transport error.
type OpError struct {
	Op     string // Thrift method, e.g. "bm_register_read"
	Target string // what the call addressed, e.g. `register "MyIngress.r" index 5`
	Err    error
}

// Error reads e.g. `bmv2 thrift: bm_register_read register "r" index 5:
// InvalidRegisterOperation INVALID_INDEX`.
func (e *OpError) Error() string {
	s := "bmv2 thrift: " + e.Op
	if e.Target != "" {
		s += " " + e.Target
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }

// ErrClosed is returned by calls on a closed [Client].
var ErrClosed = errors.New("bmv2 thrift: client closed")

func registerTarget(name string) string { return fmt.Sprintf("register %q", name) }

func registerIndexTarget(name string, index int32) string {
	return fmt.Sprintf("register %q index %d", name, index)
}

func counterIndexTarget(name string, index int32) string {
	return fmt.Sprintf("counter %q index %d", name, index)
}
