package plan

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/lime-p4/lime/migrator/migrate"
)

// TestMachineTranscripts runs the plan transcripts under testdata/machine:
// DESIGN.md's "Migration of a network" as the tasks a driver is handed,
// round by round (a round is what may run at once), and what failures,
// retries, aborts and restarts do.
//
//	plan               the plan file (YAML) in the input; a new machine
//	fail TASK: ERROR   that task fails when it runs ("device 2: clone");
//	                   ERROR "target restarted" or "source restarted":
//	                   that switch restarted as it ran
//	run [rounds=N] [until=PHASE]
//	                   hand out tasks and run them, round by round, each
//	                   succeeding unless told to fail, until nothing is
//	                   left (or N rounds, or the plan reaches PHASE)
//	next               hand out tasks without running them
//	done TASK          report a handed-out task as succeeded
//	stop               the driver stops: handed-out tasks did not run
//	retry | abort | resume | state
func TestMachineTranscripts(t *testing.T) {
	datadriven.Walk(t, "testdata/machine", func(t *testing.T, path string) {
		var p *Plan
		var m *Machine
		fails := map[string]string{}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			var out strings.Builder
			errOut := func(err error) {
				if err != nil {
					fmt.Fprintf(&out, "error: %v\n", err)
				}
			}
			switch d.Cmd {
			case "plan":
				var err error
				if p, err = Parse([]byte(d.Input), "plan.yaml"); err != nil {
					d.Fatalf(t, "%v", err)
				}
				m, fails = NewMachine(p), map[string]string{}
				fmt.Fprintf(&out, "groups: %v\n", p.Groups)
			case "fail":
				line := strings.TrimSpace(d.Input) // device N: ACTION: ERROR
				dev, rest, ok1 := strings.Cut(line, ": ")
				action, why, ok2 := strings.Cut(rest, ": ")
				if !ok1 || !ok2 {
					d.Fatalf(t, "fail: want device N: ACTION: ERROR, got %q", line)
				}
				fails[dev+": "+action] = why
				return ""
			case "run":
				rounds := 1 << 10
				if d.HasArg("rounds") {
					d.ScanArgs(t, "rounds", &rounds)
				}
				var until string
				if d.HasArg("until") {
					d.ScanArgs(t, "until", &until)
				}
				for r := 0; r < rounds; r++ {
					phase := m.State().Phase
					if phase.String() == until {
						break
					}
					ts := m.Next()
					if len(ts) == 0 {
						break
					}
					var names []string
					for _, task := range ts {
						var err error
						name := strings.TrimPrefix(task.String(), "device ")
						if why, ok := fails[task.String()]; ok {
							delete(fails, task.String())
							err = errors.New(why)
							name += " FAILED"
							switch why { // a switch restarted as the task ran
							case "target restarted":
								err, name = &migrate.RestartError{Name: "t"}, name+" (target restarted)"
							case "source restarted":
								err, name = &migrate.RestartError{Source: true, Name: "s"}, name+" (source restarted)"
							}
						}
						names = append(names, name)
						errOut(m.Done(task, err))
					}
					fmt.Fprintf(&out, "%-13s %s\n", phase.String()+":", strings.Join(names, " | "))
				}
			case "next":
				for _, task := range m.Next() {
					fmt.Fprintf(&out, "%v\n", task)
				}
			case "done":
				task := findTask(m.Running(), strings.TrimSpace(d.Input))
				if task == nil {
					d.Fatalf(t, "no running task %q in %v", d.Input, m.Running())
				}
				errOut(m.Done(*task, nil))
			case "stop":
				for _, task := range m.Running() {
					m.Stopped(task)
				}
			case "retry":
				errOut(m.Retry())
			case "abort":
				errOut(m.Abort())
			case "resume":
				st := m.State()
				var err error
				m, err = RestoreMachine(p, st)
				errOut(err)
				m.Resume()
			case "state":
			default:
				d.Fatalf(t, "unknown command %s", d.Cmd)
			}
			out.WriteString(describe(m))
			return out.String()
		})
	})
}

func findTask(ts []Task, s string) *Task {
	for _, t := range ts {
		if t.String() == s || strings.TrimPrefix(t.String(), "device ") == s {
			return &t
		}
	}
	return nil
}

// describe prints the plan's state: its phase, then each device.
func describe(m *Machine) string {
	var b strings.Builder
	st := m.State()
	fmt.Fprintf(&b, "phase %v", st.Phase)
	if st.Phase == PhaseHosts || st.Phase == PhaseMoveBack {
		fmt.Fprintf(&b, " group %d", st.Group+1)
	}
	if st.Aborting {
		b.WriteString(" aborting")
	}
	if st.Paused != 0 {
		fmt.Fprintf(&b, " paused after group %d", st.Paused)
	}
	if r := m.Running(); len(r) > 0 {
		fmt.Fprintf(&b, " running=%v", r)
	}
	b.WriteString("\n")
	for _, d := range st.Devices {
		mig := d.Migration
		fmt.Fprintf(&b, "  %d: %v", d.Device, mig.Step)
		if len(mig.Moved) > 0 {
			fmt.Fprintf(&b, " moved=%v", mig.Moved)
		}
		var flags []string
		if d.FabricUp {
			flags = append(flags, "fabric-up")
		}
		if d.TornDown {
			flags = append(flags, "torn-down")
		}
		if len(flags) > 0 {
			fmt.Fprintf(&b, " %s", strings.Join(flags, ","))
		}
		if f := d.Failure(); f != "" {
			fmt.Fprintf(&b, " failed=%q", f)
		}
		b.WriteString("\n")
	}
	return b.String()
}
