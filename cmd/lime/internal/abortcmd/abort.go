// Package abortcmd is `lime abort`: undo a migration that has not cut over.
package abortcmd

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/migrator/migrate"
)

// New returns the command.
func New(deps cli.Deps) *cobra.Command {
	var admin cli.AdminFlags
	var device uint64
	var wait bool
	cmd := &cobra.Command{
		Use:   "abort --device VID",
		Short: "Undo a migration: hosts back, dual-write stopped, target cleared",
		Long: `Abort undoes the migration of virtual device --device, which must not have cut
over: the hosts moved so far come back to the source, newest first (make
before break), the proxy stops writing to the target, and the target is
cleared. Exit status: 0 when aborted, 1 when an undo step failed (run abort
again to retry it), 2 on error.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if device == 0 {
				return &cli.ExitError{Code: 2, Err: errors.New("--device: which virtual device?")}
			}
			c := admin.Client()
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
	return cmd
}
