package client

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	rpccode "google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
)

// ErrNotSent marks an update that was never sent because an earlier batch
// failed in a way that stops the write (an RPC-wide error, or any failure
// under ROLLBACK_ON_ERROR or DATAPLANE_ATOMIC).
var ErrNotSent = errors.New("not sent: an earlier batch failed")

// P4Error is the outcome of one element of a batch (an update of a Write, a
// request of a Read) as the server reported it in a p4.v1.Error detail (spec
// section "Error Reporting Messages"), or the RPC-wide status of a batch
// that failed as a whole. status.Code works on it, and errors.Is matches it
// against a *P4Error target by Code (and by Message when the target has one),
// so errors.Is(err, &P4Error{Code: codes.AlreadyExists}) asks "did an update
// fail with ALREADY_EXISTS".
type P4Error struct {
	// Code is the canonical gRPC code (p4.v1.Error.canonical_code).
	Code codes.Code
	// Message is the server's message.
	Message string
	// Space and VendorCode are the target-specific error space and code.
	Space      string
	VendorCode int32
	// Details is the server's optional extra detail message.
	Details *anypb.Any
}

// P4ErrorFrom converts a p4.v1.Error; an OK one gives nil.
func P4ErrorFrom(e *p4v1.Error) *P4Error {
	if e == nil || codes.Code(e.GetCanonicalCode()) == codes.OK {
		return nil
	}
	return &P4Error{
		Code:       codes.Code(e.GetCanonicalCode()),
		Message:    e.GetMessage(),
		Space:      e.GetSpace(),
		VendorCode: e.GetCode(),
		Details:    e.GetDetails(),
	}
}

// Proto gives the wire form; a nil *P4Error gives an OK p4.v1.Error.
func (e *P4Error) Proto() *p4v1.Error {
	if e == nil {
		return &p4v1.Error{CanonicalCode: int32(codes.OK)}
	}
	return &p4v1.Error{
		CanonicalCode: int32(e.Code),
		Message:       e.Message,
		Space:         e.Space,
		Code:          e.VendorCode,
		Details:       e.Details,
	}
}

// Error formats the code as the spec spells it, then the message.
func (e *P4Error) Error() string {
	name := CodeName(e.Code)
	if e.Message == "" {
		return name
	}
	return name + ": " + e.Message
}

// GRPCStatus makes status.Code and status.Convert see the code and message.
func (e *P4Error) GRPCStatus() *status.Status { return status.New(e.Code, e.Message) }

// Is matches a *P4Error target with the same Code and, when the target's
// Message is not empty, the same Message.
func (e *P4Error) Is(target error) bool {
	t, ok := target.(*P4Error)
	return ok && t.Code == e.Code && (t.Message == "" || t.Message == e.Message)
}

// CodeName spells a canonical code as the P4Runtime spec and google.rpc.Code
// do (ALREADY_EXISTS, not AlreadyExists).
func CodeName(c codes.Code) string {
	if name, ok := rpccode.Code_name[int32(c)]; ok {
		return name
	}
	return fmt.Sprintf("CODE_%d", uint32(c))
}

// NewBatchError builds the status a P4Runtime server returns for a batch
// with failures (spec section "Error Reporting"): nil when every item is OK,
// else UNKNOWN with message and one p4.v1.Error detail per item, in order.
// It is the inverse of [DecodeBatchError], for servers and proxies.
func NewBatchError(message string, items []*p4v1.Error) error {
	failed := false
	details := make([]*anypb.Any, len(items))
	for i, it := range items {
		if it == nil {
			it = &p4v1.Error{CanonicalCode: int32(codes.OK)}
		}
		if codes.Code(it.GetCanonicalCode()) != codes.OK {
			failed = true
		}
		a, err := anypb.New(it)
		if err != nil {
			return status.Errorf(codes.Internal, "encoding p4.v1.Error detail %d: %v", i, err)
		}
		details[i] = a
	}
	if !failed {
		return nil
	}
	sp := status.New(codes.Unknown, message).Proto()
	sp.Details = details
	return status.FromProto(sp).Err()
}

// DecodeBatchError reads the per-item outcomes of a failed batch RPC (Write
// or Read) of n items: the status must be UNKNOWN with exactly n p4.v1.Error
// details. It returns one entry per item, nil for the OK ones. It returns an
// error, naming the problem, when err is not such a status (an RPC-wide
// failure, or malformed details).
func DecodeBatchError(err error, n int) ([]*P4Error, error) {
	st, ok := status.FromError(err)
	if !ok {
		return nil, fmt.Errorf("not a gRPC status: %w", err)
	}
	details := st.Proto().GetDetails()
	if st.Code() != codes.Unknown || len(details) == 0 {
		return nil, fmt.Errorf("RPC-wide status %s without per-item details", CodeName(st.Code()))
	}
	if len(details) != n {
		return nil, fmt.Errorf("malformed status: %d p4.v1.Error details for %d items (status %s: %s)",
			len(details), n, CodeName(st.Code()), st.Message())
	}
	out := make([]*P4Error, n)
	failed := 0
	for i, d := range details {
		var pe p4v1.Error
		if err := d.UnmarshalTo(&pe); err != nil {
			return nil, fmt.Errorf("malformed status: detail %d is %s, not p4.v1.Error: %w", i, d.GetTypeUrl(), err)
		}
		if out[i] = P4ErrorFrom(&pe); out[i] != nil {
			failed++
		}
	}
	if failed == 0 {
		return nil, fmt.Errorf("malformed status: UNKNOWN (%s) but all %d p4.v1.Error details are OK", st.Message(), n)
	}
	return out, nil
}

// UpdateFailure is one failed update of a write.
type UpdateFailure struct {
	// Index is the update's position: in the updates given to Write, or in
	// the sequence of updates added to a BatchWriter.
	Index int
	// Update is the update as given.
	Update *p4v1.Update
	// Err is a *P4Error, or ErrNotSent.
	Err error
	// BatchWide is set when the update's whole batch failed with one
	// RPC-level status and no per-update details (e.g. PERMISSION_DENIED
	// for a backup, UNAVAILABLE, DEADLINE_EXCEEDED: such a batch may or may
	// not have been applied).
	BatchWide bool
}

// Error names the update and its error.
func (f *UpdateFailure) Error() string {
	return fmt.Sprintf("update %d (%s %s): %v", f.Index, f.Update.GetType(), entityKind(f.Update.GetEntity()), f.Err)
}

// Unwrap gives Err.
func (f *UpdateFailure) Unwrap() error { return f.Err }

// WriteError reports the failed updates of a write; the updates not listed
// succeeded. It unwraps to one *UpdateFailure per failure, each unwrapping to
// its *P4Error or ErrNotSent, so errors.As and errors.Is reach them.
type WriteError struct {
	// Start is the index of the first update the report covers: 0 for
	// Write; for a BatchWriter, the first update added after the previous
	// report.
	Start int
	// Total is the number of updates the report covers.
	Total int
	// Failures lists the failed updates by increasing Index.
	Failures []UpdateFailure
}

// Error summarises the failures by code and shows the first.
func (e *WriteError) Error() string {
	return summariseFailures("write", "updates", e.Total, e.Failures)
}

// Unwrap gives each failure as a *UpdateFailure.
func (e *WriteError) Unwrap() []error { return failureErrors(e.Failures) }

// Results gives one entry per covered update (Total of them; entry i is
// update Start+i): nil for success, else the failure's Err.
func (e *WriteError) Results() []error {
	out := make([]error, e.Total)
	for _, f := range e.Failures {
		if i := f.Index - e.Start; i >= 0 && i < len(out) {
			out[i] = f.Err
		}
	}
	return out
}

// GRPCStatus is the status a P4Runtime server would give for the whole
// write: the RPC-wide status of the first batch that failed as a whole if
// any, else UNKNOWN with one p4.v1.Error per update (OK for those that
// succeeded, ABORTED for those not sent). A proxy can return it as is.
func (e *WriteError) GRPCStatus() *status.Status {
	for _, f := range e.Failures {
		if f.BatchWide {
			return status.Convert(f.Err)
		}
	}
	items := make([]*p4v1.Error, e.Total)
	for i, r := range e.Results() {
		var pe *P4Error
		if r != nil && !errors.As(r, &pe) {
			pe = &P4Error{Code: codes.Aborted, Message: r.Error()}
		}
		items[i] = pe.Proto()
	}
	return batchStatus(e.Error(), items)
}

// ReadFailure is one failed request (entity filter) of a Read.
type ReadFailure struct {
	// Index is the request's position among the entities given to Read.
	Index int
	// Entity is the request as given.
	Entity *p4v1.Entity
	// Err is the server's error for it.
	Err *P4Error
}

// Error names the request and its error.
func (f *ReadFailure) Error() string {
	return fmt.Sprintf("request %d (%s): %v", f.Index, entityKind(f.Entity), f.Err)
}

// Unwrap gives Err.
func (f *ReadFailure) Unwrap() error { return f.Err }

// ReadError reports the failed requests of a Read whose server answered
// UNKNOWN with per-request p4.v1.Error details (spec section "Read RPC",
// "Batch Processing"); the entities of the other requests were delivered.
type ReadError struct {
	// Total is the number of requests in the Read.
	Total int
	// Failures lists the failed requests by increasing Index.
	Failures []ReadFailure
}

// Error summarises the failures by code and shows the first.
func (e *ReadError) Error() string {
	return summariseFailures("read", "requests", e.Total, e.Failures)
}

// Unwrap gives each failure as a *ReadFailure.
func (e *ReadError) Unwrap() []error { return failureErrors(e.Failures) }

// GRPCStatus is the server's form: UNKNOWN with one p4.v1.Error per request.
func (e *ReadError) GRPCStatus() *status.Status {
	items := make([]*p4v1.Error, e.Total)
	for i := range items {
		items[i] = (*P4Error)(nil).Proto()
	}
	for _, f := range e.Failures {
		if f.Index >= 0 && f.Index < e.Total {
			items[f.Index] = f.Err.Proto()
		}
	}
	return batchStatus(e.Error(), items)
}

// failurePtr is a pointer to an UpdateFailure or a ReadFailure: an error
// that unwraps to the failure's cause.
type failurePtr[F any] interface {
	*F
	error
	Unwrap() error
}

// summariseFailures is the Error of a WriteError or ReadError: the
// failures' causes counted by code, and the first failure.
func summariseFailures[F any, P failurePtr[F]](op, noun string, total int, fs []F) string {
	errs := make([]error, len(fs))
	for i := range fs {
		errs[i] = P(&fs[i]).Unwrap()
	}
	first := ""
	if len(fs) > 0 {
		first = P(&fs[0]).Error()
	}
	return summarise(op, noun, total, errs, first)
}

// failureErrors gives each failure as an error (a pointer into fs).
func failureErrors[F any, P failurePtr[F]](fs []F) []error {
	out := make([]error, len(fs))
	for i := range fs {
		out[i] = P(&fs[i])
	}
	return out
}

// batchStatus is UNKNOWN with message msg and one p4.v1.Error detail per
// item, as a P4Runtime server reports a batch.
func batchStatus(msg string, items []*p4v1.Error) *status.Status {
	if err := NewBatchError(msg, items); err != nil {
		return status.Convert(err)
	}
	return status.New(codes.Unknown, msg)
}

// summarise formats "op: F of N things failed (CODE: k, ...); first: ...".
func summarise(op, things string, total int, errs []error, first string) string {
	counts := map[string]int{}
	for _, err := range errs {
		var pe *P4Error
		switch {
		case errors.As(err, &pe):
			counts[CodeName(pe.Code)]++
		case errors.Is(err, ErrNotSent):
			counts["NOT_SENT"]++
		default:
			counts[CodeName(status.Code(err))]++
		}
	}
	names := make([]string, 0, len(counts))
	for name := range counts {
		names = append(names, name)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = fmt.Sprintf("%s: %d", name, counts[name])
	}
	return fmt.Sprintf("%s: %d of %d %s failed (%s); first: %s",
		op, len(errs), total, things, strings.Join(parts, ", "), first)
}

// entityKind names the entity's kind as the proto oneof field does
// ("table_entry", ...), or "no entity".
func entityKind(e *p4v1.Entity) string {
	if e == nil {
		return "no entity"
	}
	m := e.ProtoReflect()
	if fd := m.WhichOneof(m.Descriptor().Oneofs().ByName("entity")); fd != nil {
		return string(fd.Name())
	}
	return "empty entity"
}
