// Command lime live-migrates P4 switches: their P4Runtime state and the hosts
// attached to them, onto new switches, while traffic flows.
package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lime-p4/lime/cmd/lime/internal/cli"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	root := newRoot(os.Stdout, os.Stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *cli.ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintln(os.Stderr, "lime:", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintln(os.Stderr, "lime:", err)
	return 2
}

func newRoot(out, errw *os.File) *cobra.Command {
	var level, cpuProfile string
	var stopProfile func()
	deps := cli.Deps{Out: out, Err: errw}
	root := &cobra.Command{
		Use:           "lime",
		Short:         "Live migration of P4 switches and their hosts",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			var l slog.Level
			if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
				return fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
			}
			*deps.Log = *slog.New(slog.NewTextHandler(errw, &slog.HandlerOptions{Level: l}))
			slog.SetDefault(deps.Log) // libraries without a logger of their own log here too
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
			}
			return nil
		},
		PersistentPostRun: func(*cobra.Command, []string) {
			if stopProfile != nil {
				stopProfile()
			}
		},
	}
	deps.Log = slog.New(slog.NewTextHandler(errw, nil))
	root.PersistentFlags().StringVar(&level, "log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&cpuProfile, "cpu-profile", "", "write a CPU profile of the command to this file")
	for _, c := range commands(deps) {
		root.AddCommand(c)
	}
	return root
}
