package democmd_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/cmd/lime/internal/democmd"
)

// `make demo` runs this verb: it must succeed and tell its story: every
// step of the migration, traffic through it, and the new switch forwarding
// the flows opened on the old one.
func TestDemo(t *testing.T) {
	var out, errb bytes.Buffer
	cmd := democmd.New(cli.Deps{Out: &out, Err: &errb, Log: slog.New(slog.DiscardHandler)})
	cmd.SetArgs(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := cmd.ExecuteContext(ctx); err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out.String(), errb.String())
	}
	for _, want := range []string{
		"h3 -> h1  TCP SYN/ACK dropped",
		"device 1: clone",
		"device 1: move-host 4",
		"device 1: cut-over       ok",
		"done (to ",
		"the flow h1 opened on s1: its register bits came along",
		"the flow h2 opened during the migration",
		"demo OK",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
