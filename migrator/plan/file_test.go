package plan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestParse runs the plan files under testdata/parse: what a valid plan
// says (every device's target, port roles and trunk; the host groups in
// order), and how a plan that does not hold together is refused whole,
// each problem with its file line, before anything is written.
func TestParse(t *testing.T) {
	datadriven.RunTest(t, "testdata/parse", func(t *testing.T, d *datadriven.TestData) string {
		if d.Cmd != "parse" {
			d.Fatalf(t, "unknown command %s", d.Cmd)
		}
		p, err := Parse([]byte(d.Input), "plan.yaml")
		if err != nil {
			return "error: " + err.Error() + "\n"
		}
		var b strings.Builder
		for _, dv := range p.Devices {
			fmt.Fprintf(&b, "device %d -> %s (device id %d)", dv.VID, dv.To.Addr, dv.To.DeviceID)
			if dv.Pipeline != "" {
				fmt.Fprintf(&b, " pipeline %s", dv.Pipeline)
			}
			fmt.Fprintf(&b, "\n  ports %s\n  hosts %v", dv.PortMap(), dv.Hosts)
			for _, lp := range dv.LinkPorts() {
				fmt.Fprintf(&b, ", link %d -> %v", lp, dv.Links[lp])
			}
			fmt.Fprintf(&b, ", cpu %v, trunk %d=%d\n", dv.CPU, dv.Trunk.Source, dv.Trunk.Target)
		}
		fmt.Fprintf(&b, "groups %v, parallel %d, settle %v\n", p.Groups, p.Parallel, p.Settle.Duration())
		return b.String()
	})
}
