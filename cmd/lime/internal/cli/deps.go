// Package cli holds what every lime subcommand shares: its dependencies
// (output streams and logger) and the exit-status convention.
package cli

import (
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
)

// Deps is what a subcommand needs from the process around it. Each verb
// package has New(Deps) *cobra.Command; nothing else is global.
type Deps struct {
	Out io.Writer    // results (tables, JSON)
	Err io.Writer    // progress, diagnostics
	Log *slog.Logger // structured events
}

// ExitError carries a process exit status through cobra. A command returns
// it when the status matters to scripts (e.g. diff: 1 = differ, 2 = error).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return "exit status " + strconv.Itoa(e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// PrintJSON writes v to the results, indented (a verb's --json).
func (d Deps) PrintJSON(v any) error {
	enc := json.NewEncoder(d.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
