package arbitration

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// TestTranscripts runs the arbitration transcripts under testdata: each
// reads as the spec's rules (section 5 "Client Arbitration and Controller
// Replication") or PI's behaviour, with what every stream is told.
//
//	new device=1 policy=spec|pi [max=N]
//	arbitrate s=NAME [device=N] [eid=HIGH:LOW|N|none] [role=NAME] [config=TEXT]
//	leave s=NAME
//	check [device=N] [eid=...] [role=NAME]    (may this writer write?)
//	primary [role=NAME]
func TestTranscripts(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		var a *Arbiter[string]
		var out strings.Builder
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			out.Reset()
			args := map[string]string{}
			for _, arg := range d.CmdArgs {
				args[arg.Key] = strings.Join(arg.Vals, ",")
			}
			u64 := func(k string, def uint64) uint64 {
				if v, ok := args[k]; ok {
					n, err := strconv.ParseUint(v, 10, 64)
					if err != nil {
						d.Fatalf(t, "%s: %v", k, err)
					}
					return n
				}
				return def
			}
			eid := func() *p4v1.Uint128 {
				v, ok := args["eid"]
				if !ok || v == "none" {
					return nil
				}
				hi, lo, found := strings.Cut(v, ":")
				if !found {
					hi, lo = "0", v
				}
				h, err1 := strconv.ParseUint(hi, 10, 64)
				l, err2 := strconv.ParseUint(lo, 10, 64)
				if err1 != nil || err2 != nil {
					d.Fatalf(t, "bad eid %q", v)
				}
				return &p4v1.Uint128{High: h, Low: l}
			}
			result := func(err error) string {
				if err != nil {
					fmt.Fprintf(&out, "error %s: %v\n", code.Code(err.(*Error).Code), err)
				} else if out.Len() == 0 {
					out.WriteString("ok\n")
				}
				return out.String()
			}
			switch d.Cmd {
			case "new":
				policy := Spec
				if args["policy"] == "pi" {
					policy = PI
				}
				a = New(u64("device", 1), policy, int(u64("max", 0)), func(s string, m *p4v1.MasterArbitrationUpdate) {
					fmt.Fprintf(&out, "-> %s: %s %q", s, code.Code(m.Status.Code), m.Status.Message)
					if m.ElectionId != nil {
						fmt.Fprintf(&out, " election_id=%s", electionID{m.ElectionId.High, m.ElectionId.Low})
					}
					if m.Role != nil {
						fmt.Fprintf(&out, " role=%q", m.Role.Name)
						if m.Role.Config != nil {
							v := &wrapperspb.StringValue{}
							m.Role.Config.UnmarshalTo(v)
							fmt.Fprintf(&out, " config=%q", v.Value)
						}
					}
					out.WriteString("\n")
				})
				return "ok\n"
			case "arbitrate":
				u := &p4v1.MasterArbitrationUpdate{DeviceId: u64("device", 1), ElectionId: eid()}
				if r, ok := args["role"]; ok {
					u.Role = &p4v1.Role{Name: r}
					if c, ok := args["config"]; ok {
						u.Role.Config, _ = anypb.New(wrapperspb.String(c))
					}
				}
				return result(a.Arbitrate(args["s"], u))
			case "leave":
				a.Leave(args["s"])
				return result(nil)
			case "check":
				return result(a.CheckWriter(u64("device", 1), args["role"], eid()))
			case "primary":
				if p, ok := a.Primary(args["role"]); ok {
					return p + "\n"
				}
				return "none\n"
			}
			d.Fatalf(t, "unknown command %q", d.Cmd)
			return ""
		})
	})
}
