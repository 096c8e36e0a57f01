package clonecmd

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/lime-p4/lime/migrator/clone"
	"github.com/lime-p4/lime/p4/entity"
)

const listed = 20

func printSummary(w io.Writer, r *clone.Result, f *flags) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tread\tinserted\tmodified\tunchanged\tfailed\textra\tdeleted\t")
	row := func(name string, s clone.KindStats) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", name, s.Read, s.Inserted, s.Modified, s.Unchanged, s.Failed, s.Extra, s.Deleted)
	}
	for _, k := range entity.Kinds() {
		if s := r.Kinds[k]; s != nil && *s != (clone.KindStats{}) {
			row(k.String(), *s)
		}
	}
	row("total", r.Total())
	tw.Flush()
	t := r.Total()
	fmt.Fprintf(w, "%d entities in %s", t.Read, r.Duration.Round(1e6))
	if s := r.Duration.Seconds(); s > 0 {
		fmt.Fprintf(w, " (%.0f entities/s)", float64(t.Read)/s)
	}
	fmt.Fprintln(w)
	for _, x := range r.Warnings {
		fmt.Fprintln(w, "warning:", x)
	}
	for _, u := range r.Unreadable {
		fmt.Fprintf(w, "unreadable: %s: %s\n", u.What, u.Error)
	}
	for i, x := range r.Failures {
		if i == listed {
			fmt.Fprintf(w, "... and %d more failures\n", t.Failed-listed)
			break
		}
		fmt.Fprintf(w, "failed: %s: %s\n", x.Entity, x.Error)
	}
	for i, x := range r.Extras {
		if i == listed {
			fmt.Fprintf(w, "... and %d more extras\n", t.Extra-listed)
			break
		}
		verb := "extra on the target"
		if f.prune {
			verb = "deleted from the target"
		}
		fmt.Fprintf(w, "%s: %s\n", verb, x.Entity)
	}
	if t.Extra > t.Deleted && !f.prune {
		fmt.Fprintln(w, "the target holds entities the source lacks; run again with --prune to delete them")
	}
}
