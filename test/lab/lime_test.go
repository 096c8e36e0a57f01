//go:build linux

package lab

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLimeRun checks how runs of a verb are reported: lime's exit status
// is a result (diff exits 1 when devices differ, 2 on errors), the JSON
// report is read from standard output, and only a lime that cannot run or
// is killed is an error.
func TestLimeRun(t *testing.T) {
	dir := t.TempDir()
	script := `#!/bin/sh
case "$1" in
ok) echo '{"kinds": {}}'; exit 0 ;;
differ) echo '{"kinds": {"table entry": {"missing": 1}}}'; echo "lime: the devices differ" >&2; exit 1 ;;
hang) exec sleep 30 ;;
esac
echo "lime: unknown verb $1" >&2
exit 2
`
	path := filepath.Join(dir, "lime")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	l := &Lime{Path: path}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct {
		verb     string
		code     int
		missing  float64
		jsonOK   bool
		stderrIn string
	}{
		{"ok", 0, 0, true, ""},
		{"differ", 1, 1, true, "devices differ"},
		{"nope", 2, 0, false, "unknown verb nope"},
	} {
		r, err := l.Run(ctx, tc.verb, "--json")
		if err != nil {
			t.Fatalf("%s: %v", tc.verb, err)
		}
		if r.Code != tc.code || !strings.Contains(r.Stderr, tc.stderrIn) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tc.verb, r.Code, r.Stderr, tc.code, tc.stderrIn)
		}
		var rep struct {
			Kinds map[string]map[string]float64 `json:"kinds"`
		}
		err = r.JSON(&rep)
		if (err == nil) != tc.jsonOK {
			t.Errorf("%s: JSON: %v", tc.verb, err)
		}
		if got := rep.Kinds["table entry"]["missing"]; got != tc.missing {
			t.Errorf("%s: missing %v, want %v", tc.verb, got, tc.missing)
		}
		if !strings.Contains(r.String(), "$ lime "+tc.verb+" --json") {
			t.Errorf("%s: String() lacks the command line: %s", tc.verb, r)
		}
	}
	short, cancel2 := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel2()
	if _, err := l.Run(short, "hang"); err == nil {
		t.Error("a lime killed at its deadline should be an error")
	}
	if _, err := (&Lime{Path: filepath.Join(dir, "absent")}).Run(ctx, "ok"); err == nil {
		t.Error("a lime that does not exist should be an error")
	}
}
