// Package writecmd is `lime write`: send the updates of a text-format
// p4.v1.WriteRequest to a device, as its primary controller. It puts state
// on a device without a controller: for trying lime against `lime sim`, for
// tests and for repairs.
package writecmd

import (
	"context"
	"errors"
	"fmt"
	"os"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/prototext"

	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/entity"
)

// New returns the command.
func New(deps cli.Deps) *cobra.Command {
	var dev cli.DeviceFlags
	var o options
	cmd := &cobra.Command{
		Use:   "write --addr HOST:PORT [--pipeline DIR] [--file UPDATES.txtpb]",
		Short: "Set a device's pipeline and write the updates of a text-format WriteRequest to it",
		Long: `Write plays a controller. With --pipeline it first sets the device's pipeline
(VERIFY_AND_COMMIT) from a folder holding a bmv2 JSON and its P4Info, with
--cookie. With --file it reads a p4.v1.WriteRequest in protobuf text format
(only its updates are used; device id and election id come from the flags)
and sends the updates to the device as its primary controller, in order, in
batches. Each refused update is listed with its entity and the device's
error. Exit status: 0 when every update was applied, 1 when some were
refused, 2 on error.
Example: examples/onos-basic-state.txtpb.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd.Context(), deps, &dev, o)
		},
	}
	dev.Register(cmd.Flags(), "", "device")
	cmd.Flags().StringVar(&o.file, "file", "", "text-format p4.v1.WriteRequest whose updates to send")
	cmd.Flags().IntVar(&o.batch, "batch", 1000, "updates per WriteRequest")
	cmd.Flags().StringVar(&o.pipeline, "pipeline", "", "folder with a bmv2 JSON and its P4Info: set it as the device's pipeline first")
	cmd.Flags().Uint64Var(&o.cookie, "cookie", 0, "the pipeline's cookie (with --pipeline)")
	return cmd
}

type options struct {
	file, pipeline string
	batch          int
	cookie         uint64
}

func run(ctx context.Context, deps cli.Deps, dev *cli.DeviceFlags, o options) error {
	fail := func(err error) error { return &cli.ExitError{Code: 2, Err: err} }
	if o.file == "" && o.pipeline == "" {
		return fail(errors.New("nothing to do: give --pipeline, --file or both"))
	}
	if o.pipeline != "" {
		if err := dev.SetPipeline(ctx, "device", o.pipeline, o.cookie); err != nil {
			return fail(err)
		}
		fmt.Fprintf(deps.Out, "pipeline %s set on %s (cookie %#x)\n", o.pipeline, dev.Addr, o.cookie)
		if o.file == "" {
			return nil
		}
	}
	file, batch := o.file, o.batch
	text, err := os.ReadFile(file)
	if err != nil {
		return fail(err)
	}
	req := &p4v1.WriteRequest{}
	if err := prototext.Unmarshal(text, req); err != nil {
		return fail(fmt.Errorf("%s: not a text-format p4.v1.WriteRequest: %w", file, err))
	}
	if len(req.Updates) == 0 {
		return fail(fmt.Errorf("%s: no updates", file))
	}
	d, err := dev.Connect(ctx, "device", true, cli.DefaultPortFlags().Rules())
	if err != nil {
		return fail(err)
	}
	defer d.Close()
	err = d.Client.Write(ctx, req.Updates, client.WithBatchSize(batch))
	var we *client.WriteError
	if err != nil && !errors.As(err, &we) {
		return fail(err)
	}
	failed := 0
	if we != nil {
		failed = len(we.Failures)
		for _, f := range we.Failures {
			fmt.Fprintf(deps.Out, "refused: update %d (%s %s): %v\n", f.Index, f.Update.GetType(), entity.Describe(f.Update.GetEntity(), d.Info), f.Err)
		}
	}
	fmt.Fprintf(deps.Out, "%d of %d updates applied to %s\n", len(req.Updates)-failed, len(req.Updates), dev.Addr)
	if failed > 0 {
		return &cli.ExitError{Code: 1, Err: fmt.Errorf("%d updates refused", failed)}
	}
	return nil
}
