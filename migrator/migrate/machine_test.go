package migrate

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestMachineTranscripts runs the migration transcripts under testdata: the
// protocol of DESIGN.md ("Migration of one virtual device") as the steps a
// driver is told to run, and what failures, retries, aborts and restarts
// do.
//
//	new hosts=1,2,3
//	run [n=N]          run N actions (default: until the machine stops), each succeeding
//	fail ERROR         the next action fails
//	retry | abort | resume
//	target-restarted | source-restarted   a switch restarted (state gone)
//	state
func TestMachineTranscripts(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		var m *Machine
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			var out strings.Builder
			errOut := func(err error) {
				if err != nil {
					fmt.Fprintf(&out, "error: %v\n", err)
				}
			}
			switch d.Cmd {
			case "new":
				var hosts []uint64
				for _, arg := range d.CmdArgs {
					if arg.Key == "hosts" {
						for _, v := range arg.Vals {
							p, err := strconv.ParseUint(v, 10, 64)
							if err != nil {
								d.Fatalf(t, "%v", err)
							}
							hosts = append(hosts, p)
						}
					}
				}
				m = New(hosts)
			case "run":
				n := 1 << 10
				if d.HasArg("n") {
					d.ScanArgs(t, "n", &n)
				}
				for i := 0; i < n; i++ {
					a, ok := m.Next()
					if !ok {
						break
					}
					fmt.Fprintf(&out, "%v\n", a)
					errOut(m.Succeeded(a))
				}
			case "fail":
				a, ok := m.Next()
				if !ok {
					out.WriteString("nothing to run\n")
					break
				}
				fmt.Fprintf(&out, "%v failed\n", a)
				errOut(m.Failed(a, errors.New(d.CmdArgs[0].Key)))
			case "retry":
				errOut(m.Retry())
			case "abort":
				errOut(m.Abort())
			case "target-restarted":
				if !m.TargetRestarted() {
					out.WriteString("restart changes nothing\n")
				}
			case "source-restarted":
				if !m.SourceRestarted("the source restarted") {
					out.WriteString("restart changes nothing\n")
				}
			case "resume":
				m = Restore(m.State())
				m.Resume()
			case "state":
			default:
				d.Fatalf(t, "unknown command %q", d.Cmd)
			}
			st := m.State()
			fmt.Fprintf(&out, "state: %v", st.Step)
			if len(st.Moved) > 0 {
				fmt.Fprintf(&out, " moved=%v", st.Moved)
			}
			if st.Aborting {
				out.WriteString(" aborting")
			}
			if st.Failed != "" {
				fmt.Fprintf(&out, " failed=%q", st.Failed)
			}
			if a, ok := m.Next(); ok {
				fmt.Fprintf(&out, " next=%q", a)
			}
			out.WriteString("\n")
			return out.String()
		})
	})
}
