// Package clitest runs lime's verbs in a test, as a user runs them.
package clitest

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/internal/syncbuf"
)

// Exec runs verb (a command's New) with args, at most a minute, and
// returns what it printed (with its error, if any) and its exit status
// (-1 for an error that is no ExitError).
func Exec(t testing.TB, verb func(cli.Deps) *cobra.Command, args ...string) (string, int) {
	t.Helper()
	var out syncbuf.Buffer
	cmd := verb(cli.Deps{Out: &out, Err: &out, Log: slog.New(slog.DiscardHandler)})
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	var ee *cli.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String() + ee.Error(), ee.Code
	case err != nil:
		return out.String() + err.Error(), -1
	}
	return out.String(), 0
}
