// Package statuscmd is `lime status`: the virtual devices of a lime proxy,
// their switches and migrations.
package statuscmd

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lime-p4/lime/cmd/lime/internal/cli"
)

// New returns the command.
func New(deps cli.Deps) *cobra.Command {
	var admin cli.AdminFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:           "status",
		Short:         "Show a lime proxy's devices and migrations",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sts, err := admin.Client().Status(cmd.Context())
			if err != nil {
				return &cli.ExitError{Code: 2, Err: err}
			}
			if asJSON {
				return deps.PrintJSON(sts)
			}
			w := tabwriter.NewWriter(deps.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "DEVICE\tSWITCH\tMIRROR\tMODE\tMOVED\tWRITES\tMIGRATION")
			for _, s := range sts {
				mig := "-"
				if m := s.Migration; m != nil {
					mig = m.State.Step.String() + " (to " + m.Target + ")"
					if m.Running != "" {
						mig = "running " + m.Running + " (to " + m.Target + ")"
					}
					if m.State.Failed != "" {
						mig += ": failed: " + m.State.Failed
					}
				}
				mirror := s.Mirror
				if mirror == "" {
					mirror = "-"
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%v\t%d\t%s\n", s.Device, s.Authoritative, mirror, s.Stats.Mode, s.Moved, s.Stats.Writes, mig)
			}
			return w.Flush()
		},
	}
	admin.Register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
