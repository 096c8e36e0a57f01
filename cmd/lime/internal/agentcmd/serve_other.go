//go:build !linux

package agentcmd

import (
	"context"
	"errors"

	"github.com/lime-p4/lime/cmd/lime/internal/cli"
)

// serve refuses: the agent drives Linux interfaces through netlink.
func serve(context.Context, cli.Deps, *config) error {
	return errors.New("lime agent runs on Linux only: it sets bmv2's interfaces up and down through netlink")
}
