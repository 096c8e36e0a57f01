package devconfig_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lime-p4/lime/bmv2/devconfig"
	"github.com/lime-p4/lime/internal/fixtures"
)

// TestBMv2Fixtures: simple_switch_grpc takes the bmv2 JSON itself as
// p4_device_config (PI's bmv2 backend loads it as the JSON config), so every
// compiled fixture must pass through unchanged.
func TestBMv2Fixtures(t *testing.T) {
	n := 0
	for _, p := range fixtures.All(t) {
		if p.JSON == "" {
			continue
		}
		want, err := os.ReadFile(p.JSON)
		if err != nil {
			t.Fatal(err)
		}
		got, err := devconfig.BMv2File(p.JSON)
		if err != nil {
			t.Errorf("%s: %v", p.Name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: device config differs from the bmv2 JSON", p.Name)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no fixture has a bmv2 JSON")
	}
}

func TestBMv2Copies(t *testing.T) {
	in := []byte(`{"pipelines": []}`)
	out, err := devconfig.BMv2(in)
	if err != nil {
		t.Fatal(err)
	}
	out[0] = ' '
	if in[0] != '{' {
		t.Error("BMv2 returned the caller's slice, not a copy")
	}
}

// TestBMv2Refuses checks that what is not a bmv2 JSON is refused with an
// error naming the problem.
func TestBMv2Refuses(t *testing.T) {
	p4info := fixtures.Get(t, "onos-basic").P4Info
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", "empty"},
		{"blank", " \n\t", "empty"},
		{"syntax", `{"pipelines": [}`, "not valid JSON"},
		{"array", `[1, 2]`, "not a JSON object"},
		{"no pipelines", `{"header_types": []}`, `no "pipelines"`},
		{"pipelines not array", `{"pipelines": {}}`, `"pipelines" is not an array`},
		{"format v1", `{"__meta__": {"version": [1, 0]}, "pipelines": []}`, "format version [1 0]"},
		{"bad meta", `{"__meta__": {"version": "2.18"}, "pipelines": []}`, `"__meta__"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := devconfig.BMv2([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("BMv2(%q) = %v, want an error containing %q", tc.in, err, tc.want)
			}
		})
	}
	if _, err := devconfig.BMv2File(p4info); err == nil || !strings.Contains(err.Error(), p4info) {
		t.Errorf("BMv2File(P4Info text) = %v, want an error naming the file", err)
	}
	missing := filepath.Join(t.TempDir(), "nope.json")
	if _, err := devconfig.BMv2File(missing); err == nil || !strings.Contains(err.Error(), "nope.json") {
		t.Errorf("BMv2File(missing) = %v, want an error naming the file", err)
	}
}

// TestTofinoLayout checks the exact bytes against ONOS's
// TofinoPipelineProgrammable: little-endian u32 length + pipeconf id, u32
// length + tofino.bin, u32 length + context.json, nothing else.
func TestTofinoLayout(t *testing.T) {
	for _, tc := range []struct {
		name      string
		id        string
		bin, ctx  []byte
		wantBytes []byte
	}{{
		name: "small",
		id:   "org.onosproject.pipelines.fabric",
		bin:  []byte{0xde, 0xad, 0xbe, 0xef, 0x00},
		ctx:  []byte(`{"a":1}`),
		wantBytes: bytes.Join([][]byte{
			{32, 0, 0, 0}, []byte("org.onosproject.pipelines.fabric"),
			{5, 0, 0, 0}, {0xde, 0xad, 0xbe, 0xef, 0x00},
			{7, 0, 0, 0}, []byte(`{"a":1}`),
		}, nil),
	}, {
		name:      "empty parts",
		wantBytes: make([]byte, 12),
	}, {
		name: "length above 255 is little-endian",
		id:   "p",
		bin:  bytes.Repeat([]byte{0xab}, 0x0102),
		ctx:  nil,
		wantBytes: bytes.Join([][]byte{
			{1, 0, 0, 0}, []byte("p"),
			{0x02, 0x01, 0, 0}, bytes.Repeat([]byte{0xab}, 0x0102),
			{0, 0, 0, 0},
		}, nil),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := devconfig.Tofino(tc.id, tc.bin, tc.ctx)
			if !bytes.Equal(got, tc.wantBytes) {
				t.Fatalf("Tofino bytes:\n got %x\nwant %x", got, tc.wantBytes)
			}
			id, bin, ctx, err := devconfig.ParseTofino(got)
			if err != nil {
				t.Fatal(err)
			}
			if id != tc.id || !bytes.Equal(bin, tc.bin) || !bytes.Equal(ctx, tc.ctx) {
				t.Errorf("ParseTofino = %q, %x, %q; want %q, %x, %q", id, bin, ctx, tc.id, tc.bin, tc.ctx)
			}
		})
	}
}

func TestParseTofinoRefuses(t *testing.T) {
	good := devconfig.Tofino("id", []byte("bin"), []byte("{}"))
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "pipeconf id length at offset 0: need 4 bytes, have 0"},
		{"short header", []byte{1, 0}, "pipeconf id length at offset 0: need 4 bytes, have 2"},
		{"id past end", []byte{9, 0, 0, 0, 'a'}, "pipeconf id at offset 4 claims 9 bytes, 1 remain"},
		{"missing bin", good[:6], "tofino.bin length at offset 6"},
		{"bin past end", good[:12], "tofino.bin at offset 10 claims 3 bytes, 2 remain"},
		{"missing context", good[:13], "context.json length at offset 13"},
		{"huge length", []byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, "tofino.bin at offset 8 claims 4294967295 bytes, 0 remain"},
		{"trailing bytes", append(append([]byte{}, good...), 0, 0), "2 unexpected bytes after context.json at offset 19"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := devconfig.ParseTofino(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseTofino(%x) = %v, want an error containing %q", tc.in, err, tc.want)
			}
		})
	}
}

func FuzzParseTofino(f *testing.F) {
	f.Add(devconfig.Tofino("org.onosproject.pipelines.basic", []byte{1, 2, 3}, []byte("{}")))
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, bin, ctx, err := devconfig.ParseTofino(b)
		if err != nil {
			return
		}
		if again := devconfig.Tofino(id, bin, ctx); !bytes.Equal(again, b) {
			t.Errorf("Tofino(ParseTofino(%x)) = %x", b, again)
		}
	})
}
