package pipelines

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotCompiled is matched (with errors.Is) by the error [Get] returns for an
// embedded program whose compiled artifacts are missing. Use errors.As with
// *[NotCompiledError] for the details.
var ErrNotCompiled = errors.New("pipelines: program not compiled")

// ErrNoProgram is matched by the error [Get] returns for a name that is not
// an embedded program.
var ErrNoProgram = errors.New("pipelines: no such program")

// NotCompiledError says which compiled files of an embedded program are
// missing and where they come from.
type NotCompiledError struct {
	Name    string   // program name, e.g. "lime_l2"
	Missing []string // missing file names, e.g. "lime_l2.json"
}

func (e *NotCompiledError) Error() string {
	return fmt.Sprintf("pipelines: %s is not compiled: %s missing from pipelines/%s/; "+
		"compile it with the p4c shared beside the checkout (../shared/tools/p4c) as pipelines/%s/README.md says",
		e.Name, strings.Join(e.Missing, " and "), e.Name, e.Name)
}

// Is reports whether target is [ErrNotCompiled].
func (e *NotCompiledError) Is(target error) bool { return target == ErrNotCompiled }
