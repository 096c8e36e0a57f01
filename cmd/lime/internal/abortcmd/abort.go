// Package abortcmd is `lime abort`: undo a migration that has not cut over.
package abortcmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/migrator/migrate"
	"github.com/lime-p4/lime/migrator/plan"
	"github.com/lime-p4/lime/migrator/service"
)

// New returns the command.
func New(deps cli.Deps) *cobra.Command {
	var admin cli.AdminFlags
	var device uint64
	var wait, withPlan bool
	cmd := &cobra.Command{
		Use:   "abort --device VID | --plan",
		Short: "Undo a migration: hosts back, dual-write stopped, target cleared",
		Long: `Abort --plan undoes the network migration, which must not have cut over any
device: the hosts come back to the old network, newest host group first
(each make before break), the new switches' links and trunks go down, and
every device's dual-write stops and its target is cleared.

Abort --device undoes the migration of virtual device --device, which must not have cut
over: the hosts moved so far come back to the source, newest first (make
before break), the proxy stops writing to the target, and the target is
cleared. Exit status: 0 when aborted, 1 when an undo step failed (run abort
again to retry it), 2 on error.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := admin.Client()
			if err != nil {
				return &cli.ExitError{Code: 2, Err: err}
			}
			if withPlan {
				return abortPlan(cmd.Context(), deps, c, wait)
			}
			if device == 0 {
				return &cli.ExitError{Code: 2, Err: errors.New("--device: which virtual device? (--plan: the network migration)")}
			}
			before, err := c.Status(cmd.Context())
			if err != nil {
				return &cli.ExitError{Code: 2, Err: err}
			}
			if _, err := c.Abort(cmd.Context(), device); err != nil {
				return &cli.ExitError{Code: 2, Err: err}
			}
			if !wait {
				return nil
			}
			st, err := cli.Follow(cmd.Context(), c, device, cli.HistoryLen(before, device), deps.Err)
			if err != nil {
				return &cli.ExitError{Code: 2, Err: err}
			}
			if st.Migration.State.Step != migrate.Aborted {
				return &cli.ExitError{Code: 1, Err: fmt.Errorf("device %d: abort stopped at %v: %s", device, st.Migration.State.Step, st.Migration.State.Failed)}
			}
			return nil
		},
	}
	admin.Register(cmd.Flags())
	cmd.Flags().Uint64Var(&device, "device", 0, "the virtual device whose migration to undo")
	cmd.Flags().BoolVar(&wait, "wait", true, "follow the abort until it ends")
	cmd.Flags().BoolVar(&withPlan, "plan", false, "undo the network migration (lime migrate --plan)")
	return cmd
}

// abortPlan undoes the network migration and follows it.
func abortPlan(ctx context.Context, deps cli.Deps, c *service.Client, wait bool) error {
	before, err := c.Plan(ctx)
	if err != nil {
		return &cli.ExitError{Code: 2, Err: err}
	}
	if _, err := c.AbortPlan(ctx); err != nil {
		return &cli.ExitError{Code: 2, Err: err}
	}
	if !wait {
		return nil
	}
	st, err := cli.FollowPlan(ctx, c, len(before.History), deps.Err)
	if err != nil {
		return &cli.ExitError{Code: 2, Err: err}
	}
	if st.State.Phase != plan.PhaseAborted {
		return &cli.ExitError{Code: 1, Err: fmt.Errorf("plan %s: abort stopped at %v: %s (lime abort --plan again retries it)", st.File, st.Phase, st.Error)}
	}
	return nil
}
