package pipelines

import (
	"errors"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/lime-p4/lime/internal/fixtures"
)

func TestNames(t *testing.T) {
	if got, want := Names(), []string{LimeL2, LimeRouter}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
}

// TestSourceIsEmbedded: the source is embedded whether or not the program is
// compiled.
func TestSourceIsEmbedded(t *testing.T) {
	got, err := Source(LimeL2)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("lime_l2/lime_l2.p4")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || string(got) != string(want) {
		t.Errorf("embedded source (%d bytes) differs from lime_l2/lime_l2.p4 (%d bytes)", len(got), len(want))
	}
	if _, err := Source("nope"); !errors.Is(err, ErrNoProgram) {
		t.Errorf("Source(nope) error = %v, want ErrNoProgram", err)
	}
}

// compiled reports whether lime_l2's compiled artifacts are embedded.
func compiled(t *testing.T) bool {
	t.Helper()
	for _, f := range []string{"lime_l2/lime_l2.json", "lime_l2/lime_l2.p4info.txt"} {
		if _, err := fs.Stat(programs, f); err != nil {
			return false
		}
	}
	return true
}

// TestGetLimeL2 checks the embedded lime_l2: before its artifacts are copied
// in, Get says so clearly; after, its P4Info holds every object the README
// and the L2* constants name, with the widths and types they say.
func TestGetLimeL2(t *testing.T) {
	p, err := Get(LimeL2)
	if !compiled(t) {
		if !errors.Is(err, ErrNotCompiled) {
			t.Fatalf("Get(%s) error = %v, want ErrNotCompiled", LimeL2, err)
		}
		var nc *NotCompiledError
		if !errors.As(err, &nc) {
			t.Fatalf("error %T is not a *NotCompiledError", err)
		}
		if want := []string{"lime_l2.json", "lime_l2.p4info.txt"}; !reflect.DeepEqual(nc.Missing, want) {
			t.Errorf("Missing = %v, want %v", nc.Missing, want)
		}
		for _, s := range []string{"lime_l2.json", "lime_l2.p4info.txt", "../shared/tools/p4c", "pipelines/lime_l2/README.md"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q does not mention %s", err, s)
			}
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != LimeL2 || len(p.Source) == 0 || len(p.JSON) == 0 {
		t.Errorf("Get(%s) = name %q, %d bytes of source, %d of JSON", LimeL2, p.Name, len(p.Source), len(p.JSON))
	}
	if !p.HasCPUPort || p.CPUPort != L2CPUPort {
		t.Errorf("CPU port = %d (present %v), want %d", p.CPUPort, p.HasCPUPort, L2CPUPort)
	}
	checkLimeL2P4Info(t, p.P4Info)
}

// TestCatalog exercises Get over a made-up set of program folders, each state
// an embedded folder can be in.
func TestCatalog(t *testing.T) {
	basic := fixtures.Get(t, "onos-basic")
	info, err := os.ReadFile(basic.P4Info)
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(basic.JSON)
	if err != nil {
		t.Fatal(err)
	}
	src := &fstest.MapFile{Data: []byte("// p4\n")}
	c := catalog{fsys: fstest.MapFS{
		"bare/bare.p4":              src,
		"halfa/halfa.p4":            src,
		"halfa/halfa.json":          {Data: js},
		"halfb/halfb.p4":            src,
		"halfb/halfb.p4info.txt":    {Data: info},
		"nosrc/nosrc.json":          {Data: js},
		"nosrc/nosrc.p4info.txt":    {Data: info},
		"bad/bad.p4":                src,
		"bad/bad.json":              {Data: js},
		"bad/bad.p4info.txt":        {Data: []byte("garbage {")},
		"full/full.p4":              src,
		"full/full.json":            {Data: js},
		"full/full.p4info.txt":      {Data: info},
		"full/cpu_port.txt":         {Data: []byte("510\n")},
		"full/README.md":            {Data: []byte("# full\n")},
		"stray/stray.p4":            src,
		"stray/stray.json":          {Data: js},
		"stray/stray.p4info.txt":    {Data: info},
		"stray/other.p4info.txtpb":  {Data: info},
		"not-a-program-folder.txt":  {Data: []byte("x")},
		"nested/deeper/ignored.txt": {Data: []byte("x")},
	}}
	if got, want := c.names(), []string{"bad", "bare", "full", "halfa", "halfb", "nested", "nosrc", "stray"}; !reflect.DeepEqual(got, want) {
		t.Errorf("names() = %v, want %v", got, want)
	}
	tests := []struct {
		name        string
		missing     []string // for ErrNotCompiled
		is          error
		errContains string
	}{
		{name: "bare", missing: []string{"bare.json", "bare.p4info.txt"}},
		{name: "halfa", missing: []string{"halfa.p4info.txt"}},
		{name: "halfb", missing: []string{"halfb.json"}},
		{name: "nosrc", errContains: "no source nosrc.p4"},
		{name: "bad", errContains: "embedded:bad/bad.p4info.txt: not a p4.config.v1.P4Info"},
		{name: "stray", errContains: "2 P4Info files"},
		{name: "missing", is: ErrNoProgram, errContains: `"missing" (embedded programs: bad, bare, full`},
		{name: "full"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := c.get(tc.name)
			switch {
			case tc.missing != nil:
				var nc *NotCompiledError
				if !errors.Is(err, ErrNotCompiled) || !errors.As(err, &nc) {
					t.Fatalf("error = %v, want a NotCompiledError", err)
				}
				if !reflect.DeepEqual(nc.Missing, tc.missing) {
					t.Errorf("Missing = %v, want %v", nc.Missing, tc.missing)
				}
			case tc.is != nil || tc.errContains != "":
				if err == nil {
					t.Fatalf("get(%s) = %+v, want an error", tc.name, p)
				}
				if errors.Is(err, ErrNotCompiled) {
					t.Errorf("error %v wrongly matches ErrNotCompiled", err)
				}
				if tc.is != nil && !errors.Is(err, tc.is) {
					t.Errorf("error %v is not %v", err, tc.is)
				}
				if !strings.Contains(err.Error(), tc.errContains) {
					t.Errorf("error %q does not say %q", err, tc.errContains)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if p.Name != "full" || p.Origin != "embedded:full" || string(p.Source) != "// p4\n" ||
					string(p.JSON) != string(js) || string(p.P4InfoText) != string(info) ||
					!p.HasCPUPort || p.CPUPort != 510 || len(p.P4Info.GetTables()) == 0 {
					t.Errorf("get(full) = %+v", p)
				}
			}
		})
	}
}
