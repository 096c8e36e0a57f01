// Package clonecmd is `lime clone`: copy one device's whole P4Runtime state
// onto another.
package clonecmd

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/migrator/clone"
)

type flags struct {
	from, to   cli.DeviceFlags
	ports      cli.PortFlags
	batch      int
	inflight   int
	prescan    string
	prune      bool
	asJSON     bool
	pipeline   string
	noProgress bool
}

// New returns the command.
func New(deps cli.Deps) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "clone --from-addr HOST:PORT --to-addr HOST:PORT",
		Short: "Copy a device's whole P4Runtime state onto another device",
		Long: `Clone reads every entity of the source device (table entries with their direct
counters and meters, default entries, action-profile members and groups,
multicast groups, clone sessions, counters, meters, registers, digest configs,
value sets), translates it to the target's P4Info by name and to the target's
ports by --port-map, and writes it to the target in dependency order.

It is safe to run again: what the target already holds equal is skipped, what
differs is modified, and what the target holds that the source lacks is
reported (and deleted with --prune). Exit status: 0 when the target is a copy,
1 when some entity could not be copied or the target holds extras, 2 on error.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), deps, f) },
	}
	fs := cmd.Flags()
	f.from.Register(fs, "from-", "source device")
	f.to.Register(fs, "to-", "target device")
	f.ports.Register(fs)
	fs.IntVar(&f.batch, "batch", 500, "updates per WriteRequest")
	fs.IntVar(&f.inflight, "inflight", 4, "WriteRequests outstanding at once")
	fs.StringVar(&f.prescan, "prescan", "auto", "read the source once before writing, to find untranslatable ports before any write and to give the progress bar an ETA: on, off, or auto (on with --port-map or a progress bar)")
	fs.BoolVar(&f.prune, "prune", false, "delete what the target holds that the source lacks")
	fs.BoolVar(&f.asJSON, "json", false, "print the result as JSON")
	fs.StringVar(&f.pipeline, "pipeline", "", "folder with the target's bmv2 JSON + P4Info: set it on the target first (VERIFY_AND_COMMIT, with the source's cookie)")
	fs.BoolVar(&f.noProgress, "no-progress", false, "no progress bar")
	return cmd
}

func run(ctx context.Context, deps cli.Deps, f *flags) error {
	fail := func(err error) error { return &cli.ExitError{Code: 2, Err: err} }
	rules := f.ports.Rules()
	src, err := f.from.Connect(ctx, "source", false, rules)
	if err != nil {
		return fail(err)
	}
	defer src.Close()
	if f.pipeline != "" {
		if err := f.to.SetPipeline(ctx, "target", f.pipeline, src.Cookie); err != nil { // the source's cookie: a controller sees the same pipeline
			return fail(err)
		}
	}
	dst, err := f.to.Connect(ctx, "target", true, rules)
	if err != nil {
		return fail(err)
	}
	defer dst.Close()
	tr, err := f.ports.Translator(src.Info, dst.Info)
	if err != nil {
		return fail(fmt.Errorf("source %s and target %s: %w", f.from.Addr, f.to.Addr, err))
	}
	bar := newProgress(ctx, deps.Err, !f.noProgress && !f.asJSON)
	var prescan bool
	switch f.prescan {
	case "on":
		prescan = true
	case "off":
	case "auto":
		prescan = f.ports.Map != "" || bar.p != nil
	default:
		return fail(fmt.Errorf("--prescan %q: want on, off or auto", f.prescan))
	}
	opts := clone.Options{
		Translator: tr, BatchSize: f.batch, Inflight: f.inflight, Prescan: prescan,
		Prune: f.prune, Progress: bar.update, Log: deps.Log, TargetReader: dst,
		TargetEmpty: f.pipeline != "", // the pipeline just pushed emptied it
	}
	if w := dst.RegisterWriter(); w != nil {
		opts.TargetRegisters = w
	}
	res, err := clone.Run(ctx, src, dst.Client, opts)
	bar.finish(res)
	if res != nil {
		if f.asJSON {
			if err := deps.PrintJSON(res); err != nil {
				return fail(err)
			}
		} else {
			printSummary(deps.Out, res, f)
		}
	}
	if err != nil {
		if errors.Is(err, clone.ErrUntranslatable) {
			err = fmt.Errorf("%w; nothing was written (fix --port-map or --port-field)", err)
		}
		return fail(err)
	}
	if !res.OK() {
		return &cli.ExitError{Code: 1, Err: errors.New("the target is not a complete copy of the source (see above)")}
	}
	return nil
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
