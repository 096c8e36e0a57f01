package cli

import (
	"context"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// UntilSignal is a cobra RunE that runs run with a context that ends on
// SIGINT or SIGTERM, for commands that run until interrupted or must stop
// cleanly when they are.
func UntilSignal(run func(ctx context.Context) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		return run(ctx)
	}
}
