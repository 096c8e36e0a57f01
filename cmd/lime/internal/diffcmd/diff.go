// Package diffcmd is `lime diff`: compare two devices' P4Runtime state.
package diffcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/migrator/diff"
	"github.com/lime-p4/lime/p4/entity"
)

type flags struct {
	a, b     cli.DeviceFlags
	ports    cli.PortFlags
	asJSON   bool
	volatile bool
	max      int
}

// New returns the command.
func New(deps cli.Deps) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "diff --from-addr HOST:PORT --to-addr HOST:PORT",
		Short: "Compare two devices' P4Runtime state entity by entity",
		Long: `Diff reads both devices and compares every entity, the first device's translated
to the second's P4Info by name and ports by --port-map: entities missing on the
second device, extra on it, and different (with the fields that differ).
Volatile values (counters, meter colour counts, registers) are compared and
reported separately; they do not make the devices differ.
Exit status: 0 when equal, 1 when not, 2 on error.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), deps, f) },
	}
	fs := cmd.Flags()
	f.a.Register(fs, "from-", "first device")
	f.b.Register(fs, "to-", "second device")
	f.ports.Register(fs)
	fs.BoolVar(&f.asJSON, "json", false, "print the report as JSON")
	fs.BoolVar(&f.volatile, "volatile", false, "list each volatile difference (not only their count)")
	fs.IntVar(&f.max, "max", 50, "differences listed per section")
	return cmd
}

func run(ctx context.Context, deps cli.Deps, f *flags) error {
	fail := func(err error) error { return &cli.ExitError{Code: 2, Err: err} }
	rules := f.ports.Rules()
	a, err := f.a.Connect(ctx, "first device", false, rules)
	if err != nil {
		return fail(err)
	}
	defer a.Close()
	b, err := f.b.Connect(ctx, "second device", false, rules)
	if err != nil {
		return fail(err)
	}
	defer b.Close()
	tr, err := f.ports.Translator(a.Info, b.Info)
	if err != nil {
		return fail(fmt.Errorf("%s and %s: %w", f.a.Addr, f.b.Addr, err))
	}
	rep, err := diff.Run(ctx, a, b, diff.Options{Translator: tr})
	if err != nil {
		return fail(err)
	}
	if f.asJSON {
		if err := deps.PrintJSON(rep); err != nil {
			return fail(err)
		}
	} else {
		printReport(deps.Out, rep, f)
	}
	if !rep.Equal() {
		return &cli.ExitError{Code: 1, Err: errors.New("the devices differ")}
	}
	return nil
}

func printReport(w io.Writer, r *diff.Report, f *flags) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tcompared\tmissing\textra\tdifferent\tvolatile\t")
	row := func(name string, c diff.Counts) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t\n", name, c.Compared, c.Missing, c.Extra, c.Different, c.VolatileDifferent)
	}
	for _, k := range entity.Kinds() {
		if c := r.Kinds[k]; c != nil && *c != (diff.Counts{}) {
			row(k.String(), *c)
		}
	}
	row("total", r.Total())
	tw.Flush()
	section := func(title string, items []diff.Item, n int64) {
		for i, it := range items {
			if i == f.max {
				fmt.Fprintf(w, "  ... and %d more\n", n-int64(f.max))
				break
			}
			if i == 0 {
				fmt.Fprintf(w, "%s:\n", title)
			}
			fmt.Fprintf(w, "  %s\n", it.Entity)
			for _, fd := range it.Fields {
				fmt.Fprintf(w, "      %s\n", fd)
			}
		}
	}
	t := r.Total()
	section("missing on the second device", r.Missing, t.Missing)
	section("extra on the second device", r.Extra, t.Extra)
	section("different", r.Different, t.Different)
	if f.volatile {
		section("volatile values that differ", r.VolatileDifferent, t.VolatileDifferent)
	} else if t.VolatileDifferent > 0 {
		fmt.Fprintf(w, "%d entities differ in volatile values only (counters, meters, registers): --volatile lists them\n", t.VolatileDifferent)
	}
	for _, u := range r.Unreadable {
		fmt.Fprintln(w, "unreadable:", u)
	}
	if r.Equal() {
		fmt.Fprintln(w, "equal")
	}
}
