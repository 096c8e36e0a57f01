package pipelines

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// programs holds the program folders beside this file. Embedding a folder
// works whether or not its compiled files are there yet. Add a new program's
// folder to this directive.
//
//go:embed lime_l2 lime_router
var programs embed.FS

// builtin is the catalog of embedded programs.
var builtin = catalog{fsys: programs}

// Names returns the names of the embedded programs, sorted, whether or not
// they are compiled yet.
func Names() []string { return builtin.names() }

// Get returns an embedded program with its compiled artifacts. When the bmv2
// JSON or the P4Info (<name>.json, <name>.p4info.txt) is missing the error
// matches [ErrNotCompiled] and, as a *[NotCompiledError], names the missing
// files; an unknown name gives an error matching [ErrNoProgram].
func Get(name string) (*Program, error) { return builtin.get(name) }

// Source returns the P4_16 source of an embedded program; it needs no
// compiled artifacts.
func Source(name string) ([]byte, error) { return builtin.source(name) }

// catalog reads program folders from a file system: the embedded one, or a
// test's.
type catalog struct {
	fsys fs.FS
}

func (c catalog) names() []string {
	ents, err := fs.ReadDir(c.fsys, ".")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// lookup checks that name is one of the catalog's programs.
func (c catalog) lookup(name string) error {
	for _, n := range c.names() {
		if n == name {
			return nil
		}
	}
	return fmt.Errorf("%w: %q (embedded programs: %s)", ErrNoProgram, name, strings.Join(c.names(), ", "))
}

func (c catalog) source(name string) ([]byte, error) {
	if err := c.lookup(name); err != nil {
		return nil, err
	}
	b, err := fs.ReadFile(c.fsys, path.Join(name, name+".p4"))
	if err != nil {
		return nil, fmt.Errorf("pipelines: embedded program %s has no source %s.p4: %w", name, name, err)
	}
	return b, nil
}

func (c catalog) get(name string) (*Program, error) {
	src, err := c.source(name)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, f := range []string{name + ".json", name + ".p4info.txt"} {
		if _, err := fs.Stat(c.fsys, path.Join(name, f)); errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, f)
		} else if err != nil {
			return nil, fmt.Errorf("pipelines: embedded program %s: %w", name, err)
		}
	}
	if len(missing) > 0 {
		return nil, &NotCompiledError{Name: name, Missing: missing}
	}
	p, err := loadFolder(c.fsys, name, "embedded:"+name)
	if err != nil {
		return nil, err
	}
	p.Name = name
	p.Source = src
	return p, nil
}
