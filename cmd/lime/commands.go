package main

import (
	"github.com/spf13/cobra"

	"github.com/lime-p4/lime/cmd/lime/internal/abortcmd"
	"github.com/lime-p4/lime/cmd/lime/internal/agentcmd"
	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/cmd/lime/internal/clonecmd"
	"github.com/lime-p4/lime/cmd/lime/internal/democmd"
	"github.com/lime-p4/lime/cmd/lime/internal/diffcmd"
	"github.com/lime-p4/lime/cmd/lime/internal/migratecmd"
	"github.com/lime-p4/lime/cmd/lime/internal/proxycmd"
	"github.com/lime-p4/lime/cmd/lime/internal/sim"
	"github.com/lime-p4/lime/cmd/lime/internal/statuscmd"
	"github.com/lime-p4/lime/cmd/lime/internal/writecmd"
)

// commands lists lime's subcommands; each lives in its own package under
// internal/ with a New(cli.Deps) *cobra.Command.
func commands(deps cli.Deps) []*cobra.Command {
	return []*cobra.Command{
		abortcmd.New(deps),
		agentcmd.New(deps),
		clonecmd.New(deps),
		democmd.New(deps),
		diffcmd.New(deps),
		migratecmd.New(deps),
		proxycmd.New(deps),
		sim.New(deps),
		statuscmd.New(deps),
		writecmd.New(deps),
	}
}
