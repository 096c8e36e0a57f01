package service

import (
	"fmt"
	"slices"
	"time"

	"github.com/lime-p4/lime/migrator/migrate"
	"github.com/lime-p4/lime/migrator/plan"
)

// PlanStatus is where the network migration stands.
type PlanStatus struct {
	File     string `json:"file"`
	Phase    string `json:"phase"`
	Aborting bool   `json:"aborting,omitempty"`
	// Active: its tasks are running (it has not ended nor stopped on a
	// failure).
	Active  bool               `json:"active"`
	Error   string             `json:"error,omitempty"`
	Started time.Time          `json:"started"`
	Devices []PlanDeviceStatus `json:"devices"`
	Groups  []PlanGroupStatus  `json:"groups"`
	History []TaskRecord       `json:"history,omitempty"`
	State   plan.State         `json:"state"`
}

// PlanDeviceStatus is one device of the plan.
type PlanDeviceStatus struct {
	Device uint64 `json:"device"`
	Target string `json:"target"`
	// Status is done, running, failed or waiting.
	Status  string   `json:"status"`
	Step    string   `json:"step"`              // its migration's next step
	Running []string `json:"running,omitempty"` // its tasks under way
	Moved   []uint64 `json:"moved,omitempty"`
	Failed  string   `json:"failed,omitempty"`
	// Took is the time its tasks took, by task.
	Took []TaskRecord `json:"took,omitempty"`
}

// PlanGroupStatus is one host group.
type PlanGroupStatus struct {
	Hosts []string `json:"hosts"`
	// Status is done (every host on the new network), running, back (an
	// abort brought every host back), moving-back, or waiting.
	Status string        `json:"status"`
	Took   time.Duration `json:"took_ns,omitempty"`
}

// PlanStatus reports the network migration, or nil when none was started.
func (s *Service) PlanStatus() *PlanStatus {
	s.mu.Lock()
	pr := s.plan
	s.mu.Unlock()
	if pr == nil {
		return nil
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	st := pr.state
	out := &PlanStatus{File: pr.plan.File, Phase: st.Phase.String(), Aborting: st.Aborting, Active: pr.active, Error: pr.err,
		Started: pr.started, History: slices.Clone(pr.history), State: st}
	running := map[uint64][]string{}
	for t := range pr.running {
		running[t.Device] = append(running[t.Device], taskName(t))
	}
	for _, d := range st.Devices {
		pd := pr.plan.Device(d.Device)
		ds := PlanDeviceStatus{Device: d.Device, Target: pd.To.Addr, Step: d.Migration.Step.String(), Running: running[d.Device],
			Moved: d.Migration.Moved, Failed: d.Failure()}
		switch {
		case ds.Failed != "":
			ds.Status = "failed"
		case len(ds.Running) > 0:
			ds.Status = "running"
		case d.Migration.Step == migrate.Done && (d.TornDown || st.Phase == plan.PhaseDone), d.Migration.Step == migrate.Aborted:
			ds.Status = "done"
		default:
			ds.Status = "waiting"
		}
		for _, h := range pr.history {
			if h.Device == d.Device {
				ds.Took = append(ds.Took, h)
			}
		}
		out.Devices = append(out.Devices, ds)
	}
	for g, grp := range pr.plan.Groups {
		gs := PlanGroupStatus{}
		moved, movingNow := 0, false
		for _, r := range grp {
			gs.Hosts = append(gs.Hosts, r.String())
			for _, d := range st.Devices {
				if d.Device == r.Device && slices.Contains(d.Migration.Moved, r.Port) {
					moved++
				}
			}
			for t := range pr.running {
				if t.Device == r.Device && t.Action.Port == r.Port && (t.Action.Step == migrate.MoveHost || t.Action.Step == migrate.MoveBack) {
					movingNow = true
				}
			}
			for _, h := range pr.history {
				if h.Device == r.Device && h.Error == "" && (h.Task == fmt.Sprintf("move-host %d", r.Port) || h.Task == fmt.Sprintf("move-back %d", r.Port)) {
					gs.Took += h.Took
				}
			}
		}
		switch {
		case movingNow && st.Aborting:
			gs.Status = "moving-back"
		case movingNow:
			gs.Status = "running"
		case moved == len(grp) && !st.Aborting:
			gs.Status = "done"
		case st.Aborting && moved == 0 && gs.Took > 0:
			gs.Status = "back"
		case st.Aborting && moved > 0:
			gs.Status = "moving-back"
		case st.Phase == plan.PhaseHosts && st.Group == g:
			gs.Status = "running"
		default:
			gs.Status = "waiting"
		}
		out.Groups = append(out.Groups, gs)
	}
	return out
}
