package pipelines

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lime-p4/lime/internal/fixtures"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// topLevel counts the top-level blocks named field in a P4Info text file, an
// independent check that decoding kept every object.
func topLevel(text []byte, field string) int {
	return len(regexp.MustCompile(`(?m)^`+field+` \{`).FindAll(text, -1))
}

// TestLoadDirFixtures loads every compiled public program of shared/pipelines
// (bmv2's own test programs, ONOS, p4c, tutorials): the P4Info decodes
// (P4Runtime spec, "P4Info" message), keeps every object, and the bmv2 JSON
// and CPU port match what the folder holds. bmv2-clone and bmv2-multicast
// have empty P4Info files: valid, with no objects.
func TestLoadDirFixtures(t *testing.T) {
	for _, fx := range fixtures.All(t) {
		t.Run(fx.Name, func(t *testing.T) {
			p, err := LoadDir(fx.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != fx.Name {
				t.Errorf("Name = %q, want %q", p.Name, fx.Name)
			}
			if (p.JSON != nil) != (fx.JSON != "") {
				t.Errorf("JSON present = %v, want %v", p.JSON != nil, fx.JSON != "")
			}
			if p.CPUPort != fx.CPUPort || p.HasCPUPort != (fx.CPUPort != 0) {
				t.Errorf("CPU port = %d (present %v), want %d", p.CPUPort, p.HasCPUPort, fx.CPUPort)
			}
			text, err := os.ReadFile(fx.P4Info)
			if err != nil {
				t.Fatal(err)
			}
			if string(p.P4InfoText) != string(text) {
				t.Error("P4InfoText differs from the file")
			}
			info := p.P4Info
			for field, got := range map[string]int{
				"tables":                     len(info.GetTables()),
				"actions":                    len(info.GetActions()),
				"action_profiles":            len(info.GetActionProfiles()),
				"counters":                   len(info.GetCounters()),
				"direct_counters":            len(info.GetDirectCounters()),
				"meters":                     len(info.GetMeters()),
				"direct_meters":              len(info.GetDirectMeters()),
				"controller_packet_metadata": len(info.GetControllerPacketMetadata()),
				"registers":                  len(info.GetRegisters()),
				"digests":                    len(info.GetDigests()),
			} {
				if want := topLevel(text, field); got != want {
					t.Errorf("%d %s decoded, the file has %d", got, field, want)
				}
			}
			if len(text) == 0 && proto.Size(info) != 0 {
				t.Errorf("empty P4Info decoded to %d bytes", proto.Size(info))
			}
		})
	}
}

// TestLoadDirFixtureContents spot-checks decoded values of known fixtures.
func TestLoadDirFixtureContents(t *testing.T) {
	basic, err := LoadDir(fixtures.Get(t, "onos-basic").Dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range basic.P4Info.GetTables() {
		names = append(names, tb.GetPreamble().GetName())
	}
	if !strings.Contains(strings.Join(names, " "), "ingress.table0_control.table0") {
		t.Errorf("onos-basic tables %v lack ingress.table0_control.table0", names)
	}
	if n := len(basic.P4Info.GetControllerPacketMetadata()); n != 2 {
		t.Errorf("onos-basic has %d controller headers, want packet_in and packet_out", n)
	}

	// @p4runtime_translation (P4Runtime spec, "Translation of Port Numbers"):
	// the translated types are kept in type_info.new_types.
	tr, err := LoadDir(fixtures.Get(t, "onos-p4runtime-translation").Dir)
	if err != nil {
		t.Fatal(err)
	}
	nt := tr.P4Info.GetTypeInfo().GetNewTypes()
	if nt["port_id_bit_t"].GetTranslatedType().GetSdnBitwidth() != 32 {
		t.Errorf("port_id_bit_t: %v, want a translated type of 32 bits", nt["port_id_bit_t"])
	}
	if tr.JSON != nil {
		t.Error("onos-p4runtime-translation has no bmv2 JSON, got one")
	}

	fab, err := LoadDir(fixtures.Get(t, "onos-fabric").Dir)
	if err != nil {
		t.Fatal(err)
	}
	if !fab.HasCPUPort || fab.CPUPort == 0 {
		t.Errorf("onos-fabric CPU port = %d (present %v), want cpu_port.txt's", fab.CPUPort, fab.HasCPUPort)
	}
}

// copyFixture copies one fixture's P4Info and JSON into a new folder under
// the test's temp dir and returns the folder.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	fx := fixtures.Get(t, name)
	dir := filepath.Join(t.TempDir(), name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{fx.P4Info, fx.JSON} {
		if f == "" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, filepath.Base(f)), string(b))
	}
	return dir
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoadDirEncodings loads the same P4Info written in each encoding p4c's
// --p4runtime-files can produce (text, binary, JSON) and gets the same
// message back.
func TestLoadDirEncodings(t *testing.T) {
	want, err := LoadDir(fixtures.Get(t, "onos-basic").Dir)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := proto.Marshal(want.P4Info)
	if err != nil {
		t.Fatal(err)
	}
	js, err := protojson.Marshal(want.P4Info)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file    string
		content []byte
	}{
		{"basic.p4info.txtpb", want.P4InfoText},
		{"basic.p4info.pb", bin},
		{"basic.p4info.bin", bin},
		{"basic.p4info.json", js},
	} {
		t.Run(tc.file, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, tc.file), string(tc.content))
			writeFile(t, filepath.Join(dir, "basic.json"), string(want.JSON))
			got, err := LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(got.P4Info, want.P4Info) {
				t.Error("decoded P4Info differs from the text one")
			}
			again, err := ParseP4Info(got.P4InfoText)
			if err != nil {
				t.Fatalf("P4InfoText does not parse back: %v", err)
			}
			if !proto.Equal(again, want.P4Info) {
				t.Error("P4InfoText does not hold the same P4Info")
			}
			if string(got.JSON) != string(want.JSON) {
				t.Error("the bmv2 JSON (basic.json) was not taken as the device config")
			}
		})
	}
}

// TestLoadDirSource takes the .p4 whose name matches the P4Info's, and only it.
func TestLoadDirSource(t *testing.T) {
	dir := copyFixture(t, "bmv2-counter")
	writeFile(t, filepath.Join(dir, "helpers.p4"), "// included file\n")
	p, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p.Source != nil {
		t.Errorf("Source = %q, want none (no counter.p4)", p.Source)
	}
	writeFile(t, filepath.Join(dir, "counter.p4"), "// the program\n")
	if p, err = LoadDir(dir); err != nil {
		t.Fatal(err)
	}
	if string(p.Source) != "// the program\n" {
		t.Errorf("Source = %q, want counter.p4's", p.Source)
	}
}

// TestLoadDirErrors: bad input gets an error naming the folder or file and
// the problem.
func TestLoadDirErrors(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(t *testing.T, dir string) string // returns the path to load
		want   []string                              // substrings of the error
		wantIs error
	}{
		{
			name:   "missing folder",
			setup:  func(t *testing.T, dir string) string { return filepath.Join(dir, "nope") },
			want:   []string{"nope"},
			wantIs: fs.ErrNotExist,
		},
		{
			name: "file, not folder",
			setup: func(t *testing.T, dir string) string {
				f := filepath.Join(dir, "x.p4info.txt")
				writeFile(t, f, "")
				return f
			},
			want: []string{"x.p4info.txt", "not a folder"},
		},
		{
			name:  "no P4Info",
			setup: func(t *testing.T, dir string) string { writeFile(t, filepath.Join(dir, "a.json"), "{}"); return dir },
			want:  []string{"no P4Info"},
		},
		{
			name: "garbage P4Info",
			setup: func(t *testing.T, dir string) string {
				writeFile(t, filepath.Join(dir, "junk.p4info.txt"), "tables { this is not a p4info")
				return dir
			},
			want: []string{"junk.p4info.txt", "not a p4.config.v1.P4Info"},
		},
		{
			name: "unknown field in P4Info",
			setup: func(t *testing.T, dir string) string {
				writeFile(t, filepath.Join(dir, "x.p4info.txt"), "tabels { }\n")
				return dir
			},
			want: []string{"x.p4info.txt", "tabels"},
		},
		{
			name: "garbage binary P4Info",
			setup: func(t *testing.T, dir string) string {
				writeFile(t, filepath.Join(dir, "x.p4info.pb"), "\xff\xff\xff")
				return dir
			},
			want: []string{"x.p4info.pb", "not a p4.config.v1.P4Info"},
		},
		{
			name: "two P4Infos",
			setup: func(t *testing.T, dir string) string {
				writeFile(t, filepath.Join(dir, "a.p4info.txt"), "")
				writeFile(t, filepath.Join(dir, "b.p4info.pb"), "")
				return dir
			},
			want: []string{"2 P4Info files", "a.p4info.txt", "b.p4info.pb"},
		},
		{
			name: "two bmv2 JSONs",
			setup: func(t *testing.T, dir string) string {
				writeFile(t, filepath.Join(dir, "a.p4info.txt"), "")
				writeFile(t, filepath.Join(dir, "a.json"), "{}")
				writeFile(t, filepath.Join(dir, "b.json"), "{}")
				return dir
			},
			want: []string{"2 bmv2 JSON files", "a.json", "b.json"},
		},
		{
			name: "bmv2 JSON not an object",
			setup: func(t *testing.T, dir string) string {
				writeFile(t, filepath.Join(dir, "a.p4info.txt"), "")
				writeFile(t, filepath.Join(dir, "a.json"), "[1, 2")
				return dir
			},
			want: []string{"a.json", "not a bmv2 JSON object"},
		},
		{
			name: "bad cpu_port.txt",
			setup: func(t *testing.T, dir string) string {
				writeFile(t, filepath.Join(dir, "a.p4info.txt"), "")
				writeFile(t, filepath.Join(dir, CPUPortFile), "cpu\n")
				return dir
			},
			want: []string{"cpu_port.txt", "decimal port number"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target := tc.setup(t, t.TempDir())
			p, err := LoadDir(target)
			if err == nil {
				t.Fatalf("LoadDir(%s) = %+v, want an error", target, p)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %v is not %v", err, tc.wantIs)
			}
		})
	}
}
