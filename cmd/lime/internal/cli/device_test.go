package cli

import (
	"errors"
	"iter"
	"strings"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A register read real simple_switch_grpc refuses (UNIMPLEMENTED: it
// serves registers over Thrift only) names the flag that gives the
// device's Thrift address; other refusals and other reads stay as they
// were.
func TestThriftHint(t *testing.T) {
	refused := func(err error) iter.Seq2[int, error] {
		return func(yield func(int, error) bool) { yield(0, err) }
	}
	unimpl := status.Error(codes.Unimplemented, "register reads are not supported")
	reg := &p4v1.Entity{Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: &p4v1.RegisterEntry{RegisterId: 1}}}
	ctr := &p4v1.Entity{Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: 1}}}
	for name, tc := range map[string]struct {
		err     error
		filters []*p4v1.Entity
		flag    string
		hint    bool
	}{
		"register, unimplemented":       {unimpl, []*p4v1.Entity{reg}, "--from-thrift", true},
		"register, another refusal":     {status.Error(codes.NotFound, "no"), []*p4v1.Entity{reg}, "--from-thrift", false},
		"counter, unimplemented":        {unimpl, []*p4v1.Entity{ctr}, "--from-thrift", false},
		"register and counter":          {unimpl, []*p4v1.Entity{reg, ctr}, "--from-thrift", false},
		"no flag to name (not the CLI)": {unimpl, []*p4v1.Entity{reg}, "", false},
	} {
		for _, err := range withThriftHint(refused(tc.err), tc.filters, tc.flag) {
			if got := strings.Contains(err.Error(), "give "+tc.flag+" HOST:PORT"); got != tc.hint || tc.flag == "" && err != tc.err {
				t.Errorf("%s: %v", name, err)
			}
			if !errors.Is(err, tc.err) || status.Code(err) != status.Code(tc.err) {
				t.Errorf("%s: the refusal is lost: %v", name, err)
			}
		}
	}
}
