package clonecmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
	"github.com/lime-p4/lime/cmd/lime/internal/cli"
	"github.com/lime-p4/lime/cmd/lime/internal/clonecmd"
	"github.com/lime-p4/lime/cmd/lime/internal/diffcmd"
	"github.com/lime-p4/lime/internal/p4test"
	"github.com/lime-p4/lime/internal/simtest"
	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
)

func execute(t *testing.T, verb func(cli.Deps) interface {
	SetArgs([]string)
	ExecuteContext(context.Context) error
}, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := verb(cli.Deps{Out: &out, Err: &errb, Log: slog.New(slog.DiscardHandler)})
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return out.String() + errb.String(), err
}

func cloneVerb(d cli.Deps) interface {
	SetArgs([]string)
	ExecuteContext(context.Context) error
} {
	return clonecmd.New(d)
}

func diffVerb(d cli.Deps) interface {
	SetArgs([]string)
	ExecuteContext(context.Context) error
} {
	return diffcmd.New(d)
}

func exitCode(err error) int {
	var ee *cli.ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if err != nil {
		return -1
	}
	return 0
}

// `lime clone` then `lime diff`, as a user runs them against two devices
// with different port numbers: the clone exits 0, the diff says equal (0);
// a change on the target makes the diff exit 1; an unreachable device 2.
func TestCloneThenDiff(t *testing.T) {
	rules := info.DefaultPortRules.Merge(info.PortRules{Names: []string{"*.set_egress_port/port"}})
	src := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileSpec, Rules: &rules})
	dst := simtest.Start(t, simtest.Options{Pipeline: "onos-basic", Profile: p4rt.ProfileSpec, DeviceID: 2})
	state := p4test.NewGen(src.Info, 2).State(30)
	for _, k := range entity.Kinds() {
		var ups []*p4v1.Update
		for _, e := range state {
			if entity.KindOf(e) != k {
				continue
			}
			typ := p4v1.Update_MODIFY
			if k == entity.KindTableEntry || k == entity.KindMember || k == entity.KindGroup || k == entity.KindMulticastGroup || k == entity.KindCloneSession {
				typ = p4v1.Update_INSERT
			}
			ups = append(ups, &p4v1.Update{Type: typ, Entity: e})
		}
		if len(ups) > 0 {
			if err := src.Client.Write(context.Background(), ups); err != nil {
				t.Fatalf("%s: %v", k, err)
			}
		}
	}
	// simtest's own client holds election id 1:0 on each device; lime takes
	// over the target with a higher one.
	ports := "1=11,2=12,3=13,4=14,5=15,6=16,7=17,8=18"
	out, err := execute(t, cloneVerb, "--from-addr", src.Addr, "--to-addr", dst.Addr, "--to-device-id", "2", "--to-election-high", "2",
		"--port-map", ports, "--port-field", "*.set_egress_port/port")
	if exitCode(err) != 0 {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	if !strings.Contains(out, "total") || !strings.Contains(out, "table entry") {
		t.Errorf("no summary table:\n%s", out)
	}
	diffArgs := []string{"--from-addr", src.Addr, "--to-addr", dst.Addr, "--to-device-id", "2", "--port-map", ports, "--port-field", "*.set_egress_port/port"}
	out, err = execute(t, diffVerb, diffArgs...)
	if exitCode(err) != 0 || !strings.Contains(out, "equal") {
		t.Fatalf("diff after clone: %v\n%s", err, out)
	}
	out, err = execute(t, diffVerb, append(diffArgs, "--json")...)
	var rep struct {
		Kinds map[string]any `json:"kinds"`
	}
	if exitCode(err) != 0 || json.Unmarshal([]byte(out), &rep) != nil || len(rep.Kinds) == 0 {
		t.Fatalf("diff --json: %v\n%s", err, out)
	}
	// Without the port map the devices differ in every port value.
	out, err = execute(t, diffVerb, "--from-addr", src.Addr, "--to-addr", dst.Addr, "--to-device-id", "2")
	if exitCode(err) != 1 || !strings.Contains(out, "different") {
		t.Fatalf("diff without port map: exit %d\n%s", exitCode(err), out)
	}
	// A second clone changes nothing.
	out, err = execute(t, cloneVerb, "--from-addr", src.Addr, "--to-addr", dst.Addr, "--to-device-id", "2", "--to-election-high", "2",
		"--port-map", ports, "--port-field", "*.set_egress_port/port", "--json")
	var res struct {
		Kinds map[string]struct{ Inserted, Modified int64 } `json:"kinds"`
	}
	if exitCode(err) != 0 || json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &res) != nil {
		t.Fatalf("second clone: %v\n%s", err, out)
	}
	for k, s := range res.Kinds {
		if s.Inserted+s.Modified != 0 {
			t.Errorf("second clone wrote %s: %+v", k, s)
		}
	}
	// Unreachable target: exit 2 with the address in the message.
	_, err = execute(t, cloneVerb, "--from-addr", src.Addr, "--to-addr", "127.0.0.1:1", "--to-timeout", "500ms")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("unreachable target: %v", err)
	}
}
