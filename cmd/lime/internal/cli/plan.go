package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lime-p4/lime/migrator/plan"
	"github.com/lime-p4/lime/migrator/service"
)

// LoadPlan reads a plan file and loads the pipeline folders it names (each
// problem named with its file line).
func LoadPlan(file string) (*plan.Plan, error) {
	p, err := plan.Load(file)
	if err != nil {
		return nil, err
	}
	for i := range p.Devices {
		d := &p.Devices[i]
		if d.Pipeline == "" {
			continue
		}
		prog, err := LoadPipeline(d.Pipeline)
		if err != nil {
			return nil, fmt.Errorf("%s: device %d: %w", p.Where(d.Lines.Pipeline), d.VID, err)
		}
		d.PipelineConfig = &plan.PipelineContent{P4Info: prog.P4InfoText, DeviceConfig: prog.JSON}
	}
	return p, nil
}

// FollowPlan reports the network migration on out as it goes (a heading
// per phase, a line per task ended, from task from of its history on)
// until it stops: done, aborted, or failed waiting for retry or abort.
func FollowPlan(ctx context.Context, c *service.Client, from int, out io.Writer) (*service.PlanStatus, error) {
	shown, phase := from, ""
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := c.Plan(ctx)
		if err != nil {
			return nil, err
		}
		for _, h := range st.History[min(shown, len(st.History)):] {
			if head := fmt.Sprintf("[%s]%s", h.Phase, groupNote(st, h)); head != phase {
				phase = head
				fmt.Fprintln(out, head)
			}
			if h.Error != "" {
				fmt.Fprintf(out, "  device %d: %-14s failed after %v: %s\n", h.Device, h.Task, h.Took.Round(time.Millisecond), h.Error)
			} else {
				fmt.Fprintf(out, "  device %d: %-14s ok (%v)\n", h.Device, h.Task, h.Took.Round(time.Millisecond))
			}
		}
		shown = len(st.History)
		if !st.Active {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-tick.C:
		}
	}
}

// groupNote names the host group a host-move task belongs to.
func groupNote(st *service.PlanStatus, h service.TaskRecord) string {
	if h.Phase != plan.PhaseHosts.String() && h.Phase != plan.PhaseMoveBack.String() {
		return ""
	}
	var port uint64
	if _, err := fmt.Sscanf(h.Task, "move-host %d", &port); err != nil {
		if _, err := fmt.Sscanf(h.Task, "move-back %d", &port); err != nil {
			return ""
		}
	}
	ref := plan.Ref{Device: h.Device, Port: port}.String()
	for i, g := range st.Groups {
		for _, r := range g.Hosts {
			if r == ref {
				return fmt.Sprintf(" group %d: %s", i+1, strings.Join(g.Hosts, " "))
			}
		}
	}
	return ""
}

// PrintPlan shows the network migration by device and by host group, with
// the time each step took.
func PrintPlan(out io.Writer, st *service.PlanStatus) error {
	state := "stopped"
	switch {
	case st.State.Paused != 0 && st.Active:
		state = "paused, targets catching up"
	case st.State.Paused != 0:
		state = "paused"
	case st.Active:
		state = "running"
	case st.Phase == plan.PhaseDone.String() || st.Phase == plan.PhaseAborted.String():
		state = "ended"
	}
	fmt.Fprintf(out, "PLAN %s: %s, %s", st.File, st.Phase, state)
	if st.State.Phase == plan.PhaseHosts || st.State.Phase == plan.PhaseMoveBack {
		fmt.Fprintf(out, " (group %d of %d)", st.State.Group+1, len(st.Groups))
	}
	if st.State.Paused != 0 {
		fmt.Fprintf(out, ", paused after group %d (lime migrate --retry goes on)", st.State.Paused)
	}
	if !st.Started.IsZero() {
		fmt.Fprintf(out, ", started %s", st.Started.Format(time.DateTime))
	}
	fmt.Fprintln(out)
	if st.Error != "" {
		fmt.Fprintf(out, "  %s\n", st.Error)
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "DEVICE\tTARGET\tSTATUS\tNEXT\tMOVED\tSTEPS")
	for _, d := range st.Devices {
		status := d.Status
		if len(d.Running) > 0 {
			status += " " + strings.Join(d.Running, ", ")
		}
		if d.Failed != "" {
			status += ": " + d.Failed
		}
		var steps []string
		for _, t := range d.Took {
			s := fmt.Sprintf("%s %v", t.Task, t.Took.Round(time.Millisecond))
			if t.Error != "" {
				s += " (failed)"
			}
			steps = append(steps, s)
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%v\t%s\n", d.Device, d.Target, status, d.Step, d.Moved, strings.Join(steps, ", "))
	}
	fmt.Fprintln(w, "\nGROUP\tHOSTS\tSTATUS\tTOOK\t\t")
	for i, g := range st.Groups {
		took := "-"
		if g.Took > 0 {
			took = g.Took.Round(time.Millisecond).String()
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t\t\n", i+1, strings.Join(g.Hosts, " "), g.Status, took)
	}
	return w.Flush()
}
