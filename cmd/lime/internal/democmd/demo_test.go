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

// `make demo` runs this verb: it must succeed and tell its story: the
// network, the plan phase by phase, traffic through it with nothing lost,
// the report, and the new network forwarding the flows opened on the old.
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
		"h11 -> h21  udp/5021  dropped",
		"[validate]",
		"[hosts] group 2: 2:1 2:2",
		"device 2: move-host 1    ok",
		"[teardown]",
		"DEVICE  NOW ON  CLONED",
		"LOST AT ITS MOVE",
		"the flow h21 opened on s2: its register bits came along to t2",
		"t1 -> t2 -> t3, the new network's two links",
		"none lost",
		"demo OK",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
