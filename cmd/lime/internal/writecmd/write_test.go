package writecmd_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/cmd/lime/internal/writecmd"
	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/internal/simtest"
)

func write(t *testing.T, args ...string) (string, int) {
	var out bytes.Buffer
	cmd := writecmd.New(cli.Deps{Out: &out, Err: &out, Log: slog.New(slog.DiscardHandler)})
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	var ee *cli.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee):
		return out.String() + ee.Error(), ee.Code
	}
	t.Fatalf("unexpected error %v", err)
	return "", 0
}

// The example state of the README applies whole to onos-basic; a second
// time every INSERT is refused (exit 1, each named); a file that is not a
// WriteRequest is an error (exit 2).
func TestWriteExample(t *testing.T) {
	d := simtest.Start(t, simtest.Options{Pipeline: "onos-basic"})
	example := filepath.Join("..", "..", "..", "..", "examples", "onos-basic-state.txtpb")
	args := []string{"--addr", d.Addr, "--election-high", "2", "--file", example}
	out, code := write(t, args...)
	if code != 0 || !strings.Contains(out, "13 of 13 updates applied") {
		t.Fatalf("exit %d: %s", code, out)
	}
	out, code = write(t, args...)
	if code != 1 || !strings.Contains(out, "refused: update 0 (INSERT table entry ingress.table0_control.table0") || !strings.Contains(out, "ALREADY_EXISTS") {
		t.Fatalf("second write: exit %d: %s", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.txtpb")
	os.WriteFile(bad, []byte("updates { nonsense: 1 }"), 0o644)
	if out, code := write(t, "--addr", d.Addr, "--file", bad); code != 2 || !strings.Contains(out, "not a text-format p4.v1.WriteRequest") {
		t.Fatalf("bad file: exit %d: %s", code, out)
	}
}

// --pipeline sets the program (with --cookie) before the updates go, as a
// controller does on a fresh switch; nothing to do is an error.
func TestWritePipelineThenState(t *testing.T) {
	d := simtest.Start(t, simtest.Options{})
	example := filepath.Join("..", "..", "..", "..", "examples", "onos-basic-state.txtpb")
	out, code := write(t, "--addr", d.Addr, "--election-high", "2", "--pipeline", fixtures.Get(t, "onos-basic").Dir, "--cookie", "7", "--file", example)
	if code != 0 || !strings.Contains(out, "pipeline") || !strings.Contains(out, "13 of 13 updates applied") {
		t.Fatalf("exit %d: %s", code, out)
	}
	cfg, err := d.Client.GetPipeline(context.Background(), p4v1.GetForwardingPipelineConfigRequest_COOKIE_ONLY)
	if err != nil || cfg.GetCookie().GetCookie() != 7 {
		t.Fatalf("cookie %v, %v", cfg.GetCookie(), err)
	}
	if out, code := write(t, "--addr", d.Addr); code != 2 || !strings.Contains(out, "nothing to do") {
		t.Fatalf("no --file nor --pipeline: exit %d: %s", code, out)
	}
}
