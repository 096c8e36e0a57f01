package client

import (
	"errors"
	"strings"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// withDetails builds a status error with arbitrary details.
func withDetails(t *testing.T, code codes.Code, msg string, details ...*anypb.Any) error {
	t.Helper()
	sp := status.New(code, msg).Proto()
	sp.Details = details
	return status.FromProto(sp).Err()
}

func mustAny(t *testing.T, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Spec "Error Reporting Messages": a batch failure is UNKNOWN with exactly
// one p4.v1.Error per item, in order, OK for the successes; anything else is
// an RPC-wide failure or a malformed answer, and DecodeBatchError says which.
func TestDecodeBatchError(t *testing.T) {
	okErr := &p4v1.Error{CanonicalCode: int32(codes.OK)}
	dup := &p4v1.Error{CanonicalCode: int32(codes.AlreadyExists), Message: "exists", Space: "s", Code: 3}
	tests := []struct {
		name    string
		err     error
		n       int
		want    []codes.Code // per item; OK for nil entries
		wantErr string
	}{
		{"mixed", withDetails(t, codes.Unknown, "Write failure.", mustAny(t, okErr), mustAny(t, dup)), 2, []codes.Code{codes.OK, codes.AlreadyExists}, ""},
		{"built by NewBatchError", NewBatchError("x", []*p4v1.Error{dup, nil, okErr}), 3, []codes.Code{codes.AlreadyExists, codes.OK, codes.OK}, ""},
		{"not a status", errors.New("boom"), 1, nil, "not a gRPC status"},
		{"RPC-wide code", status.Error(codes.PermissionDenied, "Not primary"), 1, nil, "RPC-wide status PERMISSION_DENIED"},
		{"UNKNOWN without details", status.Error(codes.Unknown, "oops"), 1, nil, "RPC-wide status UNKNOWN"},
		{"details on another code", withDetails(t, codes.Internal, "x", mustAny(t, dup)), 1, nil, "RPC-wide status INTERNAL"},
		{"too few details", withDetails(t, codes.Unknown, "x", mustAny(t, dup)), 2, nil, "1 p4.v1.Error details for 2 items"},
		{"wrong detail type", withDetails(t, codes.Unknown, "x", mustAny(t, wrapperspb.String("no"))), 1, nil, "detail 0 is type.googleapis.com/google.protobuf.StringValue"},
		{"all OK", withDetails(t, codes.Unknown, "x", mustAny(t, okErr)), 1, nil, "all 1 p4.v1.Error details are OK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := DecodeBatchError(tt.err, tt.n)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range tt.want {
				got := codes.OK
				if items[i] != nil {
					got = items[i].Code
				}
				if got != w {
					t.Errorf("item %d: %v, want %v", i, got, w)
				}
			}
		})
	}
	if pe := P4ErrorFrom(dup); pe.Space != "s" || pe.VendorCode != 3 || pe.Message != "exists" {
		t.Errorf("P4ErrorFrom lost fields: %+v", pe)
	}
}

// NewBatchError gives nil when nothing failed (the server then answers OK).
func TestNewBatchErrorAllOK(t *testing.T) {
	if err := NewBatchError("x", []*p4v1.Error{nil, {CanonicalCode: 0}}); err != nil {
		t.Errorf("all-OK batch: %v, want nil", err)
	}
}

// P4Error reads as the spec spells codes, works with status.Code, and
// errors.Is matches by code (and message when given).
func TestP4Error(t *testing.T) {
	e := &P4Error{Code: codes.AlreadyExists, Message: "exists"}
	if e.Error() != "ALREADY_EXISTS: exists" {
		t.Errorf("Error() = %q", e.Error())
	}
	if status.Code(e) != codes.AlreadyExists {
		t.Errorf("status.Code = %v", status.Code(e))
	}
	tests := []struct {
		target *P4Error
		want   bool
	}{
		{&P4Error{Code: codes.AlreadyExists}, true},
		{&P4Error{Code: codes.AlreadyExists, Message: "exists"}, true},
		{&P4Error{Code: codes.AlreadyExists, Message: "other"}, false},
		{&P4Error{Code: codes.NotFound}, false},
	}
	for _, tt := range tests {
		if got := errors.Is(e, tt.target); got != tt.want {
			t.Errorf("errors.Is(%v, %v) = %v, want %v", e, tt.target, got, tt.want)
		}
	}
	if CodeName(codes.Code(99)) != "CODE_99" {
		t.Errorf("CodeName(99) = %q", CodeName(codes.Code(99)))
	}
	var nilErr *P4Error
	if nilErr.Proto().GetCanonicalCode() != 0 {
		t.Error("nil P4Error's Proto is not OK")
	}
}

// ElectionID compares as a 128-bit number (spec: Uint128 high/low).
func TestElectionID(t *testing.T) {
	tests := []struct {
		a, b ElectionID
		want int
	}{
		{ElectionID{0, 1}, ElectionID{0, 2}, -1},
		{ElectionID{1, 0}, ElectionID{0, ^uint64(0)}, 1},
		{ElectionID{2, 5}, ElectionID{2, 5}, 0},
	}
	for _, tt := range tests {
		if got := tt.a.Compare(tt.b); got != tt.want {
			t.Errorf("%v.Compare(%v) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	if s := (ElectionID{Low: 7}).String(); s != "7" {
		t.Errorf("String = %q", s)
	}
	if s := (ElectionID{High: 1, Low: 7}).String(); s != "1:7" {
		t.Errorf("String = %q", s)
	}
	if ElectionIDFrom(nil) != nil || (*ElectionID)(nil).Proto() != nil {
		t.Error("nil election id does not stay unset")
	}
	if id := ElectionIDFrom((&ElectionID{High: 3, Low: 4}).Proto()); *id != (ElectionID{3, 4}) {
		t.Errorf("round trip gave %v", id)
	}
}
