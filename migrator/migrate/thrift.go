package migrate

import (
	"context"
	"errors"
	"fmt"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/info"
)

// ErrRegistersNeedThrift is wrapped by the error of a migration whose
// program has registers when a switch answers UNIMPLEMENTED to register
// reads over P4Runtime (bmv2 does: its registers are reached over its
// Thrift API) and the driver was given no other way to them
// (SourceReader, TargetReader).
var ErrRegistersNeedThrift = errors.New("registers not reachable over P4Runtime")

// checkRegisters refuses, before any state is copied, a switch that will
// not give its registers over P4Runtime when the migration has no other
// way to them: it reads cell 0 of the program's first register. side is
// "source" or "target".
func (d *Driver) checkRegisters(ctx context.Context, side string, c *client.Client, in *info.Info) error {
	if in == nil || len(in.Registers) == 0 {
		return nil
	}
	r := in.Registers[0]
	q := &p4v1.Entity{Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: &p4v1.RegisterEntry{RegisterId: r.ID, Index: &p4v1.Index{Index: 0}}}}
	for _, err := range c.Read(ctx, q) {
		if status.Code(err) == codes.Unimplemented {
			how := ""
			if d.ThriftHint != nil {
				how = " (" + d.ThriftHint(side) + ")"
			}
			return fmt.Errorf("%w: the %s switch answers UNIMPLEMENTED to a read of register %s (%v); registers on bmv2 travel over its Thrift API: give the %s's Thrift address%s",
				ErrRegistersNeedThrift, side, r.Name, err, side, how)
		}
		if err != nil {
			return fmt.Errorf("reading register %s of the %s: %w", r.Name, side, err)
		}
	}
	return nil
}
