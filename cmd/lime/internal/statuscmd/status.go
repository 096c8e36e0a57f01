// Package statuscmd is `lime status`: the virtual devices of a lime proxy,
// their switches and migrations.
package statuscmd

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/migrator/service"
)

// New returns the command.
func New(deps cli.Deps) *cobra.Command {
	var admin cli.AdminFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a lime proxy's devices, migrations and plan",
		Long: `Status shows each virtual device of the lime proxy (--admin): its switch,
the mirror and mode during a migration, the moved hosts, the controller's
writes and where its migration stands. With a network migration (lime
migrate --plan), the plan follows: by device (done, running, failed or
waiting, with the time each step took) and by host group.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := admin.Client()
			if err != nil {
				return &cli.ExitError{Code: 2, Err: err}
			}
			sts, err := c.Status(cmd.Context())
			if err != nil {
				return &cli.ExitError{Code: 2, Err: err}
			}
			pl, err := c.Plan(cmd.Context())
			if errors.Is(err, service.ErrNoPlan) {
				pl, err = nil, nil
			}
			if err != nil {
				return &cli.ExitError{Code: 2, Err: err}
			}
			if asJSON {
				return deps.PrintJSON(struct {
					Devices []service.DeviceStatus `json:"devices"`
					Plan    *service.PlanStatus    `json:"plan,omitempty"`
				}{sts, pl})
			}
			w := tabwriter.NewWriter(deps.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "DEVICE\tSWITCH\tMIRROR\tMODE\tMOVED\tWRITES\tMIGRATION")
			for _, s := range sts {
				mig := "-"
				if m := s.Migration; m != nil {
					mig = m.State.Step.String() + " (to " + m.Target + ")"
					if m.Running != "" {
						mig = "running " + m.Running + " (to " + m.Target + ")"
						if m.Progress != nil {
							mig += ", " + cli.ProgressLine(m.Progress)
						}
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
			if err := w.Flush(); err != nil || pl == nil {
				return err
			}
			fmt.Fprintln(deps.Out)
			return cli.PrintPlan(deps.Out, pl)
		},
	}
	admin.Register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
